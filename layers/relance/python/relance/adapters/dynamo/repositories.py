"""The Book and EventLog ports on DynamoDB (pynamodb): domain objects in, domain objects out.

A save becomes one TransactWriteItems per 100 writes: events put only where their key is new, new items put
only where absent, updates made only of the attributes that differ between `before` and `after`, under the
item's version (and, for the worker's record, its dispatch claim).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any, TypeVar

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action as UpdateAction
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from relance.adapters.dynamo.mapping import (
    CUSTOMER_ATTRIBUTES,
    INVOICE_ATTRIBUTES,
    comparable,
    customer_from_record,
    customer_values,
    event_from_record,
    event_record,
    invoice_from_record,
    invoice_values,
)
from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord
from relance.config import MAX_DUE_SHARDS
from relance.domain.events import EscalationEvent
from relance.domain.models import Customer, Invoice
from relance.ports import Change, ConflictError, DueScan, ItemRejected

BATCH_GET_SIZE = 100
# DynamoDB accepts at most 100 items in one transaction.
TRANSACTION_LIMIT = 100
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = BATCH_GET_SIZE) -> Iterator[Sequence[T]]:
    """Slices of at most `size` items: what one BatchGetItem or transaction may take."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def is_conditional_failure(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class DynamoBook:
    def __init__(self, shards: int) -> None:
        self._shards = shards

    # Reads.

    def customer(self, customer_id: str) -> Customer | None:
        try:
            return customer_from_record(CustomerRecord.get(customer_id, consistent_read=True))
        except CustomerRecord.DoesNotExist:
            return None

    def customers(self, customer_ids: Iterable[str]) -> dict[str, Customer]:
        found: dict[str, Customer] = {}
        for chunk in chunks(sorted(set(customer_ids))):
            for record in CustomerRecord.batch_get(chunk, consistent_read=True):
                found[record.customer_id] = customer_from_record(record)
        return found

    def all_customers(self) -> Iterator[Customer]:
        for record in CustomerRecord.scan():
            yield customer_from_record(record)

    def invoices_of(self, customer_id: str) -> list[Invoice]:
        return [invoice_from_record(r) for r in InvoiceRecord.query(customer_id, consistent_read=True)]

    def invoices(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Invoice]:
        found: dict[tuple[str, str], Invoice] = {}
        for chunk in chunks(sorted(set(keys))):
            for record in InvoiceRecord.batch_get(chunk, consistent_read=True):
                found[(record.customer_id, record.invoice_id)] = invoice_from_record(record)
        return found

    def find_invoices(self, number: str) -> list[Invoice]:
        keys = [(item.customer_id, item.invoice_id) for item in InvoiceRecord.number_index.query(number)]
        return [invoice for _, invoice in sorted(self.invoices(keys).items())]

    def due_customers(self, today: date) -> DueScan:
        """A query per shard of the customers' index, in parallel; never a Scan. The invoices' index of
        earlier versions is read too, until every book is adopted into cases (it is empty after).

        Every shard a write may ever have used is read, not only those of today's DUE_SHARDS: an item keeps
        the shard it was written with until its due date is cleared, so after DUE_SHARDS is lowered the
        items of the dropped shards are still there, and due. An empty shard costs one small Query.
        """
        queries = [(CustomerRecord, shard) for shard in range(MAX_DUE_SHARDS)]
        queries += [(InvoiceRecord, shard) for shard in range(MAX_DUE_SHARDS)]
        with ThreadPoolExecutor(max_workers=min(8, len(queries))) as pool:
            results = list(pool.map(lambda query: _due_in(*query, today), queries))
        customers = {customer_id for ids in results for customer_id in ids}
        return DueScan(frozenset(customers), sum(len(ids) for ids in results))

    # Writes.

    def create(self, customers: Sequence[Customer] = (), invoices: Sequence[Invoice] = ()) -> None:
        if customers:
            with CustomerRecord.batch_write() as batch:
                for customer in customers:
                    batch.save(self._customer_record(customer))
        if invoices:
            with InvoiceRecord.batch_write() as batch:
                for invoice in invoices:
                    batch.save(self._invoice_record(invoice))

    def save(self, changes: Sequence[Change[Any]], events: Sequence[EscalationEvent] = ()) -> None:
        operations: list[tuple[str, Any]] = [("event", event_record(event)) for event in events]
        for change in changes:
            operation = self._operation(change)
            if operation is not None:
                operations.append(operation)
        for chunk in chunks(operations, TRANSACTION_LIMIT):
            _commit(chunk)

    def claim_dispatch(self, customer: Customer, dispatch: str, now: datetime) -> Customer | None:
        record = _moving_version(customer.customer_id)
        condition = CustomerRecord.pending_dispatch.does_not_exist() & (
            CustomerRecord.last_dispatch.does_not_exist() | (CustomerRecord.last_dispatch != dispatch)
        )
        try:
            record.update(
                actions=[
                    CustomerRecord.pending_dispatch.set(dispatch),
                    CustomerRecord.pending_since.set(now),
                ],
                condition=condition,
                add_version_condition=False,
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return None
            raise
        # The update returns the whole item as it now stands.
        return customer_from_record(record)

    def release_dispatch(self, customer_id: str, dispatch: str) -> None:
        try:
            _moving_version(customer_id).update(
                actions=[CustomerRecord.pending_dispatch.remove(), CustomerRecord.pending_since.remove()],
                condition=CustomerRecord.pending_dispatch == dispatch,
                add_version_condition=False,
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                raise ConflictError(f"customer {customer_id} does not hold dispatch {dispatch}") from exc
            raise

    # How a change becomes a write.

    def _operation(self, change: Change[Any]) -> tuple[str, Any] | None:
        after = change.after
        if isinstance(after, Customer):
            if change.before is None:
                return ("create", self._customer_record(after))
            actions = _diff(
                CustomerRecord,
                customer_values(change.before, self._shards),
                customer_values(after, self._shards),
                CUSTOMER_ATTRIBUTES,
            )
            record: Model = _versioned(CustomerRecord(customer_id=after.customer_id), change.before.version)
            condition = CustomerRecord.pending_dispatch == change.dispatch if change.dispatch else None
        else:
            if change.before is None:
                return ("create", self._invoice_record(after))
            actions = _diff(
                InvoiceRecord,
                invoice_values(change.before, self._shards),
                invoice_values(after, self._shards),
                INVOICE_ATTRIBUTES,
            )
            record = _versioned(
                InvoiceRecord(customer_id=after.customer_id, invoice_id=after.invoice_id),
                change.before.version,
            )
            condition = None
        if not actions and change.dispatch is None:
            return None
        if not actions:
            # The claim alone must be checked and cleared: a write that changes nothing else still runs.
            actions = [CustomerRecord.pending_dispatch.remove()]
        return ("update", (record, actions, condition))

    def _customer_record(self, customer: Customer) -> CustomerRecord:
        values = {k: v for k, v in customer_values(customer, self._shards).items() if v is not None}
        return CustomerRecord(customer_id=customer.customer_id, **values)

    def _invoice_record(self, invoice: Invoice) -> InvoiceRecord:
        values = {k: v for k, v in invoice_values(invoice, self._shards).items() if v is not None}
        return InvoiceRecord(customer_id=invoice.customer_id, invoice_id=invoice.invoice_id, **values)


def _moving_version(customer_id: str) -> CustomerRecord:
    """A key-only customer whose conditional update (the claim's own condition) moves the stored version on.

    pynamodb ADDs 1 to the version of a record that carries one, but SETs 1 on a record that carries none:
    the counter went back to 1, and a save from a read made before the claim could pass its version check.
    Any number does: its condition is not added (add_version_condition=False), only its increment is sent.
    """
    record = CustomerRecord(customer_id=customer_id)
    record.version = 0
    return record


def _versioned(record: Model, version: int | None) -> Model:
    """A key-only record carrying the version read: pynamodb conditions the write on it (an item created
    by a batch write has none yet: the condition is then that it still has none)."""
    if version is not None:
        record.version = version  # type: ignore[attr-defined]
    return record


def _due_in(model: type[CustomerRecord] | type[InvoiceRecord], shard: int, today: date) -> list[str]:
    index = model.due_index
    return [item.customer_id for item in index.query(f"due#{shard}", model.next_action_on <= today)]


def _diff(
    model: type[Model], before: dict[str, Any], after: dict[str, Any], names: Sequence[str]
) -> list[UpdateAction]:
    actions = []
    for name in names:
        if comparable(before.get(name)) == comparable(after.get(name)):
            continue
        attribute = getattr(model, name)
        value = after.get(name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def _commit(operations: Sequence[tuple[str, Any]]) -> None:
    connection = InvoiceRecord._get_connection().connection
    try:
        with TransactWrite(connection=connection) as transaction:
            for kind, payload in operations:
                if kind == "event":
                    transaction.save(payload, condition=EventRecord.event_key.does_not_exist())
                elif kind == "create":
                    hash_key = type(payload)._hash_key_attribute()
                    transaction.save(payload, condition=hash_key.does_not_exist())
                else:
                    record, actions, condition = payload
                    transaction.update(record, actions=list(actions), condition=condition)
    except TransactWriteError as exc:
        reasons = [getattr(reason, "code", None) for reason in (exc.cancellation_reasons or [])]
        if "ConditionalCheckFailed" in reasons:
            failed = [
                op for op, code in zip(operations, reasons, strict=False) if code == "ConditionalCheckFailed"
            ]
            raise ConflictError(
                f"a concurrent change won: {', '.join(_describe(op) for op in failed)}",
                event_already_logged=bool(failed) and failed[0][0] == "event",
            ) from exc
        if "ValidationError" in reasons:
            refused = [op for op, code in zip(operations, reasons, strict=False) if code == "ValidationError"]
            raise ItemRejected(f"DynamoDB refuses {', '.join(_describe(op) for op in refused)}") from exc
        raise


def _describe(operation: tuple[str, Any]) -> str:
    kind, payload = operation
    if kind == "event":
        return f"event {payload.customer_id}/{payload.event_key} already logged"
    record = payload if kind == "create" else payload[0]
    if isinstance(record, InvoiceRecord):
        return f"invoice {record.customer_id}/{record.invoice_id}"
    return f"customer {record.customer_id}"


class DynamoEventLog:
    def for_customer(self, customer_id: str) -> list[EscalationEvent]:
        return [event_from_record(r) for r in EventRecord.query(customer_id, consistent_read=True)]

    def append(self, event: EscalationEvent) -> bool:
        try:
            event_record(event).save(condition=EventRecord.event_key.does_not_exist())
        except PutError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def customers_with_message(self, message_id: str) -> list[str]:
        if not message_id:
            return []  # no event is indexed under no id (and DynamoDB refuses an empty key)
        # A global index is read eventually consistent: a reply comes minutes after the email it answers.
        found = {record.customer_id for record in EventRecord.message_index.query(message_id)}
        return sorted(found)

    def exists(self, customer_id: str, event_key: str) -> bool:
        try:
            EventRecord.get(customer_id, event_key, consistent_read=True)
        except EventRecord.DoesNotExist:
            return False
        return True


__all__ = ["Condition", "DynamoBook", "DynamoEventLog", "chunks", "is_conditional_failure"]
