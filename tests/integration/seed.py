"""Puts customers and invoices straight into the tables, scheduled as the ingest would schedule them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from relance.adapters.dynamo.mapping import customer_from_record, invoice_from_record
from relance.adapters.dynamo.records import CustomerRecord, InvoiceRecord, due_shard
from relance.bootstrap import Runtime
from relance.domain.engine import next_action_date


def add_customer(customer_id: str = "C1", **fields: object) -> CustomerRecord:
    values: dict[str, object] = {
        "name": f"Client {customer_id} SARL",
        "email": f"compta@{customer_id.lower()}.example",
        "language": "fr",
        "kind": "business",
        "address": ["1 rue du Client", "69001 Lyon"],
        "account_manager_email": "am@creditor.example",
    }
    values.update(fields)
    record = CustomerRecord(customer_id=customer_id, **values)
    record.save()
    return record


def add_invoice(
    rt: Runtime,
    invoice_id: str,
    customer_id: str = "C1",
    due: date = date(2026, 2, 2),
    total: str = "1200.00",
    steps: tuple[str, ...] = (),
    last_step_on: date | None = None,
    **fields: object,
) -> InvoiceRecord:
    record = InvoiceRecord(
        customer_id=customer_id,
        invoice_id=invoice_id,
        issue_date=date(due.year, 1, 2),
        due_date=due,
        currency="EUR",
        total=Decimal(total),
        amount_paid=Decimal(str(fields.pop("amount_paid", "0.00"))),
        steps_done=list(steps),
        last_step_on=last_step_on,
        **fields,
    )
    customer = customer_from_record(CustomerRecord.get(customer_id))
    today = rt.calendar.local_date(rt.clock())
    next_on = next_action_date(
        customer, invoice_from_record(record), rt.policy_for(customer), rt.calendar, today
    )
    if next_on is not None:
        record.next_action_on = next_on
        record.due_shard = due_shard(customer_id, rt.settings.due_shards)
    record.save()
    return record
