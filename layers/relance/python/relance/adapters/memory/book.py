"""Customers, invoices and the daily index in memory, with the stores' conditions and versions.

A save checks every condition before it writes anything (versions, the dispatch claim, events not yet
logged), then applies all of it: as atomic as the DynamoDB transaction it stands for. Reads are counted as
items, like the consumed reads the benchmarks compare with a Scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from relance.adapters.memory.log import MemoryEventLog
from relance.domain.events import EscalationEvent
from relance.domain.models import Customer, DispatchState, Invoice
from relance.ports import Change, ConflictError, DueScan


class MemoryBook:
    def __init__(self, log: MemoryEventLog | None = None) -> None:
        self.log = log or MemoryEventLog()
        self._customers: dict[str, Customer] = {}
        self._invoices: dict[str, dict[str, Invoice]] = {}
        self._numbers: dict[str, set[str]] = {}
        self.reads = 0
        self.writes = 0
        self.index_reads = 0

    # Reads.

    def customer(self, customer_id: str) -> Customer | None:
        self.reads += 1
        return self._customers.get(customer_id)

    def customers(self, customer_ids: Iterable[str]) -> dict[str, Customer]:
        found = {cid: self._customers[cid] for cid in set(customer_ids) if cid in self._customers}
        self.reads += len(found)
        return found

    def all_customers(self) -> Iterator[Customer]:
        for customer_id in sorted(self._customers):
            self.reads += 1
            yield self._customers[customer_id]

    def invoices_of(self, customer_id: str) -> list[Invoice]:
        invoices = self._invoices.get(customer_id, {})
        self.reads += len(invoices)
        return [invoices[key] for key in sorted(invoices)]

    def invoices(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Invoice]:
        found: dict[tuple[str, str], Invoice] = {}
        for customer_id, invoice_id in set(keys):
            invoice = self._invoices.get(customer_id, {}).get(invoice_id)
            if invoice is not None:
                found[(customer_id, invoice_id)] = invoice
        self.reads += len(found)
        return found

    def find_invoices(self, number: str) -> list[Invoice]:
        owners = sorted(self._numbers.get(number, ()))
        found = [self._invoices[owner][number] for owner in owners]
        self.reads += len(found)
        return found

    def due_customers(self, today: date) -> DueScan:
        due = {
            customer.customer_id
            for customer in self._customers.values()
            if customer.next_action_on is not None and customer.next_action_on <= today
        }
        # One index item per customer due by its own date and one per legacy invoice due, as DynamoDB reads
        # them: a customer due only through its legacy invoices has no item of its own in the index.
        read = len(due)
        # Books of earlier versions: their invoices held the index (see relance.domain.cases.adopt_legacy).
        for owner, invoices in self._invoices.items():
            for invoice in invoices.values():
                if invoice.legacy_next_action_on is not None and invoice.legacy_next_action_on <= today:
                    due.add(owner)
                    read += 1
        self.index_reads += read
        return DueScan(frozenset(due), read)

    # Writes.

    def create(self, customers: Sequence[Customer] = (), invoices: Sequence[Invoice] = ()) -> None:
        for customer in customers:
            self._put_customer(replace(customer, version=(customer.version or 0) + 1))
        for invoice in invoices:
            self._put_invoice(replace(invoice, version=(invoice.version or 0) + 1))
        self.writes += len(customers) + len(invoices)

    def save(self, changes: Sequence[Change[Any]], events: Sequence[EscalationEvent] = ()) -> None:
        for event in events:
            if self.log.exists(event.customer_id, event.event_key):
                raise ConflictError(
                    f"event {event.customer_id}/{event.event_key} already logged", event_already_logged=True
                )
        for change in changes:
            self._check(change)
        for event in events:
            self.log.append(event)
        for change in changes:
            version = (change.before.version or 0) + 1 if change.before is not None else 1
            stored = replace(change.after, version=version)
            if isinstance(stored, Customer):
                self._put_customer(stored)
            else:
                self._put_invoice(stored)
        self.writes += len(changes) + len(events)

    def _check(self, change: Change[Any]) -> None:
        after = change.after
        current = (
            self._customers.get(after.customer_id)
            if isinstance(after, Customer)
            else self._invoices.get(after.customer_id, {}).get(after.invoice_id)
        )
        what = _describe(after)
        if change.before is None:
            if current is not None:
                raise ConflictError(f"{what} exists already")
            return
        if current is None:
            raise ConflictError(f"{what} is gone")
        if current.version != change.before.version:
            raise ConflictError(f"{what} changed since it was read")
        if change.dispatch is not None and (
            not isinstance(current, Customer) or current.dispatch.pending != change.dispatch
        ):
            raise ConflictError(f"{what} no longer holds dispatch {change.dispatch}")

    def claim_dispatch(self, customer: Customer, dispatch: str, now: datetime) -> Customer | None:
        current = self._customers.get(customer.customer_id)
        if current is None:
            raise ConflictError(f"customer {customer.customer_id} is gone")
        if current.dispatch.pending is not None or current.dispatch.last == dispatch:
            return None
        claimed = replace(
            current,
            dispatch=replace(current.dispatch, pending=dispatch, pending_since=now),
            version=(current.version or 0) + 1,
        )
        self._put_customer(claimed)
        self.writes += 1
        return claimed

    def release_dispatch(self, customer_id: str, dispatch: str) -> None:
        current = self._customers.get(customer_id)
        if current is None or current.dispatch.pending != dispatch:
            raise ConflictError(f"customer {customer_id} does not hold dispatch {dispatch}")
        self._put_customer(
            replace(
                current,
                dispatch=DispatchState(last=current.dispatch.last),
                version=(current.version or 0) + 1,
            )
        )
        self.writes += 1

    def _put_customer(self, customer: Customer) -> None:
        self._customers[customer.customer_id] = customer

    def _put_invoice(self, invoice: Invoice) -> None:
        self._invoices.setdefault(invoice.customer_id, {})[invoice.invoice_id] = invoice
        self._numbers.setdefault(invoice.invoice_id, set()).add(invoice.customer_id)


def _describe(item: Customer | Invoice) -> str:
    if isinstance(item, Customer):
        return f"customer {item.customer_id}"
    return f"invoice {item.customer_id}/{item.invoice_id}"
