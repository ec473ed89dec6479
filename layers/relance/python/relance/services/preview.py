"""`relance preview`: what the daily run would send over the next days, read from the stack, written nowhere.

Reads the same index the planner reads (every invoice due by the last day previewed), each such customer
with its whole book, then simulates the days in memory with the engine (relance.domain.simulation).
Only gets and queries: no claim, no write, no message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from relance.adapters.dynamo.mapping import customer_from_record, invoice_from_record
from relance.bootstrap import Runtime
from relance.domain.simulation import CustomerBook, SimulatedDispatch, simulate


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
                        }
                        for item in day.dispatches
                    ],
                }
                for day in self.days
            ],
        }


def preview(rt: Runtime, start: date, days: int) -> Preview:
    if days < 1:
        raise ValueError(f"days must be 1 or more, got {days}")
    calendar = rt.calendar
    run_days = [start + timedelta(days=offset) for offset in range(days)]
    due = rt.invoices.due_on(run_days[-1], rt.settings.due_shards)
    customers = rt.customers.get_many(due.customer_ids)
    dispatches: list[SimulatedDispatch] = []
    for customer_id in sorted(customers):
        record = customers[customer_id]
        invoices = rt.invoices.for_customer(customer_id)
        customer = customer_from_record(record)
        book = CustomerBook(
            customer=customer,
            invoices=tuple(invoice_from_record(item) for item in invoices),
            next_action_on={item.invoice_id: item.next_action_on for item in invoices},
            pending_dispatch=record.pending_dispatch,
            last_dispatch=record.last_dispatch,
        )
        dispatches += simulate(book, rt.policy_for(customer), calendar, run_days)
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
        customer_names={customer_id: record.name for customer_id, record in customers.items()},
    )
