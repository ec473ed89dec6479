"""Payment plans: instalments agreed with the customer instead of the escalation schedule.

While the plan is kept the invoice gets no escalation step. An instalment still uncovered a few days
after its date gets one reminder (never counted as an escalation step); one still uncovered after the
grace period breaks the plan, and escalation resumes at the policy step after the last one done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from relance.domain.amounts import ZERO, quantum
from relance.domain.calendar import BusinessCalendar
from relance.domain.models import Instalment, Invoice, InvoiceStatus, PaymentPlan
from relance.domain.policy import Policy

# Statuses a plan cannot be agreed on: there is nothing left to schedule.
_CLOSED = frozenset({InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF})


class PlanError(ValueError):
    """Instalments that cannot make a plan for this invoice; the message says which and why."""


class PlanEventKind(StrEnum):
    REMINDER = "plan_reminder"
    BREAK = "plan_broken"


@dataclass(frozen=True)
class PlanEvent:
    """The next thing a plan needs: a reminder for, or the break on, its first uncovered instalment."""

    kind: PlanEventKind
    index: int
    instalment: Instalment
    act_on: date


def agree_plan(invoice: Invoice, instalments: Sequence[Instalment], today: date) -> PaymentPlan:
    """A plan for the invoice's balance, or PlanError naming the first problem found."""
    if invoice.status in _CLOSED:
        raise PlanError(f"invoice {invoice.invoice_id} is {invoice.status.value}; no plan to agree")
    if invoice.balance <= ZERO:
        raise PlanError(f"invoice {invoice.invoice_id} has nothing left to pay")
    if not instalments:
        raise PlanError("a plan needs at least one instalment (DATE:AMOUNT)")
    step = quantum(invoice.currency)
    previous: date | None = None
    for position, instalment in enumerate(instalments, start=1):
        where = f"instalment {position} ({instalment.due_on.isoformat()})"
        if instalment.due_on < today:
            raise PlanError(f"{where} is in the past (today is {today.isoformat()})")
        if previous is not None and instalment.due_on <= previous:
            raise PlanError(f"{where} must come after the previous one ({previous.isoformat()})")
        if instalment.amount <= ZERO:
            raise PlanError(f"{where}: the amount must be positive, got {instalment.amount}")
        if instalment.amount != instalment.amount.quantize(step):
            raise PlanError(f"{where}: {instalment.amount} has more decimals than {invoice.currency} allows")
        previous = instalment.due_on
    total = sum((instalment.amount for instalment in instalments), ZERO)
    if total != invoice.balance:
        raise PlanError(
            f"the instalments sum to {total} {invoice.currency} but the balance of {invoice.invoice_id} "
            f"is {invoice.balance} {invoice.currency}"
        )
    return PaymentPlan(instalments=tuple(instalments), agreed_on=today, paid_at_start=invoice.amount_paid)


def instalments_due(plan: PaymentPlan, amount_paid: Decimal, today: date) -> Decimal:
    """What the customer should have paid under the plan by today and has not."""
    paid = amount_paid - plan.paid_at_start
    expected = sum((item.amount for item in plan.instalments if item.due_on <= today), ZERO)
    return max(ZERO, expected - paid)


def next_plan_event(
    invoice: Invoice,
    policy: Policy,
    calendar: BusinessCalendar,
    today: date,
    messages_from: date | None = None,
) -> PlanEvent | None:
    """The plan's next reminder or break, on an open day not before `today`; None once all is covered.

    Only the first uncovered instalment matters: payments count toward the instalments in order. Its
    reminder waits for the customer's next allowed message day, like any message; a reminder that could
    only go on or after the break day is dropped, the break says more.
    """
    plan = invoice.plan
    if plan is None:
        return None
    index = plan.first_uncovered(invoice.amount_paid)
    if index is None:
        return None
    instalment = plan.instalments[index]
    terms = policy.payment_plan
    # "Unpaid past the grace period": the first day after it.
    break_on = calendar.next_open(max(instalment.due_on + timedelta(days=terms.grace_days + 1), today))
    if index not in plan.reminded:
        earliest = instalment.due_on + timedelta(days=terms.reminder_after_days)
        if messages_from is not None:
            earliest = max(earliest, messages_from)
        remind_on = calendar.next_open(max(earliest, today))
        if remind_on < break_on:
            return PlanEvent(PlanEventKind.REMINDER, index, instalment, remind_on)
    return PlanEvent(PlanEventKind.BREAK, index, instalment, break_on)
