"""The escalation engine: from a customer's book, its policy, the calendar and today, what is due.

Pure and deterministic: the same inputs always give the same decision, so a re-run, a retry or a
preview can ask it again and get the same answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from relance.domain.calendar import BusinessCalendar
from relance.domain.models import (
    STOPPED_STATUSES,
    ContactStatus,
    Customer,
    Instalment,
    Invoice,
    InvoiceStatus,
)
from relance.domain.plans import PlanEvent, PlanEventKind, next_plan_event
from relance.domain.policy import Action, Policy, Step

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class PlannedStep:
    """The next step of one invoice and the first open day it may be taken."""

    index: int
    step: Step
    act_on: date


@dataclass(frozen=True)
class InvoiceAction:
    invoice: Invoice
    step: Step
    index: int


@dataclass(frozen=True)
class Hold:
    """An invoice that gets nothing today, and why: shown in logs and previews."""

    invoice_id: str
    reason: str


@dataclass(frozen=True)
class PlanReminder:
    """A payment-plan instalment still uncovered: one reminder, which is not an escalation step."""

    invoice: Invoice
    index: int
    instalment: Instalment


@dataclass(frozen=True)
class PlanBreak:
    """A plan whose instalment stayed uncovered past the grace period: escalation resumes."""

    invoice: Invoice
    index: int
    instalment: Instalment


@dataclass(frozen=True)
class Decision:
    customer_id: str
    on: date
    actions: tuple[InvoiceAction, ...]
    message_step: Step | None
    next_action_on: Mapping[str, date | None]
    holds: tuple[Hold, ...]
    # The day's one message when due: escalation steps due the same day wait for the next message day.
    plan_reminders: tuple[PlanReminder, ...] = ()
    plan_breaks: tuple[PlanBreak, ...] = ()
    # Why the customer's address must not be emailed today (a bounce, a complaint); None when it may be.
    email_blocked: str | None = None

    @property
    def sends_message(self) -> bool:
        """Whether the customer hears from us today (an escalation message or a plan reminder)."""
        return self.message_step is not None or bool(self.plan_reminders)

    @property
    def headline(self) -> Step | None:
        """The step the day's dispatch is logged under: the message's, else the highest step taken."""
        if self.message_step is not None:
            return self.message_step
        return max(self.actions, key=lambda item: item.index).step if self.actions else None

    @property
    def dispatches(self) -> bool:
        """Whether the day needs a dispatch (claimed on the customer): steps to take or a plan reminder.

        A broken plan alone is a state change, recorded without a claim.
        """
        return bool(self.actions or self.plan_reminders)

    @property
    def channels(self) -> frozenset[Action]:
        """What the policy's steps ask for today (plan reminders are emails)."""
        planned = frozenset(action for item in self.actions for action in item.step.actions)
        return planned | {Action.EMAIL} if self.plan_reminders else planned

    @property
    def delivered_channels(self) -> frozenset[Action]:
        """What is actually done: with the address blocked, the account manager calls instead of the email.

        The step is still taken, and the log says it went by call task, not by email: a formal notice can
        then rely on reminders that reached the customer by phone, never on emails that did not leave.
        """
        if self.email_blocked is None or Action.EMAIL not in self.channels:
            return self.channels
        if self.message_step is None:
            # A plan reminder is no escalation step: it is logged as skipped, and the plan's break, if it
            # comes, resumes escalation, whose steps then reach the customer through the account manager.
            return self.channels - {Action.EMAIL}
        return (self.channels - {Action.EMAIL}) | {Action.CALL_TASK}

    def with_action(self, action: Action) -> tuple[InvoiceAction, ...]:
        return tuple(item for item in self.actions if action in item.step.actions)

    def letters_by_currency(self) -> dict[str, tuple[InvoiceAction, ...]]:
        """One letter per currency: a formal notice never mixes amounts in two currencies."""
        grouped: dict[str, list[InvoiceAction]] = defaultdict(list)
        for item in self.with_action(Action.LETTER):
            grouped[item.invoice.currency].append(item)
        return {currency: tuple(items) for currency, items in sorted(grouped.items())}


def plan_next_step(
    invoice: Invoice,
    policy: Policy,
    calendar: BusinessCalendar,
    today: date,
    messages_from: date | None = None,
) -> PlannedStep | None:
    """The invoice's next step and its date, or None when its escalation has nowhere left to go.

    Steps are taken in order and never skipped, except a courtesy step meant only for before the due
    date, which would be false once the invoice is overdue. The date is the later of the step's offset
    from the due date and the minimum spacing after the previous step, moved to the next open day. A step
    that messages the customer also waits for `messages_from`, the customer's next allowed message day.
    """
    start = _next_index(invoice, policy)
    for index in range(start, len(policy.steps)):
        step = policy.steps[index]
        earliest = invoice.due_date + timedelta(days=step.offset_days)
        last_on = invoice.dunning.last_step_on
        if last_on is not None:
            earliest = max(earliest, last_on + timedelta(days=step.min_days_since_previous))
            # Never two steps of one invoice on the same day, whatever the policy's spacing says.
            earliest = max(earliest, last_on + ONE_DAY)
        if step.sends_message and messages_from is not None:
            earliest = max(earliest, messages_from)
        act_on = calendar.next_open(max(earliest, today))
        if step.before_due_only and act_on >= invoice.due_date:
            continue
        return PlannedStep(index=index, step=step, act_on=act_on)
    return None


def _next_index(invoice: Invoice, policy: Policy) -> int:
    done = set(invoice.dunning.steps_done)
    highest = -1
    for index, step in enumerate(policy.steps):
        if step.id in done:
            highest = index
    return highest + 1


def _stop_reason(customer: Customer, invoice: Invoice) -> str | None:
    if invoice.status in STOPPED_STATUSES:
        return f"invoice is {invoice.status.value}"
    if invoice.status is InvoiceStatus.PLAN and invoice.plan is None:
        # A plan status without instalments (set by hand in the table): nothing to watch, nothing to send.
        return "invoice is under a payment plan with no instalments recorded"
    if invoice.balance <= 0:
        return "nothing left to pay"
    if customer.do_not_dun:
        return "customer is flagged do-not-dun"
    return None


def next_message_day(customer: Customer, policy: Policy) -> date | None:
    """The first day the customer may hear from us again: never twice a day, and the policy's spacing."""
    if customer.last_message_on is None:
        return None
    return customer.last_message_on + timedelta(days=max(1, policy.min_days_between_messages))


def next_action_date(
    customer: Customer, invoice: Invoice, policy: Policy, calendar: BusinessCalendar, from_day: date
) -> date | None:
    """The day the engine will next act on this invoice, as stored in the daily index; None leaves it."""
    if _stop_reason(customer, invoice) is not None:
        return None
    if invoice.status is InvoiceStatus.PLAN:
        event = next_plan_event(invoice, policy, calendar, from_day, next_message_day(customer, policy))
        return event.act_on if event else None
    if invoice.paused_until is not None and from_day <= invoice.paused_until:
        from_day = invoice.paused_until + ONE_DAY
    planned = plan_next_step(invoice, policy, calendar, from_day, next_message_day(customer, policy))
    if planned is None or invoice.balance < planned.step.min_balance:
        # The balance only goes down: a step it is too small for will never be taken, nor any after it.
        return None
    return planned.act_on


def email_block_reason(customer: Customer) -> str | None:
    """Why the customer's address must not be emailed (a bounce or a complaint); None when it may be."""
    if customer.contact_status is ContactStatus.OK:
        return None
    return (
        f"contact status is {customer.contact_status.value}: no email to {customer.email} until the "
        "address is fixed"
    )


def decide(
    customer: Customer,
    invoices: Sequence[Invoice],
    policy: Policy,
    calendar: BusinessCalendar,
    today: date,
) -> Decision:
    """What to do today for one customer: at most one step per invoice, at most one message in all."""
    actions: list[InvoiceAction] = []
    holds: list[Hold] = []
    reminders: list[PlanReminder] = []
    breaks: list[PlanBreak] = []
    ordered = sorted(invoices, key=lambda item: (item.due_date, item.invoice_id))
    messages_from = next_message_day(customer, policy)

    for original in ordered:
        invoice = original
        key = invoice.invoice_id
        if invoice.status is InvoiceStatus.PLAN and _stop_reason(customer, invoice) is None:
            event = next_plan_event(invoice, policy, calendar, today, messages_from)
            if event is None or event.act_on != today:
                holds.append(Hold(key, _plan_hold(invoice, event)))
                continue
            if event.kind is PlanEventKind.REMINDER:
                reminders.append(PlanReminder(invoice, event.index, event.instalment))
                continue
            breaks.append(PlanBreak(invoice, event.index, event.instalment))
            # Broken today: the invoice is open again and may take its next step today.
            invoice = replace(invoice, status=InvoiceStatus.OPEN, plan=None)
        if next_action_date(customer, invoice, policy, calendar, today) != today:
            if invoice.paused_until is not None and today <= invoice.paused_until:
                holds.append(
                    Hold(key, f"paused until {invoice.paused_until.isoformat()} ({invoice.pause_reason})")
                )
            elif (below := _below_minimum(invoice, policy, calendar, today)) is not None:
                holds.append(
                    Hold(
                        key,
                        f"balance {invoice.balance} is below the minimum {below.min_balance} "
                        f"of step '{below.id}'; escalation stops here",
                    )
                )
            elif _waits_for_next_message(customer, invoice, policy, calendar, today):
                holds.append(
                    Hold(
                        key,
                        f"waits to join the customer's next message (last one on {customer.last_message_on})",
                    )
                )
            continue
        planned = plan_next_step(invoice, policy, calendar, today, messages_from)
        assert planned is not None  # next_action_date is today only when a step is planned for today
        actions.append(InvoiceAction(invoice=invoice, step=planned.step, index=planned.index))

    if reminders and actions:
        # One message a day, and the plan reminder goes first: it is due a few days before the plan
        # would break, while a step is a minimum date that may wait for the customer's next message.
        holds.extend(
            Hold(item.invoice.invoice_id, "waits: a payment-plan reminder is the customer's message today")
            for item in actions
        )
        actions = []
    message_items = [item for item in actions if item.step.sends_message]
    message_step = max(message_items, key=lambda item: item.index).step if message_items else None
    decision = Decision(
        customer_id=customer.customer_id,
        on=today,
        actions=tuple(actions),
        message_step=message_step,
        next_action_on={},
        holds=tuple(holds),
        plan_reminders=tuple(reminders),
        plan_breaks=tuple(breaks),
    )
    if decision.sends_message:
        decision = replace(decision, email_blocked=email_block_reason(customer))
    # Next dates follow today's decision carried out, so the index never promises a day the engine would
    # not act on (the message spacing, the step just taken, the reminder just sent).
    return replace(decision, next_action_on=next_action_dates(customer, ordered, policy, calendar, decision))


def carry_out(
    customer: Customer, invoices: Sequence[Invoice], decision: Decision
) -> tuple[Customer, tuple[Invoice, ...]]:
    """The customer and invoices once the decision is done, as the worker records it in one transaction.

    Idempotent: applied to a state that already holds the decision (a reload after a concurrent commit)
    it changes nothing more.
    """
    day = decision.on
    steps = {item.invoice.invoice_id: item.step.id for item in decision.actions}
    reminded = {item.invoice.invoice_id: item.index for item in decision.plan_reminders}
    broken = {item.invoice.invoice_id for item in decision.plan_breaks}
    after: list[Invoice] = []
    for invoice in invoices:
        key = invoice.invoice_id
        if key in broken and invoice.status is InvoiceStatus.PLAN:
            invoice = replace(invoice, status=InvoiceStatus.OPEN, plan=None)
        if key in reminded and invoice.plan is not None:
            invoice = replace(invoice, plan=invoice.plan.after_reminder(reminded[key]))
        if key in steps and steps[key] not in invoice.dunning.steps_done:
            invoice = replace(invoice, dunning=invoice.dunning.after(steps[key], day))
        after.append(invoice)
    if decision.sends_message:
        customer = replace(customer, last_message_on=day)
    return customer, tuple(after)


def next_action_dates(
    customer: Customer,
    invoices: Sequence[Invoice],
    policy: Policy,
    calendar: BusinessCalendar,
    decision: Decision,
) -> dict[str, date | None]:
    """Each invoice's next action date once `decision` is carried out: what the daily index must hold."""
    after_customer, after = carry_out(customer, invoices, decision)
    touched = (
        {item.invoice.invoice_id for item in decision.actions}
        | {item.invoice.invoice_id for item in decision.plan_reminders}
        | {item.invoice.invoice_id for item in decision.plan_breaks}
    )
    return {
        invoice.invoice_id: next_action_date(
            after_customer,
            invoice,
            policy,
            calendar,
            decision.on + ONE_DAY if invoice.invoice_id in touched else decision.on,
        )
        for invoice in after
    }


def _plan_hold(invoice: Invoice, event: PlanEvent | None) -> str:
    if event is None:
        return "under a payment plan whose instalments are all covered; a person should review the balance"
    return (
        f"under a payment plan: instalment {event.index + 1} ({event.instalment.amount} {invoice.currency} "
        f"due {event.instalment.due_on.isoformat()}), {event.kind.value.replace('_', ' ')} on "
        f"{event.act_on.isoformat()} if still uncovered"
    )


def _below_minimum(invoice: Invoice, policy: Policy, calendar: BusinessCalendar, today: date) -> Step | None:
    """The step the invoice would take next were its balance not under that step's minimum."""
    if invoice.status in STOPPED_STATUSES or invoice.status is InvoiceStatus.PLAN or invoice.balance <= 0:
        return None
    planned = plan_next_step(invoice, policy, calendar, today)
    return planned.step if planned and invoice.balance < planned.step.min_balance else None


def _waits_for_next_message(
    customer: Customer, invoice: Invoice, policy: Policy, calendar: BusinessCalendar, today: date
) -> bool:
    planned = plan_next_step(invoice, policy, calendar, today)
    return planned is not None and planned.act_on <= today and planned.step.sends_message
