"""What a person does about a customer's case: pause and resume it, record a call and its outcome, track
the registered letter of its formal notice.

Like the invoice levers (relance.services.levers), each is one save with its log event (kind `status`,
`call` or `letter`), through the book's one save path, so that the engine sees the change at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date
from enum import StrEnum

from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.models import Case, CaseState, Customer, Invoice, LetterTracking
from relance.domain.policy import Policy
from relance.observability import log_escalation
from relance.ports import ConflictError, Context
from relance.services.bookkeeping import Edit, NothingToDo, edit_book


class CaseLeverError(ValueError):
    """A case lever that cannot apply: no such customer or case, a date in the past, a missing detail."""


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    PROMISE = "promise"
    DISPUTE = "dispute"


@dataclass(frozen=True)
class CaseResult:
    customer_id: str
    case_id: str
    state: str
    paused_until: date | None
    pause_reason: str | None
    next_action_on: date | None
    event: EscalationEvent


def pause_case(
    ctx: Context,
    customer_id: str,
    reason: str,
    actor: str,
    until: date | None = None,
    currency: str | None = None,
    kind: EventKind = EventKind.STATUS,
    step: str = "paused",
    detail: dict[str, str] | None = None,
) -> CaseResult:
    """Pauses the case until `until`, or until a person resumes it when no date is given."""
    if not reason.strip():
        raise CaseLeverError("a pause needs a reason")
    return _change_case(
        ctx,
        customer_id,
        currency,
        actor,
        lambda case: replace(case, paused_until=until, pause_reason=reason.strip()),
        kind=kind,
        step=step,
        reason=reason.strip(),
        detail={
            **(detail or {}),
            **({"until": until.isoformat()} if until else {"until": "a person resumes it"}),
        },
        until=until,
    )


def resume_case(
    ctx: Context, customer_id: str, actor: str, reason: str = "resumed", currency: str | None = None
) -> CaseResult:
    """Back to the ladder where the case stopped."""

    def resumed(case: Case) -> Case:
        if case.pause_reason is None and case.paused_until is None:
            raise NothingToDo
        return replace(case, paused_until=None, pause_reason=None)

    return _change_case(ctx, customer_id, currency, actor, resumed, step="resumed", reason=reason)


def record_call(
    ctx: Context,
    customer_id: str,
    outcome: CallOutcome,
    actor: str,
    until: date | None = None,
    note: str | None = None,
    currency: str | None = None,
) -> CaseResult:
    """The account manager's call and what came of it: a promise pauses the case until its date, a dispute
    pauses it until a person resumes it, the other outcomes only go in the log (and the call sheet)."""
    words = f"call: {outcome.value.replace('_', ' ')}" + (f" ({note})" if note else "")
    if outcome is CallOutcome.PROMISE:
        if until is None:
            raise CaseLeverError("a promise needs its date: --until DATE")
        return pause_case(
            ctx,
            customer_id,
            words,
            actor,
            until=until,
            currency=currency,
            kind=EventKind.CALL,
            step="promise",
        )
    if outcome is CallOutcome.DISPUTE:
        return pause_case(
            ctx, customer_id, words, actor, currency=currency, kind=EventKind.CALL, step="dispute"
        )
    return _change_case(
        ctx,
        customer_id,
        currency,
        actor,
        lambda case: case,
        kind=EventKind.CALL,
        step=outcome.value,
        reason=words,
    )


def track_letter(
    ctx: Context,
    customer_id: str,
    actor: str,
    posted: date | None = None,
    tracking: str | None = None,
    received: date | None = None,
    currency: str | None = None,
) -> CaseResult:
    """The registered letter of the case's formal notice: when it was posted (with its tracking number) and
    when it was received; the notice's deadline, and so the suspension, run from receipt."""
    if posted is None and received is None and tracking is None:
        raise CaseLeverError("give --posted DATE [--tracking N] or --received DATE")

    def tracked(case: Case) -> Case:
        if not any(message.letter for message in case.messages):
            raise CaseLeverError(f"case {case.case_id} has sent no formal notice yet")
        letter = case.letter
        if received is not None and (posted or letter.posted_on) and received < (posted or letter.posted_on):  # type: ignore[operator]
            raise CaseLeverError("the letter cannot be received before it was posted")
        return replace(
            case,
            letter=LetterTracking(
                posted_on=posted or letter.posted_on,
                tracking=tracking or letter.tracking,
                received_on=received or letter.received_on,
            ),
        )

    parts = {
        **({"posted": posted.isoformat()} if posted else {}),
        **({"tracking": tracking} if tracking else {}),
        **({"received": received.isoformat()} if received else {}),
    }
    step = "received" if received else "posted"
    return _change_case(
        ctx,
        customer_id,
        currency,
        actor,
        tracked,
        kind=EventKind.LETTER,
        step=step,
        reason=", ".join(f"{key} {value}" for key, value in parts.items()),
        detail=parts,
    )


def _change_case(
    ctx: Context,
    customer_id: str,
    currency: str | None,
    actor: str,
    change: object,
    *,
    kind: EventKind = EventKind.STATUS,
    step: str,
    reason: str,
    detail: dict[str, str] | None = None,
    until: date | None = None,
) -> CaseResult:
    today = ctx.calendar.local_date(ctx.clock())
    if until is not None and until < today:
        raise CaseLeverError(f"{until.isoformat()} is in the past (today is {today.isoformat()})")
    now = ctx.clock().astimezone(UTC)
    suffix = uuid.uuid4().hex[:16]
    chosen: dict[str, Case] = {}

    def edit(customer: Customer, invoices: Sequence[Invoice], policy: Policy) -> Edit:
        case = _case(customer, currency)
        updated = change(case)  # type: ignore[operator]
        chosen["case"] = updated
        event = EscalationEvent(
            customer_id=customer.customer_id,
            kind=kind,
            occurred_on=today,
            recorded_at=now,
            outcome=Outcome.RECORDED,
            key_suffix=f"{case.case_id}#{step}#{suffix}",
            step=step,
            currency=case.currency,
            reason=reason,
            actor=actor,
            detail=dict(detail or {}),
            case_id=case.case_id,
            customer_name=customer.name,
        )
        cases = tuple(updated if item.case_id == case.case_id else item for item in customer.cases)
        return Edit(replace(customer, cases=cases), (), [event])

    try:
        saved = edit_book(ctx, customer_id, edit, actor=actor)
    except LookupError as exc:
        raise CaseLeverError(str(exc)) from None
    except ConflictError as exc:
        raise CaseLeverError(f"customer {customer_id} changed while this ran; try again") from exc
    for event in saved.events:
        log_escalation(event)
    case = chosen["case"]
    current = next((item for item in saved.customer.cases if item.case_id == case.case_id), case)
    logged = next((event for event in saved.events if event.kind is kind), None)
    if logged is None:
        raise CaseLeverError(f"case {case.case_id}: nothing to change")
    return CaseResult(
        customer_id,
        case.case_id,
        current.state.value,
        current.paused_until,
        current.pause_reason,
        saved.customer.next_action_on,
        logged,
    )


def _case(customer: Customer, currency: str | None) -> Case:
    """The customer's active case in that currency, or its only one; a clear error otherwise."""
    cases = [case for case in customer.cases if currency is None or case.currency == currency.upper()]
    active = [case for case in cases if case.state is not CaseState.HELD] or cases
    if not active:
        which = f" in {currency.upper()}" if currency else ""
        raise CaseLeverError(f"customer {customer.customer_id} has no open case{which}")
    if len(active) > 1:
        listed = ", ".join(f"{case.case_id} ({case.currency})" for case in active)
        raise CaseLeverError(f"customer {customer.customer_id} has several cases ({listed}): pass --currency")
    return active[0]
