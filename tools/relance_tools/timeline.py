"""The escalation log as `timeline.json`: one entry per event, sorted by date then customer.

The demo reads it back from the embedded AWS, the replay from its in-memory log: both through the same
ports, so the two files compare line by line.
"""

from __future__ import annotations

from typing import Any

from relance.domain.events import EscalationEvent, day_phase
from relance.ports import Context


def entry(event: EscalationEvent, name: str) -> dict[str, Any]:
    notices = [ref for ref in event.notices if ref.key.startswith("notices/")]
    evidence = [ref for ref in event.notices if not ref.key.startswith("notices/")]
    return {
        "date": event.occurred_on.isoformat(),
        "customer_id": event.customer_id,
        "customer_name": event.customer_name or name,
        "case_id": event.case_id,
        "kind": event.kind.value,
        "invoice_ids": list(event.invoice_ids),
        "step": event.step,
        "channels": list(event.channels),
        "outcome": event.outcome.value,
        "message_id": event.message_id,
        "notice_key": notices[0].key if notices else None,
        "notice_sha256": notices[0].sha256 if notices else None,
        "evidence_key": evidence[0].key if evidence else None,
        "email_key": event.email_key,
        "email_sha256": event.email_sha256,
        "amount_due": str(event.amount) if event.amount is not None else None,
        "currency": event.currency,
        "reason": event.reason,
        "actor": event.actor,
    }


def timeline(ctx: Context) -> list[dict[str, Any]]:
    names = {customer.customer_id: customer.name for customer in ctx.book.all_customers()}
    entries = [
        entry(event, names[customer_id])
        for customer_id in sorted(names)
        for event in ctx.events.for_customer(customer_id)
    ]
    # Within a phase, an order that does not depend on message ids (which differ between moto and memory).
    entries.sort(
        key=lambda item: (
            item["date"],
            item["customer_id"],
            day_phase(item["kind"], item["step"]),
            item["kind"],
            item["step"] or "",
            item["invoice_ids"],
        )
    )
    return entries
