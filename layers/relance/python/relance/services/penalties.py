"""What each invoice owes beyond its balance when a step claims penalties (interest, indemnity)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from relance.domain.models import Customer, CustomerKind, Invoice
from relance.services.documents import Claim

_FIXED_INDEMNITY = Decimal("40.00")


def claims_for(
    customer: Customer, invoices: Sequence[Invoice], today: date, *, claim_penalties: bool
) -> dict[str, Claim | None]:
    if not claim_penalties or customer.waive_penalties:
        return {invoice.invoice_id: None for invoice in invoices}
    b2b = customer.kind is CustomerKind.BUSINESS
    return {
        invoice.invoice_id: Claim(interest=None, indemnity=_FIXED_INDEMNITY if b2b else Decimal("0.00"))
        for invoice in invoices
    }
