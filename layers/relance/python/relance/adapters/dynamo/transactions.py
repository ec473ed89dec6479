"""Writes that must happen together: an escalation's events with the invoices' new state, a payment
with its invoice. Each is one DynamoDB transaction (chunked at the service limit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action as UpdateAction
from pynamodb.transactions import TransactWrite

from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord

# DynamoDB accepts at most 100 items in one transaction.
TRANSACTION_LIMIT = 100


class ConflictError(RuntimeError):
    """Someone else changed an item first (a payment landed mid-run): reload and decide again."""


@dataclass
class Change:
    """An update of one loaded record; its version condition is added by pynamodb."""

    record: InvoiceRecord | CustomerRecord
    actions: list[UpdateAction]
    condition: Condition | None = None
    # The dispatch claim is its own guard; a profile update between claim and commit must not undo a send.
    add_version_condition: bool = True


@dataclass
class UnitOfWork:
    events: list[EventRecord] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # Applied in the last transaction, so that a dispatch is marked done only once everything is written.
    final: Change | None = None

    def commit(self) -> None:
        operations: list[EventRecord | Change] = [*self.events, *self.changes]
        if self.final is not None:
            operations.append(self.final)
        if not operations:
            return
        for start in range(0, len(operations), TRANSACTION_LIMIT):
            _commit(operations[start : start + TRANSACTION_LIMIT])


def _commit(operations: Sequence[EventRecord | Change]) -> None:
    connection = InvoiceRecord._get_connection().connection
    try:
        with TransactWrite(connection=connection) as transaction:
            for operation in operations:
                if isinstance(operation, EventRecord):
                    transaction.save(operation, condition=EventRecord.event_key.does_not_exist())
                else:
                    transaction.update(
                        operation.record,
                        actions=list(operation.actions),
                        condition=operation.condition,
                        add_version_condition=operation.add_version_condition,
                    )
    except TransactWriteError as exc:
        reasons = [getattr(reason, "code", None) for reason in (exc.cancellation_reasons or [])]
        if "ConditionalCheckFailed" in reasons:
            failed = [
                op for op, code in zip(operations, reasons, strict=False) if code == "ConditionalCheckFailed"
            ]
            raise ConflictError(
                f"a concurrent change won: {', '.join(_describe(op) for op in failed)}"
            ) from exc
        raise


def _describe(operation: EventRecord | Change) -> str:
    if isinstance(operation, EventRecord):
        return f"event {operation.customer_id}/{operation.event_key} already logged"
    record = operation.record
    if isinstance(record, InvoiceRecord):
        return f"invoice {record.customer_id}/{record.invoice_id}"
    return f"customer {record.customer_id}"
