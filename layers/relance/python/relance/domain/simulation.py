"""Days ahead, simulated in memory: what the daily run would send, as if each day's decisions were done.

The simulation plays the planner and the worker by their own rules, with the same engine: nothing runs
on a closed day; a customer is looked at only when one of its invoices is due in the index; a held
dispatch stays held; today's dispatch already recorded is not sent again; and each day's decision is
carried out (`carry_out`) before the next day is decided. No payment, dispute or promise is invented:
the preview says what happens if nothing else does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from relance.domain.amounts import ZERO
from relance.domain.calendar import BusinessCalendar
from relance.domain.engine import Decision, carry_out, decide
from relance.domain.models import Customer, Invoice
from relance.domain.policy import Policy


@dataclass(frozen=True)
class SimulatedDispatch:
    """One thing the run would do for one customer on one day.

    `kind` is `escalation` (a step, its message), `plan_reminder`, `plan_broken` (escalation resumes),
    or `held` (what would go, were the customer's interrupted dispatch released).
    """

    on: date
    customer_id: str
    kind: str
    step: str | None
    channels: tuple[str, ...]
    invoice_ids: tuple[str, ...]
    amounts: tuple[tuple[str, Decimal], ...]
    note: str | None = None


@dataclass
class CustomerBook:
    """One customer's state as the run sees it: the book, the index, and its dispatch claim."""

    customer: Customer
    invoices: tuple[Invoice, ...]
    next_action_on: dict[str, date | None]
    pending_dispatch: str | None = None
    last_dispatch: str | None = None
    dispatches: list[SimulatedDispatch] = field(default_factory=list)


def simulate(
    book: CustomerBook, policy: Policy, calendar: BusinessCalendar, days: Iterable[date]
) -> list[SimulatedDispatch]:
    """Runs the given days for one customer; `book` ends in the state the last day leaves."""
    for day in days:
        if not calendar.is_open(day):
            continue  # the planner queues nothing on a closed day
        if not any(on is not None and on <= day for on in book.next_action_on.values()):
            continue  # not in the day's index read: the worker never hears of the customer
        decision = decide(book.customer, book.invoices, policy, calendar, day)
        breaks = [_break(decision, item.invoice) for item in decision.plan_breaks]
        if not decision.dispatches:
            book.dispatches.extend(breaks)
            _carry_out(book, decision)
            continue
        dispatch_key = f"{book.customer.customer_id}#{day.isoformat()}"
        if book.pending_dispatch is not None:
            # The claim is refused: nothing is sent or recorded until a person releases the customer.
            book.dispatches.append(
                _dispatch(decision, "held", f"held: dispatch {book.pending_dispatch} was interrupted")
            )
            continue
        if book.last_dispatch == dispatch_key:
            continue  # today's dispatch is recorded: a re-run sends nothing
        kind = "escalation" if decision.actions else "plan_reminder"
        book.dispatches.append(_dispatch(decision, kind, decision.email_blocked))
        book.dispatches.extend(breaks)
        book.last_dispatch = dispatch_key
        _carry_out(book, decision)
    return book.dispatches


def _carry_out(book: CustomerBook, decision: Decision) -> None:
    book.customer, book.invoices = carry_out(book.customer, book.invoices, decision)
    book.next_action_on = dict(decision.next_action_on)


def _dispatch(decision: Decision, kind: str, note: str | None) -> SimulatedDispatch:
    if decision.actions:
        headline = decision.headline
        invoices = [item.invoice for item in decision.actions]
        amounts = _by_currency((item.invoice.currency, item.invoice.balance) for item in decision.actions)
    else:
        headline = None
        invoices = [item.invoice for item in decision.plan_reminders]
        amounts = _by_currency(
            (item.invoice.currency, item.instalment.amount) for item in decision.plan_reminders
        )
    return SimulatedDispatch(
        on=decision.on,
        customer_id=decision.customer_id,
        kind=kind,
        step=headline.id if headline is not None else "plan_reminder",
        channels=tuple(sorted(action.value for action in decision.delivered_channels)),
        invoice_ids=tuple(invoice.invoice_id for invoice in invoices),
        amounts=amounts,
        note=note,
    )


def _break(decision: Decision, invoice: Invoice) -> SimulatedDispatch:
    return SimulatedDispatch(
        on=decision.on,
        customer_id=decision.customer_id,
        kind="plan_broken",
        step="open",
        channels=(),
        invoice_ids=(invoice.invoice_id,),
        amounts=((invoice.currency, invoice.balance),),
        note="payment plan broken: escalation resumes",
    )


def _by_currency(pairs: Iterable[tuple[str, Decimal]]) -> tuple[tuple[str, Decimal], ...]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for currency, amount in pairs:
        totals[currency] += amount
    return tuple(sorted(totals.items()))
