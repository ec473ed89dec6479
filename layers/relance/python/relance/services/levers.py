"""What a person decides about an invoice: dispute (pause), resume, promise to pay.

Each lever changes the invoice and logs who did what in the escalation log, in one transaction, and
puts the invoice back in (or out of) the daily index so that the engine sees the change at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date

from relance.adapters.dynamo.mapping import customer_from_record, event_record, invoice_from_record
from relance.adapters.dynamo.records import InvoiceRecord
from relance.adapters.dynamo.repositories import schedule_actions
from relance.adapters.dynamo.transactions import Change, UnitOfWork
from relance.bootstrap import Runtime
from relance.domain.engine import next_action_date
from relance.domain.events import EscalationEvent, EventKind, EventLine, Outcome
from relance.domain.models import InvoiceStatus
from relance.observability import log_escalation


class LeverError(ValueError):
    """A lever that cannot apply: unknown invoice, ambiguous number, a state that forbids it."""


@dataclass(frozen=True)
class LeverResult:
    invoice_id: str
    customer_id: str
    status: str
    paused_until: date | None
    next_action_on: date | None


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


def apply_lever(
    rt: Runtime,
    invoice_id: str,
    *,
    status: InvoiceStatus,
    reason: str,
    actor: str,
    until: date | None = None,
    customer_id: str | None = None,
) -> LeverResult:
    record = _find(rt, invoice_id, customer_id)
    current = invoice_from_record(record)
    if current.status in {InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF}:
        raise LeverError(f"invoice {invoice_id} is {current.status.value}; nothing to {status.value}")
    today = rt.calendar.local_date(rt.clock())
    if until is not None and until < today:
        raise LeverError(f"{until.isoformat()} is in the past (today is {today.isoformat()})")
    customer_record = rt.customers.get(record.customer_id)
    if customer_record is None:
        raise LeverError(f"invoice {invoice_id} belongs to unknown customer {record.customer_id}")
    customer = customer_from_record(customer_record)
    pause_reason = None if status is InvoiceStatus.OPEN else reason
    changed = replace(current, status=status, paused_until=until, pause_reason=pause_reason)
    next_on = next_action_date(customer, changed, rt.policy_for(customer), rt.calendar, today)
    event = EscalationEvent(
        customer_id=record.customer_id,
        kind=EventKind.STATUS,
        occurred_on=today,
        recorded_at=rt.clock().astimezone(UTC),
        outcome=Outcome.RECORDED,
        key_suffix=f"{invoice_id}#{status.value}#{rt.clock().astimezone(UTC):%H%M%S%f}",
        step=status.value,
        invoice_ids=(invoice_id,),
        lines=(EventLine(invoice_id=invoice_id, balance=current.balance),),
        currency=current.currency,
        amount=current.balance,
        reason=reason,
        actor=actor,
        detail={"until": until.isoformat()} if until else {},
    )
    actions = [
        InvoiceRecord.status.set(status.value),
        InvoiceRecord.paused_until.set(until) if until else InvoiceRecord.paused_until.remove(),
        InvoiceRecord.pause_reason.set(pause_reason) if pause_reason else InvoiceRecord.pause_reason.remove(),
        *schedule_actions(record, next_on, rt.settings.due_shards),
    ]
    UnitOfWork(events=[event_record(event)], changes=[Change(record, actions)]).commit()
    log_escalation(event)
    return LeverResult(invoice_id, record.customer_id, status.value, until, next_on)


def dispute(
    rt: Runtime, invoice_id: str, reason: str, actor: str, customer_id: str | None = None
) -> LeverResult:
    """Stops escalation at once until a person resumes it."""
    return apply_lever(
        rt, invoice_id, status=InvoiceStatus.DISPUTED, reason=reason, actor=actor, customer_id=customer_id
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
    return apply_lever(
        rt, invoice_id, status=InvoiceStatus.OPEN, reason=reason, actor=actor, customer_id=customer_id
    )
