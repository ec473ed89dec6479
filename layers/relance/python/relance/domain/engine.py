"""The escalation engine: from a customer's book, its policy, the calendar and today, what is due.

The unit is the customer: its cases (one per currency, relance.domain.cases) each take at most one step a
day, and everything the customer gets that day travels in one message: the cases' steps, invoices falling
due soon ("à échoir"), or a payment-plan reminder. Pure and deterministic: the same inputs always give the
same decision, so a re-run, a retry or a preview can ask it again and get the same answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from relance.domain.calendar import BusinessCalendar
from relance.domain.cases import (
    CaseAction,
    CaseChange,
    CaseWait,
    adopt_legacy,
    after_action,
    case_next_date,
    case_today,
    chase_block,
    courtesy_day,
    is_settled,
    needs_adoption,
    reconcile,
    with_courtesy,
)
from relance.domain.models import (
    STOPPED_STATUSES,
    Case,
    CaseState,
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
class Hold:
    """Something that gets nothing today, and why: shown in logs and previews."""

    subject: str
    """An invoice number or a case id."""
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
    """What one customer gets on one day, and the book it leaves.

    `customer` is the customer as the day found it once its cases were reconciled (opened, closed, held):
    what the worker saves with the dispatch, and what `case_changes` logs.
    """

    customer: Customer
    on: date
    case_actions: tuple[CaseAction, ...] = ()
    courtesy: tuple[Invoice, ...] = ()
    """Invoices falling due soon: in the day's case message as "à échoir", or a courtesy notice by itself."""
    courtesy_step: Step | None = None
    holds: tuple[Hold, ...] = ()
    plan_reminders: tuple[PlanReminder, ...] = ()
    plan_breaks: tuple[PlanBreak, ...] = ()
    case_changes: tuple[CaseChange, ...] = ()
    email_blocked: str | None = None
    """Why the customer's address must not be emailed today (a bounce, a complaint); None when it may be."""

    @property
    def customer_id(self) -> str:
        return self.customer.customer_id

    @property
    def message_step(self) -> Step | None:
        """The step the day's message is headed by: the highest case step, else the courtesy notice."""
        messaging = [item for item in self.case_actions if item.step.sends_message]
        if messaging:
            return max(messaging, key=lambda item: item.rank).step
        return self.courtesy_step if self.courtesy else None

    @property
    def sends_message(self) -> bool:
        return self.message_step is not None or bool(self.plan_reminders)

    @property
    def headline(self) -> Step | None:
        """The step the day's dispatch is logged under: the message's, else the highest step taken."""
        if self.message_step is not None:
            return self.message_step
        return max(self.case_actions, key=lambda item: item.rank).step if self.case_actions else None

    @property
    def dispatches(self) -> bool:
        """Whether the day needs a dispatch claimed on the customer: a message, a task or an event."""
        return bool(self.case_actions or self.courtesy or self.plan_reminders)

    @property
    def channels(self) -> frozenset[Action]:
        planned = frozenset(action for item in self.case_actions for action in item.step.actions)
        if self.courtesy or self.plan_reminders:
            planned |= {Action.EMAIL}
        return planned

    @property
    def delivered_channels(self) -> frozenset[Action]:
        """What is actually done: with the address blocked, the account manager calls instead of the email.

        A case step is still taken, and the log says it went by call task, not by email: a formal notice can
        then rely on reminders that reached the customer by phone, never on emails that did not leave.
        """
        if self.email_blocked is None or Action.EMAIL not in self.channels:
            return self.channels
        if not self.case_actions:
            # A courtesy notice or a plan reminder is no step: it is logged as skipped.
            return self.channels - {Action.EMAIL}
        return (self.channels - {Action.EMAIL}) | {Action.CALL_TASK}

    def with_action(self, action: Action) -> tuple[CaseAction, ...]:
        return tuple(item for item in self.case_actions if action in item.step.actions)

    @property
    def invoice_ids(self) -> tuple[str, ...]:
        """Every invoice the day's dispatch concerns, cases first, then those falling due, then plans."""
        seen: dict[str, None] = {}
        for item in self.case_actions:
            seen.update(dict.fromkeys(item.invoice_ids))
        seen.update(dict.fromkeys(invoice.invoice_id for invoice in self.courtesy))
        seen.update(dict.fromkeys(item.invoice.invoice_id for item in self.plan_reminders))
        return tuple(seen)


def next_message_day(customer: Customer, policy: Policy) -> date | None:
    """The first day the customer may hear from us again: never twice a day, and the policy's spacing."""
    if customer.last_message_on is None:
        return None
    return customer.last_message_on + timedelta(days=max(1, policy.min_days_between_messages))


def email_block_reason(customer: Customer) -> str | None:
    """Why the customer's address must not be emailed (a bounce or a complaint); None when it may be."""
    if customer.contact_status is ContactStatus.OK:
        return None
    return (
        f"contact status is {customer.contact_status.value}: no email to {customer.email} until the "
        "address is fixed"
    )


def settle_book(
    customer: Customer, invoices: Sequence[Invoice], policy: Policy, day: date
) -> tuple[Customer, tuple[Invoice, ...], tuple[CaseChange, ...], bool]:
    """The book as `day` finds it: an earlier version's per-invoice steps read into cases, then the cases
    reconciled. Returns the customer, the invoices, what changed, and whether the invoices were adopted."""
    adopted = False
    changes: tuple[CaseChange, ...] = ()
    if needs_adoption(invoices, policy):
        customer, invoices, changes = adopt_legacy(customer, invoices, policy, day)
        adopted = True
    customer, reconciled = reconcile(customer, invoices, day)
    return customer, tuple(invoices), changes + reconciled, adopted


def decide(
    customer: Customer,
    invoices: Sequence[Invoice],
    policy: Policy,
    calendar: BusinessCalendar,
    today: date,
) -> Decision:
    """What to do today for one customer: at most one step per case, at most one message in all."""
    customer, invoices, changes, _ = settle_book(customer, invoices, policy, today)
    base = Decision(customer=customer, on=today, case_changes=changes)
    if customer.do_not_dun:
        return replace(base, holds=(Hold(customer.customer_id, "customer is flagged do-not-dun"),))
    holds: list[Hold] = []
    messages_from = next_message_day(customer, policy)

    reminders: list[PlanReminder] = []
    breaks: list[PlanBreak] = []
    for invoice in sorted(invoices, key=lambda item: (item.due_date, item.invoice_id)):
        if invoice.status is not InvoiceStatus.PLAN or is_settled(invoice):
            continue
        event = next_plan_event(invoice, policy, calendar, today, messages_from)
        if event is None or event.act_on != today:
            holds.append(Hold(invoice.invoice_id, _plan_hold(invoice, event)))
        elif event.kind is PlanEventKind.REMINDER:
            reminders.append(PlanReminder(invoice, event.index, event.instalment))
        else:
            breaks.append(PlanBreak(invoice, event.index, event.instalment))
    if breaks:
        # Broken today: the invoices are open again and the case chases them from today.
        broken = {item.invoice.invoice_id for item in breaks}
        invoices = tuple(
            replace(invoice, status=InvoiceStatus.OPEN, plan=None)
            if invoice.invoice_id in broken
            else invoice
            for invoice in invoices
        )
        customer, more = reconcile(customer, invoices, today)
        changes += more

    actions: list[CaseAction] = []
    for case in sorted(customer.cases, key=lambda item: (item.currency, item.state.value)):
        outcome = case_today(
            case, customer.cases, invoices, policy, calendar, today, messages_from, policy.postal_delay_days
        )
        if isinstance(outcome, CaseAction):
            actions.append(outcome)
        elif isinstance(outcome, CaseWait):
            holds.append(Hold(case.case_id, outcome.reason))

    courtesy_step, courtesy = _courtesy_today(
        customer, invoices, policy, calendar, today, messages_from, actions
    )
    if reminders and (actions or courtesy):
        # One message a day, and the plan reminder goes first: it is due a few days before the plan would
        # break, while a step is a minimum date that may wait for the customer's next message.
        holds.extend(
            Hold(item.case.case_id, "waits: a payment-plan reminder is today's message") for item in actions
        )
        actions, courtesy = [], ()
    decision = replace(
        base,
        customer=customer,
        case_actions=tuple(actions),
        courtesy=courtesy,
        courtesy_step=courtesy_step if courtesy else None,
        holds=tuple(holds),
        plan_reminders=tuple(reminders),
        plan_breaks=tuple(breaks),
        case_changes=changes,
    )
    if decision.sends_message:
        decision = replace(decision, email_blocked=email_block_reason(customer))
    return decision


def _courtesy_today(
    customer: Customer,
    invoices: Sequence[Invoice],
    policy: Policy,
    calendar: BusinessCalendar,
    today: date,
    messages_from: date | None,
    actions: Sequence[CaseAction],
) -> tuple[Step | None, tuple[Invoice, ...]]:
    """Invoices whose pre-due notice is due: riding in the day's case message, or by themselves when the
    customer has no case; a customer in a case gets them only in a case message."""
    steps = policy.courtesy_steps
    if not steps:
        return None, ()
    step = steps[0]
    # A debtor in a case (or with collection) hears of what falls due only in the case's own messages.
    in_a_case = bool(customer.cases)
    if in_a_case and not any(item.step.sends_message for item in actions):
        return step, ()
    due = tuple(
        invoice
        for invoice in sorted(invoices, key=lambda item: (item.due_date, item.invoice_id))
        if today < invoice.due_date
        and (when := courtesy_day(invoice, step, calendar, today, None if in_a_case else messages_from))
        is not None
        and when <= today
    )
    return step, due


def carry_out(
    customer: Customer, invoices: Sequence[Invoice], policy: Policy, decision: Decision
) -> tuple[Customer, tuple[Invoice, ...]]:
    """The customer and invoices once the decision is done, as the worker records it in one transaction.

    Works on the book as it is now, which may be fresher than the one decided on (a payment landed in
    between): the book is settled again, then the day's actions are applied to the cases they were decided
    for. Idempotent: applied to a state that already holds the decision it changes nothing more.
    """
    day = decision.on
    customer, invoices, _, _ = settle_book(customer, invoices, policy, day)
    broken = {item.invoice.invoice_id for item in decision.plan_breaks}
    if broken:
        invoices = tuple(
            replace(invoice, status=InvoiceStatus.OPEN, plan=None)
            if invoice.invoice_id in broken and invoice.status is InvoiceStatus.PLAN
            else invoice
            for invoice in invoices
        )
        customer, _ = reconcile(customer, invoices, day)
    reminded = {item.invoice.invoice_id: item.index for item in decision.plan_reminders}
    courtesy = {invoice.invoice_id for invoice in decision.courtesy}
    after: list[Invoice] = []
    for invoice in invoices:
        key = invoice.invoice_id
        if key in reminded and invoice.plan is not None:
            invoice = replace(invoice, plan=invoice.plan.after_reminder(reminded[key]))
        if key in courtesy and decision.courtesy_step is not None:
            invoice = with_courtesy(invoice, decision.courtesy_step, day)
        after.append(invoice)
    for action in decision.case_actions:
        cases = tuple(
            after_action(case, action, day) if case.case_id == action.case.case_id else case
            for case in customer.cases
        )
        customer = replace(customer, cases=cases)
    if decision.sends_message:
        customer = replace(customer, last_message_on=day)
    return customer, tuple(after)


def next_action_on(
    customer: Customer,
    invoices: Sequence[Invoice],
    policy: Policy,
    calendar: BusinessCalendar,
    from_day: date,
) -> date | None:
    """The first day on or after `from_day` the engine has something to do for the customer; None leaves the
    daily index. Exact, so that the planner never reads a customer for nothing."""
    if customer.do_not_dun:
        return None
    messages_from = next_message_day(customer, policy)
    candidates: list[date] = []
    for case in customer.cases:
        when = case_next_date(
            case,
            customer.cases,
            invoices,
            policy,
            calendar,
            from_day,
            messages_from,
            policy.postal_delay_days,
        )
        if when is not None:
            candidates.append(when)
    for case in customer.cases:
        # Behind a hand-off, the first invoice to fall overdue opens a held case: one visit records it (the
        # log and the preview show what waits), then nothing until the handed-off case ends.
        if case.state is CaseState.HANDED_OFF and customer.case_for(case.currency, CaseState.HELD) is None:
            waiting = [
                invoice.due_date + ONE_DAY
                for invoice in invoices
                if invoice.currency == case.currency
                and invoice.invoice_id not in case.handed_off
                and not is_settled(invoice)
            ]
            if waiting:
                candidates.append(calendar.next_open(max(min(waiting), from_day)))
    open_currencies = {case.currency for case in customer.cases}
    # Currencies with no case yet: the first step of the case their invoices will open.
    for currency in sorted({invoice.currency for invoice in invoices} - open_currencies):
        when = _new_case_date(customer, invoices, currency, policy, calendar, from_day, messages_from)
        if when is not None:
            candidates.append(when)
    if policy.courtesy_steps and not customer.cases:
        step = policy.courtesy_steps[0]
        # A courtesy notice goes by itself only while no case exists: once anything is overdue, a case is
        # open and what falls due rides in its messages.
        owed = [invoice.due_date for invoice in invoices if not is_settled(invoice)]
        case_from = min(owed) + ONE_DAY if owed else None
        for invoice in invoices:
            when = courtesy_day(invoice, step, calendar, from_day, messages_from)
            if when is not None and (case_from is None or when < case_from):
                candidates.append(when)
    for invoice in invoices:
        if invoice.status is InvoiceStatus.PLAN and not is_settled(invoice):
            event = next_plan_event(invoice, policy, calendar, from_day, messages_from)
            if event is not None:
                candidates.append(event.act_on)
    return min(candidates) if candidates else None


def _new_case_date(
    customer: Customer,
    invoices: Sequence[Invoice],
    currency: str,
    policy: Policy,
    calendar: BusinessCalendar,
    from_day: date,
    messages_from: date | None,
) -> date | None:
    probe = Case(case_id=f"{customer.customer_id}-{currency}-next", currency=currency, opened_on=from_day)
    return case_next_date(
        probe, (probe,), invoices, policy, calendar, from_day, messages_from, policy.postal_delay_days
    )


def next_day_after(
    customer: Customer,
    invoices: Sequence[Invoice],
    policy: Policy,
    calendar: BusinessCalendar,
    decision: Decision,
) -> date | None:
    """The customer's next action date once `decision` is carried out: what the daily index must hold."""
    after_customer, after = carry_out(customer, invoices, policy, decision)
    start = decision.on + ONE_DAY if decision.dispatches or decision.plan_breaks else decision.on
    return next_action_on(after_customer, after, policy, calendar, start)


def _plan_hold(invoice: Invoice, event: PlanEvent | None) -> str:
    if event is None:
        return "under a payment plan whose instalments are all covered; a person should review the balance"
    return (
        f"under a payment plan: instalment {event.index + 1} ({event.instalment.amount} {invoice.currency} "
        f"due {event.instalment.due_on.isoformat()}), {event.kind.value.replace('_', ' ')} on "
        f"{event.act_on.isoformat()} if still uncovered"
    )


def invoice_stop_reason(customer: Customer, invoice: Invoice, day: date) -> str | None:
    """Why nothing goes out for this invoice on `day`; None when it is chased (levers print it)."""
    if invoice.status in STOPPED_STATUSES:
        return f"invoice is {invoice.status.value}"
    if invoice.balance <= 0:
        return "nothing left to pay"
    if customer.do_not_dun:
        return "customer is flagged do-not-dun"
    return chase_block(invoice, day)


def currencies_of(invoices: Sequence[Invoice]) -> dict[str, list[Invoice]]:
    grouped: dict[str, list[Invoice]] = defaultdict(list)
    for invoice in invoices:
        grouped[invoice.currency].append(invoice)
    return grouped
