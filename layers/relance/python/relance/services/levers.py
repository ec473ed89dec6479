"""What a person decides: pause (a dispute or another reason), resume, promise to pay, payment plan, the
release of a held dispatch, and taking a case back from collection.

Each lever changes the invoice (or the customer and its case) and logs who did what as a STATUS event in the
escalation log, in one save with the book's settled state (cases opened or closed, the customer's next
action date in the daily index), so that the engine sees the change at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date

from relance.domain.cases import reopen as reopen_case
from relance.domain.engine import invoice_stop_reason
from relance.domain.events import EscalationEvent, EventKind, EventLine, Outcome
from relance.domain.models import Customer, DispatchState, Instalment, Invoice, InvoiceStatus, PaymentPlan
from relance.domain.plans import PlanError, agree_plan
from relance.domain.policy import Policy
from relance.observability import log_escalation
from relance.ports import Change, ConflictError, Context
from relance.services.bookkeeping import Edit, edit_book
from relance.services.case_log import case_events
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


def _find(ctx: Context, invoice_id: str, customer_id: str | None) -> Invoice:
    matches = ctx.book.find_invoices(invoice_id)
    if customer_id is not None:
        matches = [invoice for invoice in matches if invoice.customer_id == customer_id]
    if not matches:
        raise LeverError(
            f"no invoice {invoice_id!r}" + (f" for customer {customer_id!r}" if customer_id else "")
        )
    if len(matches) > 1:
        owners = ", ".join(sorted(invoice.customer_id for invoice in matches))
        raise LeverError(
            f"invoice number {invoice_id!r} exists for several customers ({owners}); pass --customer"
        )
    return matches[0]


def _unique() -> str:
    """Each decision of a person is its own event, even two in the same second or on a simulated clock."""
    return uuid.uuid4().hex[:16]


def _today(ctx: Context) -> date:
    return ctx.calendar.local_date(ctx.clock())


def apply_lever(
    ctx: Context,
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
    """Sets the invoice's status (and pause, and plan), settles the book and logs a STATUS event.

    `label` is the event's step when it is not the status itself (a dated pause leaves the status open).
    Any lever ends a plan in force, except a new plan, which replaces it.
    """
    found = _find(ctx, invoice_id, customer_id)
    today = _today(ctx)
    if until is not None and until < today:
        raise LeverError(f"{until.isoformat()} is in the past (today is {today.isoformat()})")
    now = ctx.clock().astimezone(UTC)
    pause_reason = reason if until is not None or status is InvoiceStatus.DISPUTED else None
    event_suffix = _unique()

    def change(customer: Customer, invoices: Sequence[Invoice], policy: Policy) -> Edit:
        current = next((i for i in invoices if i.invoice_id == invoice_id), None)
        if current is None:
            raise LeverError(f"invoice {invoice_id} is gone")
        if current.status in _FINAL:
            raise LeverError(f"invoice {invoice_id} is {current.status.value}: nothing left to chase")
        changed = replace(current, status=status, paused_until=until, pause_reason=pause_reason, plan=plan)
        details = dict(detail or {})
        if until:
            details["until"] = until.isoformat()
        if current.plan is not None and plan is None:
            details["plan"] = "ended"
        step = label or status.value
        case = next((c for c in customer.cases if c.currency == current.currency), None)
        event = EscalationEvent(
            customer_id=customer.customer_id,
            kind=EventKind.STATUS,
            occurred_on=today,
            recorded_at=now,
            outcome=Outcome.RECORDED,
            key_suffix=f"{invoice_id}#{step}#{event_suffix}",
            step=step,
            invoice_ids=(invoice_id,),
            lines=(EventLine(invoice_id=invoice_id, balance=current.balance),),
            currency=current.currency,
            amount=current.balance,
            reason=reason,
            actor=actor,
            detail=details,
            case_id=case.case_id if case is not None else None,
            customer_name=customer.name,
        )
        return Edit(customer, [changed], [event])

    try:
        saved = edit_book(ctx, found.customer_id, change, actor=actor)
    except ConflictError as exc:
        raise LeverError(
            f"invoice {invoice_id} changed while this ran (a payment, a run); try again"
        ) from exc
    except LookupError as exc:
        raise LeverError(f"invoice {invoice_id} belongs to unknown customer {found.customer_id}") from exc
    for event in saved.events:
        log_escalation(event)
    return LeverResult(invoice_id, found.customer_id, status.value, until, saved.customer.next_action_on)


def dispute(
    ctx: Context, invoice_id: str, reason: str, actor: str, customer_id: str | None = None
) -> LeverResult:
    """Stops escalation at once until a person resumes it."""
    return apply_lever(
        ctx, invoice_id, status=InvoiceStatus.DISPUTED, reason=reason, actor=actor, customer_id=customer_id
    )


def pause(
    ctx: Context,
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
        return dispute(ctx, invoice_id, f"{DISPUTE}: {note}" if note else DISPUTE, actor, customer_id)
    if until is None:
        raise LeverError(f"a pause for {reason!r} needs --until DATE (only a dispute pauses with no end)")
    return apply_lever(
        ctx,
        invoice_id,
        status=InvoiceStatus.OPEN,
        reason=f"{reason}: {note}" if note else reason,
        actor=actor,
        until=until,
        customer_id=customer_id,
        label="paused",
    )


def promise(
    ctx: Context,
    invoice_id: str,
    until: date,
    actor: str,
    reason: str = "promise to pay",
    customer_id: str | None = None,
) -> LeverResult:
    """Pauses until the promised date; if still unpaid the day after, escalation resumes where it stopped."""
    return apply_lever(
        ctx,
        invoice_id,
        status=InvoiceStatus.PROMISED,
        reason=reason,
        actor=actor,
        until=until,
        customer_id=customer_id,
    )


def resume(
    ctx: Context, invoice_id: str, actor: str, reason: str = "resumed", customer_id: str | None = None
) -> LeverResult:
    """Back to the escalation where it stopped: ends a dispute, a pause, a promise or a plan."""
    return apply_lever(
        ctx, invoice_id, status=InvoiceStatus.OPEN, reason=reason, actor=actor, customer_id=customer_id
    )


def plan(
    ctx: Context,
    invoice_id: str,
    instalments: Sequence[Instalment],
    actor: str,
    reason: str = "payment plan agreed",
    customer_id: str | None = None,
) -> LeverResult:
    """Replaces the invoice's escalation with the instalments, which must sum to its balance."""
    found = _find(ctx, invoice_id, customer_id)
    try:
        agreed = agree_plan(found, instalments, _today(ctx))
    except PlanError as exc:
        raise LeverError(str(exc)) from None
    return apply_lever(
        ctx,
        invoice_id,
        status=InvoiceStatus.PLAN,
        reason=reason,
        actor=actor,
        customer_id=found.customer_id,
        plan=agreed,
        detail={
            "instalments": ",".join(f"{item.due_on.isoformat()}:{item.amount}" for item in agreed.instalments)
        },
    )


def release(
    ctx: Context, customer_id: str, actor: str, *, was_sent: bool, reason: str | None = None
) -> ReleaseResult:
    """Clears a held dispatch once a person has checked, in SES or with the customer, whether it left.

    Not sent: the claim is cleared and the next run sends the dispatch. Sent: its steps are recorded as
    done (the engine, asked again for that day, names them), so that nothing goes twice.
    """
    customer = ctx.book.customer(customer_id)
    if customer is None:
        raise LeverError(f"no customer {customer_id!r}")
    pending = customer.dispatch.pending
    if pending is None:
        raise LeverError(f"customer {customer_id} has no held dispatch")
    now = ctx.clock().astimezone(UTC)
    why = reason or (
        "a person checked: the held email did leave; its steps are recorded"
        if was_sent
        else "a person checked: the held email did not leave; the next run sends it"
    )
    event = EscalationEvent(
        customer_id=customer_id,
        kind=EventKind.STATUS,
        occurred_on=_today(ctx),
        recorded_at=now,
        outcome=Outcome.RECORDED,
        key_suffix=f"release#{_unique()}",
        step="released",
        reason=why,
        actor=actor,
        detail={"dispatch": pending, "was_sent": "yes" if was_sent else "no"},
        customer_name=customer.name,
    )
    try:
        if was_sent:
            record_released_dispatch(ctx, customer, actor, why, also=[event])
        else:
            released = replace(customer, dispatch=DispatchState(last=customer.dispatch.last))
            ctx.book.save([Change(customer, released, dispatch=pending)], [event])
    except ConflictError as exc:
        raise LeverError(f"the dispatch of {customer_id} changed while this ran; look again") from exc
    except ValueError as exc:
        raise LeverError(str(exc)) from None
    log_escalation(event)
    return ReleaseResult(customer_id, pending, was_sent)


def reopen(ctx: Context, customer_id: str, currency: str, actor: str, reason: str) -> list[EscalationEvent]:
    """Takes a case back from collection: it ends, and what is still owed escalates in a fresh case."""
    today = _today(ctx)

    def change(customer: Customer, invoices: Sequence[Invoice], policy: Policy) -> Edit:
        try:
            after, changes = reopen_case(customer, currency.upper(), today)
        except ValueError as exc:
            raise LeverError(str(exc)) from None
        events = case_events(ctx, customer, changes, invoices, policy, today, None, actor=actor)
        return Edit(after, (), [replace(event, reason=f"{event.reason}: {reason}") for event in events])

    try:
        saved = edit_book(ctx, customer_id, change, actor=actor)
    except LookupError as exc:
        raise LeverError(str(exc)) from None
    except ConflictError as exc:
        raise LeverError(f"customer {customer_id} changed while this ran; try again") from exc
    for event in saved.events:
        log_escalation(event)
    return list(saved.events)


def stop_reason(ctx: Context, invoice: Invoice) -> str | None:
    """Why nothing goes out for the invoice today (for the CLI's one-line answer); None when chased."""
    customer = ctx.book.customer(invoice.customer_id)
    if customer is None:
        return "unknown customer"
    return invoice_stop_reason(customer, invoice, _today(ctx))
