"""Small builders that keep the specifications readable."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from relance.domain.calendar import BusinessCalendar
from relance.domain.models import Customer, CustomerKind, DunningState, Invoice
from relance.domain.policy import Policy
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


def apply(
    decision_invoices: list[Invoice], customer_: Customer, decision: object
) -> tuple[list[Invoice], Customer]:
    """The state after a decision is carried out, as the worker's transaction records it."""
    acted = {item.invoice.invoice_id: item.step.id for item in decision.actions}  # type: ignore[attr-defined]
    day = decision.on  # type: ignore[attr-defined]
    updated = [
        replace(inv, dunning=inv.dunning.after(acted[inv.invoice_id], day))
        if inv.invoice_id in acted
        else inv
        for inv in decision_invoices
    ]
    if decision.message_step is not None:  # type: ignore[attr-defined]
        customer_ = replace(customer_, last_message_on=day)
    return updated, customer_
