"""Small builders that keep the specifications readable."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from relance.domain.calendar import BusinessCalendar
from relance.domain.engine import next_action_on, settle_book
from relance.domain.models import Customer, CustomerKind, DunningState, Invoice, InvoiceStatus
from relance.domain.policy import Policy
from relance.domain.simulation import CustomerBook, SimulatedDispatch, simulate
from relance.policies import load_policies

PARIS = BusinessCalendar("FR", "Europe/Paris")


def policy(name: str = "fr-b2b-standard") -> Policy:
    return load_policies()[name]


def customer(customer_id: str = "C1", **changes: object) -> Customer:
    base = Customer(
        customer_id=customer_id, name="ACME SARL", email="compta@acme.example", kind=CustomerKind.BUSINESS
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def invoice(
    invoice_id: str = "F1",
    due: date = date(2026, 3, 2),
    total: str = "1200.00",
    customer_id: str = "C1",
    steps: tuple[str, ...] = (),
    last_step_on: date | None = None,
    **changes: object,
) -> Invoice:
    base = Invoice(
        invoice_id=invoice_id,
        customer_id=customer_id,
        issue_date=date(due.year, 1, 1) if due.month == 1 else date(due.year, due.month - 1, 1),
        due_date=due,
        currency="EUR",
        total=Decimal(total),
        dunning=DunningState(steps_done=steps, last_step_on=last_step_on),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def book(customer_: Customer, invoices: list[Invoice], policy_: Policy, start: date) -> CustomerBook:
    """A customer's book as ingest leaves it: its next action date computed, ready to simulate."""
    scheduled = replace(customer_, next_action_on=next_action_on(customer_, invoices, policy_, PARIS, start))
    return CustomerBook(customer=scheduled, invoices=tuple(invoices))


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def run(
    book_: CustomerBook, policy_: Policy, start: date, end: date, calendar: BusinessCalendar = PARIS
) -> list[SimulatedDispatch]:
    """The days from `start` to `end` as the daily run plays them; `book_` ends in the state they leave."""
    before = len(book_.dispatches)
    simulate(book_, policy_, calendar, days(start, end))
    return book_.dispatches[before:]


def change(book_: CustomerBook, policy_: Policy, on: date, invoice_id: str, **changes: object) -> None:
    """A payment, a dispute, a new due date... made to one invoice on `on`, with the index recomputed, as
    the writers (ingest, the levers) save it."""
    book_.invoices = tuple(
        replace(item, **changes) if item.invoice_id == invoice_id else item  # type: ignore[arg-type]
        for item in book_.invoices
    )
    settle(book_, policy_, on)


def add(book_: CustomerBook, policy_: Policy, on: date, new: Invoice) -> None:
    book_.invoices = (*book_.invoices, new)
    settle(book_, policy_, on)


def settle(book_: CustomerBook, policy_: Policy, on: date) -> None:
    customer_, invoices, _, _ = settle_book(book_.customer, book_.invoices, policy_, on)
    book_.invoices = invoices
    book_.customer = replace(
        customer_, next_action_on=next_action_on(customer_, invoices, policy_, PARIS, on)
    )


def paid(book_: CustomerBook, policy_: Policy, on: date, invoice_id: str) -> None:
    target = next(item for item in book_.invoices if item.invoice_id == invoice_id)
    change(book_, policy_, on, invoice_id, amount_paid=target.total, status=InvoiceStatus.PAID, paid_on=on)


def steps_of(dispatches: list[SimulatedDispatch]) -> list[tuple[date, str]]:
    return [(item.on, item.step or "") for item in dispatches]
