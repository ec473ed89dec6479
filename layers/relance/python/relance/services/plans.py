"""Payment plans at work: the reminder email for an uncovered instalment, and the log of a broken plan.

A plan reminder is the day's one message to the customer, claimed like any dispatch (so never sent
twice) and logged as a `plan_reminder` event, never as an escalation step: the escalation's steps_done
are untouched and a formal notice can never lean on it. Which instalments were reminded is kept on the
plan itself, so the same instalment is never reminded twice either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from relance.config import Company
from relance.domain.amounts import ZERO
from relance.domain.engine import Decision, PlanBreak, PlanReminder
from relance.domain.events import EscalationEvent, EventKind, EventLine, Outcome
from relance.domain.models import Customer, Invoice, PaymentPlan
from relance.domain.plans import instalments_due
from relance.domain.policy import Action, Policy, Step
from relance.services.documents import invoice_line
from relance.services.messages import base_context

# The reminder's template and headline; not a policy step (it never enters steps_done).
PLAN_REMINDER = Step(
    id="plan_reminder", offset_days=0, actions=frozenset({Action.EMAIL}), template="plan_reminder"
)


def plan_lines(plan: PaymentPlan, invoice: Invoice, today: date) -> list[dict[str, Any]]:
    """Each instalment with its state: paid (covered by what came in since the plan), missed, or to come."""
    paid = invoice.amount_paid - plan.paid_at_start
    running = ZERO
    lines = []
    for index, instalment in enumerate(plan.instalments):
        running += instalment.amount
        covered = paid >= running
        state = "paid" if covered else ("missed" if instalment.due_on < today else "upcoming")
        lines.append(
            {"number": index + 1, "due_on": instalment.due_on, "amount": instalment.amount, "state": state}
        )
    return lines


def reminder_context(
    *,
    company: Company,
    customer: Customer,
    reminders: Sequence[PlanReminder],
    policy: Policy,
    today: date,
) -> dict[str, Any]:
    """The variables of plan_reminder.{txt,html}.j2: the usual message variables plus `plans`.

    `plans` holds one entry per invoice reminded: `number`, `currency`, `missed` (the instalment reminded:
    `number`, `due_on`, `amount`), `overdue` (everything due under the plan by today and not paid),
    `instalments` (each with `number`, `due_on`, `amount`, `state`: paid | missed | upcoming) and
    `grace_until` (after that day, the plan is broken and the escalation resumes).
    """
    context = base_context(
        company=company,
        customer=customer,
        step=PLAN_REMINDER,
        lines=[invoice_line(item.invoice, today, PLAN_REMINDER.id) for item in reminders],
        today=today,
        account_manager=None,
        reference_invoices=[item.invoice for item in reminders],
    )
    plans = []
    for item in reminders:
        plan = item.invoice.plan
        assert plan is not None  # the engine reminds only invoices under a plan
        plans.append(
            {
                "number": item.invoice.invoice_id,
                "currency": item.invoice.currency,
                "missed": {
                    "number": item.index + 1,
                    "due_on": item.instalment.due_on,
                    "amount": item.instalment.amount,
                },
                "overdue": instalments_due(plan, item.invoice.amount_paid, today),
                "instalments": plan_lines(plan, item.invoice, today),
                "grace_until": item.instalment.due_on + timedelta(days=policy.payment_plan.grace_days),
            }
        )
    context["plans"] = plans
    return context


def reminder_event(
    decision: Decision,
    *,
    now: datetime,
    run_id: str,
    dispatch_key: str,
    message_id: str | None,
    outcome: Outcome,
    reason: str | None,
    customer_name: str | None = None,
    email: tuple[str, str] | None = None,
) -> EscalationEvent:
    """The log entry of the day's plan reminder: its own kind, so that no count of steps includes it."""
    items = decision.plan_reminders
    currencies = {item.invoice.currency for item in items}
    single = next(iter(currencies)) if len(currencies) == 1 else None
    detail = {"dispatch": dispatch_key}
    for item in items:
        detail[f"instalment.{item.invoice.invoice_id}"] = (
            f"{item.index + 1}: {item.instalment.amount} {item.invoice.currency} "
            f"due {item.instalment.due_on.isoformat()}"
        )
    return EscalationEvent(
        customer_id=decision.customer_id,
        kind=EventKind.PLAN_REMINDER,
        occurred_on=decision.on,
        recorded_at=now.astimezone(UTC),
        outcome=outcome,
        key_suffix=f"{PLAN_REMINDER.id}#{outcome.value}"
        if outcome in {Outcome.SENT, Outcome.SKIPPED}
        else f"{PLAN_REMINDER.id}#{outcome.value}#{now.astimezone(UTC):%H%M%S%f}",
        step=PLAN_REMINDER.id,
        channels=tuple(sorted(action.value for action in decision.delivered_channels)),
        invoice_ids=tuple(item.invoice.invoice_id for item in items),
        lines=tuple(
            EventLine(invoice_id=item.invoice.invoice_id, balance=item.invoice.balance, step=PLAN_REMINDER.id)
            for item in items
        ),
        currency=single,
        amount=sum((item.instalment.amount for item in items), ZERO) if single else None,
        reason=reason,
        run_id=run_id,
        message_id=message_id,
        detail=detail,
        customer_name=customer_name,
        email_key=email[0] if email else None,
        email_sha256=email[1] if email else None,
    )


def break_event(item: PlanBreak, policy: Policy, *, on: date, now: datetime, run_id: str) -> EscalationEvent:
    """A STATUS entry: the plan is broken, the invoice is open again and escalation resumes."""
    invoice = item.invoice
    last = invoice.dunning.last_step
    grace = policy.payment_plan.grace_days
    resumes = f"after step '{last}'" if last else "from the first step"
    reason = (
        f"payment plan broken: instalment {item.index + 1} ({item.instalment.amount} {invoice.currency} due "
        f"{item.instalment.due_on.isoformat()}) still unpaid {grace} days after its date; escalation resumes "
        f"{resumes}"
    )
    return EscalationEvent(
        customer_id=invoice.customer_id,
        kind=EventKind.STATUS,
        occurred_on=on,
        recorded_at=now.astimezone(UTC),
        outcome=Outcome.RECORDED,
        # One break per plan and invoice: a retried write of the same break collides instead of doubling.
        key_suffix=f"{invoice.invoice_id}#plan_broken",
        step="open",
        invoice_ids=(invoice.invoice_id,),
        lines=(EventLine(invoice_id=invoice.invoice_id, balance=invoice.balance),),
        currency=invoice.currency,
        amount=invoice.balance,
        reason=reason,
        run_id=run_id,
        actor="system",
        detail={"plan": "broken", "instalment": str(item.index + 1)},
    )
