"""Escalation policies: an ordered list of steps, read from data and checked field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from relance.domain.amounts import ZERO


class Action(StrEnum):
    EMAIL = "email"
    LETTER = "letter"
    CALL_TASK = "call_task"
    SUSPEND = "suspend"
    HANDOFF = "handoff"


# Actions that reach the customer as a message; the rest are tasks and events for people and systems.
MESSAGE_ACTIONS = frozenset({Action.EMAIL, Action.LETTER})


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file, the step and the field."""


@dataclass(frozen=True)
class Step:
    id: str
    offset_days: int
    actions: frozenset[Action]
    template: str
    min_days_since_previous: int = 0
    claim_penalties: bool = False
    deadline_days: int | None = None
    min_balance: Decimal = ZERO
    before_due_only: bool = False

    @property
    def sends_message(self) -> bool:
        return bool(self.actions & MESSAGE_ACTIONS)


@dataclass(frozen=True)
class PlanTerms:
    """How a payment plan is watched: a reminder for an instalment still uncovered `reminder_after_days`
    after its date, and the plan is broken once one stays uncovered more than `grace_days` after it."""

    reminder_after_days: int = 3
    grace_days: int = 10


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    steps: tuple[Step, ...]
    # A customer hears from us at most this often; steps falling due in between wait for the next message,
    # so that invoices close together travel in one message instead of one each.
    min_days_between_messages: int = 0
    # Customers on this policy are not claimed interest and indemnity (computed and shown as waived).
    waive_penalties: bool = False
    payment_plan: PlanTerms = PlanTerms()
    # Whether an invoice may appear in a formal notice before an earlier message of its case named it. No by
    # default: a debtor is put on notice only for what it was reminded of.
    notice_unnamed_invoices: bool = False
    # Invoices that join a case after its formal notice get a supplementary notice before the hand-off;
    # without it they go into the hand-off pack marked as joined later.
    supplementary_notice: bool = False
    # Penalties claimed on an invoice that is then paid stay claimable and are listed as still due in the
    # case's later messages; when false the case drops them, and its log says they were waived.
    claim_after_payment: bool = True
    # A registered letter is taken as received this many days after posting when no receipt is recorded:
    # the formal notice's deadline runs from receipt.
    postal_delay_days: int = 3

    @property
    def ladder(self) -> tuple[Step, ...]:
        """The steps a case climbs once something is overdue (pre-due courtesy steps are not on it)."""
        return tuple(step for step in self.steps if not step.before_due_only)

    @property
    def courtesy_steps(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if step.before_due_only)

    def ladder_index(self, step_id: str) -> int:
        for index, step in enumerate(self.ladder):
            if step.id == step_id:
                return index
        raise KeyError(step_id)

    def index_of(self, step_id: str) -> int:
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)

    def rank(self, step: Step) -> int:
        return self.index_of(step.id)


_STEP_FIELDS = {
    "id",
    "offset_days",
    "actions",
    "template",
    "min_days_since_previous",
    "claim_penalties",
    "deadline_days",
    "min_balance",
    "before_due_only",
}


def policy_from_mapping(data: Any, source: str) -> Policy:
    """Build a policy from parsed YAML/JSON, or raise PolicyError naming `source`, the step and the field."""
    if not isinstance(data, Mapping):
        raise PolicyError(f"{source}: a policy must be a mapping with 'name' and 'steps'")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PolicyError(f"{source}: field 'name' must be a non-empty string")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PolicyError(f"{source}: field 'steps' must be a non-empty list")
    steps = tuple(_step(raw, source, position) for position, raw in enumerate(raw_steps, start=1))
    _check_order(steps, source)
    unknown = sorted(set(data) - _POLICY_FIELDS)
    if unknown:
        raise PolicyError(
            f"{source}: unknown field '{unknown[0]}' (known: {', '.join(sorted(_POLICY_FIELDS))})"
        )
    spacing = data.get("min_days_between_messages", 0)
    if isinstance(spacing, bool) or not isinstance(spacing, int) or spacing < 0:
        raise PolicyError(
            f"{source}: field 'min_days_between_messages' must be an integer of 0 or more, got {spacing!r}"
        )
    flags = {
        field: _flag(data, field, default, source)
        for field, default in (
            ("waive_penalties", False),
            ("notice_unnamed_invoices", False),
            ("supplementary_notice", False),
            ("claim_after_payment", True),
        )
    }
    delay = data.get("postal_delay_days", 3)
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise PolicyError(
            f"{source}: field 'postal_delay_days' must be an integer of 0 or more, got {delay!r}"
        )
    policy = Policy(
        name=name,
        postal_delay_days=delay,
        description=str(data.get("description", "")).strip(),
        steps=steps,
        min_days_between_messages=spacing,
        payment_plan=_plan_terms(data.get("payment_plan", {}), source),
        **flags,
    )
    _check_ladder(policy, source)
    return policy


def _flag(data: Mapping[str, Any], field: str, default: bool, source: str) -> bool:
    value = data.get(field, default)
    if not isinstance(value, bool):
        raise PolicyError(f"{source}: field '{field}' must be true or false, got {value!r}")
    return value


def _check_ladder(policy: Policy, source: str) -> None:
    """A case needs somewhere to start, and a notice must be able to name what was reminded first."""
    if not policy.ladder:
        raise PolicyError(
            f"{source}: every step is before_due_only; a case needs at least one step after the due date"
        )
    first = policy.ladder[0]
    if Action.LETTER in first.actions and not policy.notice_unnamed_invoices:
        raise PolicyError(
            f"{source}: step '{first.id}': a formal notice cannot be the first step after the due date while "
            "'notice_unnamed_invoices' is false (no earlier message could have named the invoices)"
        )


_POLICY_FIELDS = frozenset(
    {
        "name",
        "description",
        "steps",
        "min_days_between_messages",
        "waive_penalties",
        "payment_plan",
        "notice_unnamed_invoices",
        "supplementary_notice",
        "claim_after_payment",
        "postal_delay_days",
    }
)
_PLAN_FIELDS = frozenset({"reminder_after_days", "grace_days"})


def _plan_terms(raw: Any, source: str) -> PlanTerms:
    where = f"{source}: payment_plan"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: must be a mapping with {', '.join(sorted(_PLAN_FIELDS))}")
    unknown = sorted(set(raw) - _PLAN_FIELDS)
    if unknown:
        raise PolicyError(f"{where}: unknown field '{unknown[0]}' (known: {', '.join(sorted(_PLAN_FIELDS))})")
    defaults = PlanTerms()
    values: dict[str, int] = {}
    for field in sorted(_PLAN_FIELDS):
        value = raw.get(field, getattr(defaults, field))
        # A reminder on the instalment's own date would chase a customer who may still pay that day.
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise PolicyError(f"{where}: field '{field}' must be an integer of 1 or more, got {value!r}")
        values[field] = value
    terms = PlanTerms(**values)
    if terms.grace_days < terms.reminder_after_days:
        raise PolicyError(
            f"{where}: field 'grace_days' ({terms.grace_days}) must be at least 'reminder_after_days' "
            f"({terms.reminder_after_days}), or the plan would break before its reminder"
        )
    return terms


def _step(raw: Any, source: str, position: int) -> Step:
    where = f"{source}: step #{position}"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: must be a mapping")
    step_id = raw.get("id")
    if not isinstance(step_id, str) or not step_id.strip():
        raise PolicyError(f"{where}: field 'id' must be a non-empty string")
    where = f"{source}: step '{step_id}'"
    unknown = sorted(set(raw) - _STEP_FIELDS)
    if unknown:
        raise PolicyError(f"{where}: unknown field '{unknown[0]}' (known: {', '.join(sorted(_STEP_FIELDS))})")

    def integer(field: str, default: int = 0, minimum: int | None = None) -> int:
        value = raw.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(f"{where}: field '{field}' must be an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise PolicyError(f"{where}: field '{field}' must be at least {minimum}, got {value}")
        return value

    def flag(field: str) -> bool:
        value = raw.get(field, False)
        if not isinstance(value, bool):
            raise PolicyError(f"{where}: field '{field}' must be true or false, got {value!r}")
        return value

    if "offset_days" not in raw:
        raise PolicyError(
            f"{where}: field 'offset_days' is required (days from the due date, negative before)"
        )
    offset = integer("offset_days")
    raw_actions = raw.get("actions")
    if not isinstance(raw_actions, list) or not raw_actions:
        raise PolicyError(f"{where}: field 'actions' must be a non-empty list of {', '.join(Action)}")
    try:
        actions = frozenset(Action(str(action)) for action in raw_actions)
    except ValueError as exc:
        raise PolicyError(f"{where}: field 'actions': {exc}; allowed: {', '.join(Action)}") from None
    template = raw.get("template", step_id)
    if not isinstance(template, str) or not template.strip():
        raise PolicyError(f"{where}: field 'template' must be a non-empty string")
    try:
        min_balance = Decimal(str(raw.get("min_balance", "0")))
    except InvalidOperation:
        raise PolicyError(
            f"{where}: field 'min_balance' must be an amount, got {raw['min_balance']!r}"
        ) from None
    if not min_balance.is_finite() or min_balance < 0:
        raise PolicyError(f"{where}: field 'min_balance' must be zero or more, got {raw['min_balance']!r}")
    deadline = integer("deadline_days", minimum=1) if "deadline_days" in raw else None
    if Action.LETTER in actions and deadline is None:
        raise PolicyError(f"{where}: field 'deadline_days' is required for a letter (the payment deadline)")
    before_due_only = flag("before_due_only")
    if before_due_only and offset >= 0:
        raise PolicyError(f"{where}: field 'before_due_only' needs a negative 'offset_days', got {offset}")
    return Step(
        id=step_id,
        offset_days=offset,
        actions=actions,
        template=template,
        min_days_since_previous=integer("min_days_since_previous", minimum=0),
        claim_penalties=flag("claim_penalties"),
        deadline_days=deadline,
        min_balance=min_balance,
        before_due_only=before_due_only,
    )


def _check_order(steps: tuple[Step, ...], source: str) -> None:
    seen: set[str] = set()
    previous: Step | None = None
    for step in steps:
        if step.id in seen:
            raise PolicyError(f"{source}: step '{step.id}': field 'id' is used twice")
        seen.add(step.id)
        if previous is not None and step.offset_days < previous.offset_days:
            raise PolicyError(
                f"{source}: step '{step.id}': field 'offset_days' ({step.offset_days}) comes before the "
                f"previous step '{previous.id}' ({previous.offset_days}); steps are listed in order"
            )
        previous = step
