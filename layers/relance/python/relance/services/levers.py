"""What a person decides: pause (a dispute or another reason), resume, promise to pay, payment plan, and
the release of a held dispatch.

Each lever changes the invoice (or the customer) and logs who did what as a STATUS event in the
escalation log, in one transaction, and puts the invoice back in (or out of) the daily index so that the
engine sees the change at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date

from relance.adapters.dynamo.mapping import (
    customer_from_record,
    event_record,
    invoice_from_record,
    plan_attribute,
)
from relance.adapters.dynamo.records import CustomerRecord, InvoiceRecord
from relance.adapters.dynamo.repositories import schedule_actions
from relance.adapters.dynamo.transactions import Change, ConflictError, UnitOfWork
from relance.bootstrap import Runtime
from relance.domain.engine import next_action_date
from relance.domain.events import EscalationEvent, EventKind, EventLine, Outcome
from relance.domain.models import Instalment, InvoiceStatus, PaymentPlan
from relance.domain.plans import PlanError, agree_plan
from relance.observability import log_escalation
from relance.services.dunning import record_released_dispatch

# `relance pause --reason dispute` stops until resumed; any other reason pauses until a date.
DISPUTE = "dispute"
_FINAL = frozenset({InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF})


class LeverError(ValueError):
    """A lever that cannot apply: unknown invoice, ambiguous number, a state that forbids it."""


@dataclass(frozen=True)
class LeverResult:
    invoice_id: str
    customer_id: str
    status: str
    paused_until: date | None
    next_action_on: date | None


@dataclass(frozen=True)
class ReleaseResult:
    customer_id: str
    dispatch: str
    was_sent: bool


def _find(rt: Runtime, invoice_id: str, customer_id: str | None) -> InvoiceRecord:
    matches = rt.invoices.find_by_number(invoice_id)
    if customer_id is not None:
        matches = [record for record in matches if record.customer_id == customer_id]
    if not matches:
        raise LeverError(
            f"no invoice {invoice_id!r}" + (f" for customer {customer_id!r}" if customer_id else "")
        )
    if len(matches) > 1:
        owners = ", ".join(sorted(record.customer_id for record in matches))
        raise LeverError(
            f"invoice number {invoice_id!r} exists for several customers ({owners}); pass --customer"
        )
    return matches[0]


def _unique() -> str:
    """Each decision of a person is its own event, even two in the same second or on a simulated clock."""
    return uuid.uuid4().hex[:16]


def _today(rt: Runtime) -> date:
    return rt.calendar.local_date(rt.clock())


def apply_lever(
    rt: Runtime,
    invoice_id: str,
    *,
    status: InvoiceStatus,
    reason: str,
    actor: str,
    until: date | None = None,
    customer_id: str | None = None,
    plan: PaymentPlan | None = None,
    label: str | None = None,
    detail: dict[str, str] | None = None,
) -> LeverResult:
    """Sets the invoice's status (and pause, and plan), reschedules it and logs a STATUS event.

    `label` is the event's step when it is not the status itself (a dated pause leaves the status open).
    Any lever ends a plan in force, except a new plan, which replaces it.
    """
    record = _find(rt, invoice_id, customer_id)
    current = invoice_from_record(record)
    if current.status in _FINAL:
        raise LeverError(f"invoice {invoice_id} is {current.status.value}: nothing left to chase")
    today = _today(rt)
    if until is not None and until < today:
        raise LeverError(f"{until.isoformat()} is in the past (today is {today.isoformat()})")
    customer_record = rt.customers.get(record.customer_id)
    if customer_record is None:
        raise LeverError(f"invoice {invoice_id} belongs to unknown customer {record.customer_id}")
    customer = customer_from_record(customer_record)
    pause_reason = reason if until is not None or status is InvoiceStatus.DISPUTED else None
    changed = replace(current, status=status, paused_until=until, pause_reason=pause_reason, plan=plan)
    next_on = next_action_date(customer, changed, rt.policy_for(customer), rt.calendar, today)
    now = rt.clock().astimezone(UTC)
    details = dict(detail or {})
    if until:
        details["until"] = until.isoformat()
    if current.plan is not None and plan is None:
        details["plan"] = "ended"
    step = label or status.value
    event = EscalationEvent(
        customer_id=record.customer_id,
        kind=EventKind.STATUS,
        occurred_on=today,
        recorded_at=now,
        outcome=Outcome.RECORDED,
        key_suffix=f"{invoice_id}#{step}#{_unique()}",
        step=step,
        invoice_ids=(invoice_id,),
        lines=(EventLine(invoice_id=invoice_id, balance=current.balance),),
        currency=current.currency,
        amount=current.balance,
        reason=reason,
        actor=actor,
        detail=details,
    )
    actions = [
        InvoiceRecord.status.set(status.value),
        InvoiceRecord.paused_until.set(until) if until else InvoiceRecord.paused_until.remove(),
        InvoiceRecord.pause_reason.set(pause_reason) if pause_reason else InvoiceRecord.pause_reason.remove(),
        InvoiceRecord.plan.set(plan_attribute(plan)) if plan else InvoiceRecord.plan.remove(),
        *schedule_actions(record, next_on, rt.settings.due_shards),
    ]
    try:
        UnitOfWork(events=[event_record(event)], changes=[Change(record, actions)]).commit()
    except ConflictError as exc:
        raise LeverError(
            f"invoice {invoice_id} changed while this ran (a payment, a run); try again"
        ) from exc
    log_escalation(event)
    return LeverResult(invoice_id, record.customer_id, status.value, until, next_on)


def dispute(
    rt: Runtime, invoice_id: str, reason: str, actor: str, customer_id: str | None = None
) -> LeverResult:
    """Stops escalation at once until a person resumes it."""
    return apply_lever(
        rt, invoice_id, status=InvoiceStatus.DISPUTED, reason=reason, actor=actor, customer_id=customer_id
    )


def pause(
    rt: Runtime,
    invoice_id: str,
    reason: str,
    actor: str,
    until: date | None = None,
    customer_id: str | None = None,
    note: str | None = None,
) -> LeverResult:
    """`dispute` stops until resumed; any other reason pauses until a date, then escalation resumes.

    A pause for another reason must say until when, so that nothing stays paused by oversight; a dispute
    is the one open-ended stop, and it shows as such in the aging and the log.
    """
    if not reason.strip():
        raise LeverError("a pause needs a reason: --reason dispute, or a few words and --until DATE")
    if reason.strip().lower() == DISPUTE:
        if until is not None:
            raise LeverError(
                "a dispute stops escalation until `relance resume`; drop --until, or give another reason "
                "to pause until a date"
            )
        return dispute(rt, invoice_id, f"{DISPUTE}: {note}" if note else DISPUTE, actor, customer_id)
    if until is None:
        raise LeverError(f"a pause for {reason!r} needs --until DATE (only a dispute pauses with no end)")
    return apply_lever(
        rt,
        invoice_id,
        status=InvoiceStatus.OPEN,
        reason=f"{reason}: {note}" if note else reason,
        actor=actor,
        until=until,
        customer_id=customer_id,
        label="paused",
    )


def promise(
    rt: Runtime,
    invoice_id: str,
    until: date,
    actor: str,
    reason: str = "promise to pay",
    customer_id: str | None = None,
) -> LeverResult:
    """Pauses until the promised date; if still unpaid the day after, escalation resumes where it stopped."""
    return apply_lever(
        rt,
        invoice_id,
        status=InvoiceStatus.PROMISED,
        reason=reason,
        actor=actor,
        until=until,
        customer_id=customer_id,
    )


def resume(
    rt: Runtime, invoice_id: str, actor: str, reason: str = "resumed", customer_id: str | None = None
) -> LeverResult:
    """Back to the escalation where it stopped: ends a dispute, a pause, a promise or a plan."""
    return apply_lever(
        rt, invoice_id, status=InvoiceStatus.OPEN, reason=reason, actor=actor, customer_id=customer_id
    )


def plan(
    rt: Runtime,
    invoice_id: str,
    instalments: Sequence[Instalment],
    actor: str,
    reason: str = "payment plan agreed",
    customer_id: str | None = None,
) -> LeverResult:
    """Replaces the invoice's escalation with the instalments, which must sum to its balance."""
    record = _find(rt, invoice_id, customer_id)
    try:
        agreed = agree_plan(invoice_from_record(record), instalments, _today(rt))
    except PlanError as exc:
        raise LeverError(str(exc)) from None
    return apply_lever(
        rt,
        invoice_id,
        status=InvoiceStatus.PLAN,
        reason=reason,
        actor=actor,
        customer_id=record.customer_id,
        plan=agreed,
        detail={
            "instalments": ",".join(f"{item.due_on.isoformat()}:{item.amount}" for item in agreed.instalments)
        },
    )


def release(
    rt: Runtime, customer_id: str, actor: str, *, was_sent: bool, reason: str | None = None
) -> ReleaseResult:
    """Clears a held dispatch once a person has checked, in SES or with the customer, whether it left.

    Not sent: the claim is cleared and the next run sends the dispatch. Sent: its steps are recorded as
    done (the engine, asked again for that day, names them), so that nothing goes twice.
    """
    record = rt.customers.get(customer_id)
    if record is None:
        raise LeverError(f"no customer {customer_id!r}")
    pending = record.pending_dispatch
    if pending is None:
        raise LeverError(f"customer {customer_id} has no held dispatch")
    now = rt.clock().astimezone(UTC)
    why = reason or (
        "a person checked: the held email did leave; its steps are recorded"
        if was_sent
        else "a person checked: the held email did not leave; the next run sends it"
    )
    event = EscalationEvent(
        customer_id=customer_id,
        kind=EventKind.STATUS,
        occurred_on=_today(rt),
        recorded_at=now,
        outcome=Outcome.RECORDED,
        key_suffix=f"release#{_unique()}",
        step="released",
        reason=why,
        actor=actor,
        detail={"dispatch": pending, "was_sent": "yes" if was_sent else "no"},
    )
    try:
        if was_sent:
            record_released_dispatch(rt, record, pending, actor, why, also=[event])
        else:
            UnitOfWork(
                events=[event_record(event)],
                changes=[
                    Change(
                        record,
                        [CustomerRecord.pending_dispatch.remove(), CustomerRecord.pending_since.remove()],
                        condition=CustomerRecord.pending_dispatch == pending,
                        add_version_condition=False,
                    )
                ],
            ).commit()
    except ConflictError as exc:
        raise LeverError(f"the dispatch of {customer_id} changed while this ran; look again") from exc
    except ValueError as exc:
        raise LeverError(str(exc)) from None
    log_escalation(event)
    return ReleaseResult(customer_id, pending, was_sent)
