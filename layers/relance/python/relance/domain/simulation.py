"""Days ahead, simulated in memory: what the daily run would send, as if each day's decisions were done.

The simulation plays the planner and the worker by their own rules, with the same engine: nothing runs on
a closed day; a customer is looked at only when its next action date in the index is due; a held dispatch
stays held; today's dispatch already recorded is not sent again; and each day's decision is carried out
(`carry_out`) before the next day is decided. No payment, dispute or promise is invented: the preview says
what happens if nothing else does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from relance.domain.amounts import ZERO
from relance.domain.calendar import BusinessCalendar
from relance.domain.cases import CaseAction, owed
from relance.domain.engine import Decision, carry_out, decide, next_action_on
from relance.domain.models import Case, Customer, DispatchState, Invoice
from relance.domain.policy import Policy


@dataclass(frozen=True)
class SimulatedDispatch:
    """One thing the run would do for one customer on one day.

    `kind` is `escalation` (a case's step and its message), `courtesy` (a notice before the due date),
    `plan_reminder`, `plan_broken` (escalation resumes), or `held` (what would go, were the customer's
    interrupted dispatch released).
    """

    on: date
    customer_id: str
    kind: str
    step: str | None
    channels: tuple[str, ...]
    invoice_ids: tuple[str, ...]
    amounts: tuple[tuple[str, Decimal], ...]
    note: str | None = None
    case_id: str | None = None


@dataclass
class CustomerBook:
    """One customer's state as the run sees it: its cases, invoices, index date and dispatch claim."""

    customer: Customer
    invoices: tuple[Invoice, ...]
    dispatches: list[SimulatedDispatch] = field(default_factory=list)


def simulate(
    book: CustomerBook, policy: Policy, calendar: BusinessCalendar, days: Iterable[date]
) -> list[SimulatedDispatch]:
    """Runs the given days for one customer; `book` ends in the state the last day leaves."""
    for day in days:
        if not calendar.is_open(day):
            continue  # the planner queues nothing on a closed day
        if not _due(book, day):
            continue  # not in the day's index read: the worker never hears of the customer
        decision = decide(book.customer, book.invoices, policy, calendar, day)
        breaks = [_break(decision, item.invoice) for item in decision.plan_breaks]
        if not decision.dispatches:
            book.dispatches.extend(breaks)
            _carry_out(book, policy, calendar, decision)
            continue
        dispatch_key = f"{book.customer.customer_id}#{day.isoformat()}"
        if book.customer.dispatch.pending is not None:
            # The claim is refused: nothing is sent or recorded until a person releases the customer.
            note = f"held: dispatch {book.customer.dispatch.pending} was interrupted"
            book.dispatches.extend(_dispatches(decision, "held", note))
            continue
        if book.customer.dispatch.last == dispatch_key:
            continue  # today's dispatch is recorded: a re-run sends nothing
        book.dispatches.extend(_dispatches(decision, None, decision.email_blocked))
        book.dispatches.extend(breaks)
        _carry_out(book, policy, calendar, decision)
        book.customer = replace(book.customer, dispatch=DispatchState(last=dispatch_key))
    return book.dispatches


def _due(book: CustomerBook, day: date) -> bool:
    if book.customer.next_action_on is not None and book.customer.next_action_on <= day:
        return True
    return any(i.legacy_next_action_on is not None and i.legacy_next_action_on <= day for i in book.invoices)


def _carry_out(book: CustomerBook, policy: Policy, calendar: BusinessCalendar, decision: Decision) -> None:
    customer, invoices = carry_out(book.customer, book.invoices, policy, decision)
    start = decision.on + timedelta(days=1) if decision.dispatches or decision.plan_breaks else decision.on
    book.customer = replace(
        customer, next_action_on=next_action_on(customer, invoices, policy, calendar, start)
    )
    book.invoices = invoices


def _dispatches(decision: Decision, kind: str | None, note: str | None) -> list[SimulatedDispatch]:
    channels = tuple(sorted(action.value for action in decision.delivered_channels))
    if decision.case_actions:
        headline = max(decision.case_actions, key=lambda action: action.rank)
        result = []
        for action in decision.case_actions:
            invoices = list(action.invoices) + (list(decision.courtesy) if action is headline else [])
            result.append(
                SimulatedDispatch(
                    on=decision.on,
                    customer_id=decision.customer_id,
                    kind=kind or "escalation",
                    step=action.step.id,
                    channels=channels,
                    invoice_ids=tuple(invoice.invoice_id for invoice in invoices),
                    amounts=_by_currency((i.currency, i.balance) for i in action.invoices),
                    note=note or _kind_note(action),
                    case_id=action.case.case_id,
                )
            )
        return result
    if decision.courtesy:
        step = decision.courtesy_step
        return [
            SimulatedDispatch(
                on=decision.on,
                customer_id=decision.customer_id,
                kind=kind or "courtesy",
                step=step.id if step else "courtesy",
                channels=channels,
                invoice_ids=tuple(invoice.invoice_id for invoice in decision.courtesy),
                amounts=_by_currency((i.currency, i.balance) for i in decision.courtesy),
                note=note,
            )
        ]
    return [
        SimulatedDispatch(
            on=decision.on,
            customer_id=decision.customer_id,
            kind=kind or "plan_reminder",
            step="plan_reminder",
            channels=channels,
            invoice_ids=tuple(item.invoice.invoice_id for item in decision.plan_reminders),
            amounts=_by_currency(
                (item.invoice.currency, item.instalment.amount) for item in decision.plan_reminders
            ),
            note=note,
        )
    ]


def _kind_note(action: CaseAction) -> str | None:
    if action.kind.value == "catch_up":
        return "the current level again, for invoices no message named yet"
    if action.kind.value == "supplementary":
        return "supplementary formal notice for invoices that joined after the notice"
    return None


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


@dataclass(frozen=True)
class CaseView:
    """A case as the preview and the call sheet show it: where it stands, since when, for what."""

    case_id: str
    currency: str
    state: str
    step: str | None
    step_on: date | None
    opened_on: date
    invoice_ids: tuple[str, ...]
    amount: Decimal


def case_views(customer: Customer, invoices: Iterable[Invoice], day: date) -> list[CaseView]:
    books = tuple(invoices)
    views = []
    for case in customer.cases:
        listed = owed(case, books, customer.cases, day)
        last = case.last_step
        views.append(
            CaseView(
                case_id=case.case_id,
                currency=case.currency,
                state=case.state.value,
                step=last.step if last else None,
                step_on=last.on if last else None,
                opened_on=case.opened_on,
                invoice_ids=tuple(i.invoice_id for i in listed),
                amount=sum((i.balance for i in listed), ZERO),
            )
        )
    return views


def _by_currency(pairs: Iterable[tuple[str, Decimal]]) -> tuple[tuple[str, Decimal], ...]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for currency, amount in pairs:
        totals[currency] += amount
    return tuple(sorted(totals.items()))


__all__ = ["Case", "CaseView", "CustomerBook", "SimulatedDispatch", "case_views", "simulate"]
