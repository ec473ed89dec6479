"""A customer's file as a person reads it: who, its cases (where each stands, since when, for what), and
its whole timeline, oldest first (`relance history CUSTOMER`)."""

from __future__ import annotations

from dataclasses import dataclass

from relance.domain.events import EscalationEvent, day_phase
from relance.domain.models import Customer, Invoice
from relance.domain.simulation import CaseView, case_views
from relance.ports import Context


@dataclass(frozen=True)
class History:
    customer: Customer
    invoices: tuple[Invoice, ...]
    cases: tuple[CaseView, ...]
    events: tuple[EscalationEvent, ...]


def customer_history(ctx: Context, customer_id: str) -> History:
    customer = ctx.book.customer(customer_id)
    if customer is None:
        raise LookupError(f"no customer {customer_id!r}")
    invoices = tuple(ctx.book.invoices_of(customer_id))
    today = ctx.calendar.local_date(ctx.clock())
    events = tuple(
        sorted(
            ctx.events.for_customer(customer_id),
            key=lambda e: (e.occurred_on, day_phase(e.kind.value, e.step), e.recorded_at),
        )
    )
    return History(customer, invoices, tuple(case_views(customer, invoices, today)), events)
