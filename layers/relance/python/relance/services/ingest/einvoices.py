"""An e-invoice (UBL, CII, Factur-X): an invoice for its buyer, or a credit note applied as a payment."""

from __future__ import annotations

from dataclasses import replace

from relance.domain.models import Customer
from relance.ingest.einvoice.document import EInvoice
from relance.ingest.rows import BuyerFields
from relance.ingest.validation import check_einvoice
from relance.services.ingest.invoices import store_invoices
from relance.services.ingest.payments import apply_payment_row
from relance.services.ingest.run import IngestRun


def ingest_einvoice(run: IngestRun, document: EInvoice) -> None:
    run.report.rows = 1
    rows, rejection, warnings = check_einvoice(document)
    run.report.warnings.extend(warnings)
    if rejection is not None:
        run.report.reject(rejection)
        return
    assert rows is not None
    run.raw = {1: {"number": document.number or "", "buyer": rows.buyer.name}}
    if rows.credit is not None:
        apply_payment_row(run, rows.credit, rows.buyer)
        return
    assert rows.invoice is not None
    customer = _buyer_customer(run, rows.buyer)
    if customer is None:
        return
    store_invoices(run, [replace(rows.invoice, customer_id=customer.customer_id)])


def _buyer_customer(run: IngestRun, buyer: BuyerFields) -> Customer | None:
    """The stored customer matching the buyer's first identifier that is known; else a new one."""
    stored = run.ctx.book.customers(buyer.candidate_ids)
    for candidate in buyer.candidate_ids:
        if candidate in stored:
            return stored[candidate]
    if buyer.email is None:
        run.reject(
            1,
            f"the buyer {buyer.name!r} (ids: {', '.join(buyer.candidate_ids)}) is not a known customer and "
            "the e-invoice gives no email to reach it: upload the customers file first, then this file",
        )
        return None
    customer = Customer(
        customer_id=buyer.candidate_ids[0],
        name=buyer.name,
        email=buyer.email,
        address=tuple(buyer.address),
        country=buyer.country,
    )
    run.ctx.book.create(customers=[customer])
    # The customer's version as the store now holds it: the invoice's save is conditional on it.
    created = run.ctx.book.customer(customer.customer_id)
    run.warn(
        1,
        f"customer {customer.customer_id!r} created from the e-invoice buyer {buyer.name!r}: "
        "check its language, kind and policy in the customers file",
    )
    return created
