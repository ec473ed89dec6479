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
from relance.domain.models import STOPPED_STATUSES, Customer, Invoice, InvoiceStatus
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
class Decision:
    customer_id: str
    on: date
    actions: tuple[InvoiceAction, ...]
    message_step: Step | None
    next_action_on: Mapping[str, date | None]
    holds: tuple[Hold, ...]

    @property
    def channels(self) -> frozenset[Action]:
        return frozenset(action for item in self.actions for action in item.step.actions)

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
    if invoice.status is InvoiceStatus.PLAN:
        return "invoice is under a payment plan"
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
    if invoice.paused_until is not None and from_day <= invoice.paused_until:
        from_day = invoice.paused_until + ONE_DAY
    planned = plan_next_step(invoice, policy, calendar, from_day, next_message_day(customer, policy))
    return planned.act_on if planned else None


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
    stopped: set[str] = set()
    ordered = sorted(invoices, key=lambda item: (item.due_date, item.invoice_id))

    for invoice in ordered:
        key = invoice.invoice_id
        if next_action_date(customer, invoice, policy, calendar, today) != today:
            if invoice.paused_until is not None and today <= invoice.paused_until:
                holds.append(
                    Hold(key, f"paused until {invoice.paused_until.isoformat()} ({invoice.pause_reason})")
                )
            elif _waits_for_next_message(customer, invoice, policy, calendar, today):
                holds.append(
                    Hold(
                        key,
                        f"waits to join the customer's next message (last one on {customer.last_message_on})",
                    )
                )
            continue
        planned = plan_next_step(invoice, policy, calendar, today, next_message_day(customer, policy))
        assert planned is not None  # next_action_date is today only when a step is planned for today
        if invoice.balance < planned.step.min_balance:
            holds.append(
                Hold(
                    key,
                    f"balance {invoice.balance} is below the minimum {planned.step.min_balance} "
                    f"of step '{planned.step.id}'; escalation stops here",
                )
            )
            stopped.add(key)
            continue
        actions.append(InvoiceAction(invoice=invoice, step=planned.step, index=planned.index))

    message_items = [item for item in actions if item.step.sends_message]
    message_step = max(message_items, key=lambda item: item.index).step if message_items else None
    # Next dates follow today's message, so the index never promises a day the message spacing forbids.
    after = replace(customer, last_message_on=today) if message_step is not None else customer
    acted = {item.invoice.invoice_id: item for item in actions}
    next_action_on: dict[str, date | None] = {}
    for invoice in ordered:
        key = invoice.invoice_id
        if key in stopped:
            next_action_on[key] = None
        elif key in acted:
            advanced = replace(invoice, dunning=invoice.dunning.after(acted[key].step.id, today))
            next_action_on[key] = next_action_date(after, advanced, policy, calendar, today + ONE_DAY)
        else:
            next_action_on[key] = next_action_date(after, invoice, policy, calendar, today)
    return Decision(
        customer_id=customer.customer_id,
        on=today,
        actions=tuple(actions),
        message_step=message_step,
        next_action_on=next_action_on,
        holds=tuple(holds),
    )


def _waits_for_next_message(
    customer: Customer, invoice: Invoice, policy: Policy, calendar: BusinessCalendar, today: date
) -> bool:
    planned = plan_next_step(invoice, policy, calendar, today)
    return planned is not None and planned.act_on <= today and planned.step.sends_message
