"""Reads and plain writes of customers, invoices and the escalation log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action as UpdateAction

from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord, due_shard

BATCH_GET_SIZE = 100
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = BATCH_GET_SIZE) -> Iterator[Sequence[T]]:
    """Slices of at most `size` items: what one BatchGetItem or transaction may take."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def is_conditional_failure(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class CustomerStore:
    def get(self, customer_id: str) -> CustomerRecord | None:
        try:
            return CustomerRecord.get(customer_id, consistent_read=True)
        except CustomerRecord.DoesNotExist:
            return None

    def get_many(self, customer_ids: Iterable[str]) -> dict[str, CustomerRecord]:
        found: dict[str, CustomerRecord] = {}
        for chunk in chunks(sorted(set(customer_ids)), BATCH_GET_SIZE):
            for record in CustomerRecord.batch_get(chunk, consistent_read=True):
                found[record.customer_id] = record
        return found

    def create_many(self, records: Sequence[CustomerRecord]) -> None:
        with CustomerRecord.batch_write() as batch:
            for record in records:
                batch.save(record)

    def update(self, record: CustomerRecord, actions: list[UpdateAction]) -> None:
        record.update(actions=actions)

    def claim_dispatch(self, record: CustomerRecord, dispatch_key: str, now: datetime) -> bool:
        """Marks a dispatch in flight; False when this dispatch is done or another is still in flight.

        The claim is what makes a retried or re-run message safe: nothing is sent without it, and it is
        only taken when no earlier attempt could have sent anything.
        """
        condition = CustomerRecord.pending_dispatch.does_not_exist() & (
            CustomerRecord.last_dispatch.does_not_exist() | (CustomerRecord.last_dispatch != dispatch_key)
        )
        try:
            record.update(
                actions=[
                    CustomerRecord.pending_dispatch.set(dispatch_key),
                    CustomerRecord.pending_since.set(now),
                ],
                condition=condition,
                add_version_condition=False,
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def release_dispatch(self, record: CustomerRecord, dispatch_key: str) -> None:
        """Gives the claim back when the attempt certainly sent nothing, so that a retry may send."""
        record.update(
            actions=[CustomerRecord.pending_dispatch.remove(), CustomerRecord.pending_since.remove()],
            condition=CustomerRecord.pending_dispatch == dispatch_key,
            add_version_condition=False,
        )


@dataclass
class DueScan:
    """What the planner read from the daily index: the customers due, and how many items it took."""

    customer_ids: set[str]
    items_read: int


class InvoiceStore:
    def for_customer(self, customer_id: str) -> list[InvoiceRecord]:
        return list(InvoiceRecord.query(customer_id, consistent_read=True))

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], InvoiceRecord]:
        found: dict[tuple[str, str], InvoiceRecord] = {}
        for chunk in chunks(sorted(set(keys)), BATCH_GET_SIZE):
            for record in InvoiceRecord.batch_get(chunk, consistent_read=True):
                found[(record.customer_id, record.invoice_id)] = record
        return found

    def find_by_number(self, invoice_id: str) -> list[InvoiceRecord]:
        keys = [(item.customer_id, item.invoice_id) for item in InvoiceRecord.number_index.query(invoice_id)]
        return list(self.get_many(keys).values())

    def create_many(self, records: Sequence[InvoiceRecord]) -> None:
        with InvoiceRecord.batch_write() as batch:
            for record in records:
                batch.save(record)

    def update(self, record: InvoiceRecord, actions: list[UpdateAction]) -> None:
        record.update(actions=actions)

    def due_on(self, today: date, shards: int) -> DueScan:
        """Customers with an invoice whose next action is due by `today`: a query per shard, never a Scan."""
        customers: set[str] = set()
        items = 0
        for shard in range(shards):
            for item in InvoiceRecord.due_index.query(f"due#{shard}", InvoiceRecord.next_action_on <= today):
                items += 1
                customers.add(item.customer_id)
        return DueScan(customer_ids=customers, items_read=items)


def schedule_actions(record: InvoiceRecord, next_action_on: date | None, shards: int) -> list[UpdateAction]:
    """Keeps the sparse index true: an invoice is in it exactly while a next action is planned."""
    if next_action_on is None:
        return [InvoiceRecord.next_action_on.remove(), InvoiceRecord.due_shard.remove()]
    return [
        InvoiceRecord.next_action_on.set(next_action_on),
        InvoiceRecord.due_shard.set(due_shard(record.customer_id, shards)),
    ]


class EventStore:
    def for_customer(self, customer_id: str) -> list[EventRecord]:
        return list(EventRecord.query(customer_id, consistent_read=True))

    def append(self, record: EventRecord) -> bool:
        """Writes once; False when an event with this key is already logged (a retried write)."""
        try:
            record.save(condition=EventRecord.event_key.does_not_exist())
        except PutError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True
