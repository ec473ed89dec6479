"""The hand-off to collection: the evidence a collection agency or a court will ask for."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from relance.adapters.store import StoredObject
from relance.bootstrap import Runtime
from relance.domain.engine import InvoiceAction
from relance.domain.models import Customer
from relance.services.customer_file import CustomerFile


def prepare_handoff(
    rt: Runtime,
    customer: Customer,
    items: Sequence[InvoiceAction],
    dispatch_key: str,
    today: date,
    customer_file: CustomerFile,
) -> StoredObject:
    """Stores the evidence index of the file handed off: every notice with its SHA-256, every email sent."""
    index = {
        "customer_id": customer.customer_id,
        "customer_name": customer.name,
        "dispatch_id": dispatch_key,
        "prepared_on": today.isoformat(),
        "invoices": [
            {
                "invoice_id": item.invoice.invoice_id,
                "currency": item.invoice.currency,
                "balance": str(item.invoice.balance),
                "due_date": item.invoice.due_date.isoformat(),
            }
            for item in items
        ],
        "notices": [{**notice, "on": notice["on"].isoformat()} for notice in customer_file.notices],
        "emails": [
            {
                "on": entry["on"].isoformat(),
                "step": entry["step"],
                "message_id": entry["message_id"],
                "outcome": entry["outcome"],
            }
            for entry in customer_file.history
            if entry["message_id"]
        ],
    }
    key = f"handoff/{customer.customer_id}/{today.isoformat()}/evidence.json"
    body = json.dumps(index, indent=2, ensure_ascii=False).encode("utf-8")
    return rt.store.put_evidence(
        key,
        body,
        "application/json",
        retain_until=rt.retain_until(today),
        metadata={"customer-id": customer.customer_id, "dispatch": dispatch_key},
    )
