"""`relance preview`: what the daily run would send over the next days, read from the stack, written nowhere.

Reads the same index the planner reads (every invoice due by the last day previewed), each such customer
with its whole book, then simulates the days in memory with the engine (relance.domain.simulation).
Only gets and queries: no claim, no write, no message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from relance.domain.models import CaseState
from relance.domain.simulation import CaseView, CustomerBook, SimulatedDispatch, case_views, simulate
from relance.ports import Context


@dataclass(frozen=True)
class PreviewDay:
    on: date
    closed: str | None
    dispatches: tuple[SimulatedDispatch, ...]


@dataclass(frozen=True)
class Preview:
    start: date
    days: tuple[PreviewDay, ...]
    customer_names: dict[str, str]
    cases: dict[str, tuple[CaseView, ...]]
    """Each customer's cases as they stand at the start: those previewed, and those with collection or
    waiting behind it (held), which send nothing and so appear in no day."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "days": [
                {
                    "date": day.on.isoformat(),
                    "closed": day.closed,
                    "dispatches": [
                        {
                            "customer_id": item.customer_id,
                            "customer_name": self.customer_names.get(item.customer_id, ""),
                            "kind": item.kind,
                            "step": item.step,
                            "channels": list(item.channels),
                            "invoice_ids": list(item.invoice_ids),
                            "amounts": [
                                {"currency": currency, "amount": str(amount)}
                                for currency, amount in item.amounts
                            ],
                            "note": item.note,
                            "case_id": item.case_id,
                        }
                        for item in day.dispatches
                    ],
                }
                for day in self.days
            ],
            "cases": [
                {
                    "customer_id": customer_id,
                    "customer_name": self.customer_names.get(customer_id, ""),
                    "case_id": view.case_id,
                    "currency": view.currency,
                    "state": view.state,
                    "step": view.step,
                    "step_on": view.step_on.isoformat() if view.step_on else None,
                    "opened_on": view.opened_on.isoformat(),
                    "invoice_ids": list(view.invoice_ids),
                    "amount": str(view.amount),
                }
                for customer_id, views in sorted(self.cases.items())
                for view in views
            ],
        }


def preview(ctx: Context, start: date, days: int) -> Preview:
    if days < 1:
        raise ValueError(f"days must be 1 or more, got {days}")
    calendar = ctx.calendar
    run_days = [start + timedelta(days=offset) for offset in range(days)]
    due = ctx.book.due_customers(run_days[-1])
    customers = ctx.book.customers(due.customer_ids)
    # Customers with collection send nothing, so the index does not hold them: the preview still shows
    # their cases (a held one holds the invoices that fell overdue since the hand-off).
    for customer in ctx.book.all_customers():
        if any(case.state is not CaseState.OPEN for case in customer.cases):
            customers.setdefault(customer.customer_id, customer)
    dispatches: list[SimulatedDispatch] = []
    cases: dict[str, tuple[CaseView, ...]] = {}
    for customer_id in sorted(customers):
        customer = customers[customer_id]
        invoices = tuple(ctx.book.invoices_of(customer_id))
        views = tuple(case_views(customer, invoices, start))
        if views:
            cases[customer_id] = views
        book = CustomerBook(customer=customer, invoices=invoices)
        dispatches += simulate(book, ctx.policies.for_customer(customer), calendar, run_days)
    return Preview(
        start=start,
        days=tuple(
            PreviewDay(
                on=day,
                closed=calendar.closed_reason(day),
                dispatches=tuple(item for item in dispatches if item.on == day),
            )
            for day in run_days
        ),
        customer_names={customer_id: customer.name for customer_id, customer in customers.items()},
        cases=cases,
    )
