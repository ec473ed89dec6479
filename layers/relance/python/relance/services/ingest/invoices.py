"""An invoices file: per customer, new invoices created and changed ones updated in one settled save."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from relance.domain.amounts import ZERO
from relance.domain.models import Customer, Invoice, InvoiceStatus
from relance.domain.policy import Policy
from relance.ingest.reconcile import invoice_changes, new_invoice
from relance.ingest.rows import InvoiceFields
from relance.ports import ConflictError, ItemRejected
from relance.services.bookkeeping import Edit, NothingToDo, edit_book
from relance.services.ingest.run import IngestRun


def store_invoices(run: IngestRun, rows: Sequence[InvoiceFields]) -> None:
    """Each customer's rows in one save: its cases and next action date settled with them."""
    by_customer: dict[str, list[InvoiceFields]] = {}
    for fields in rows:
        by_customer.setdefault(fields.customer_id, []).append(fields)
    known = run.ctx.book.customers(by_customer)
    for customer_id, group in by_customer.items():
        if customer_id not in known:
            for fields in group:
                run.reject(
                    fields.line,
                    f"customer {customer_id!r} is unknown: upload the customers file first "
                    "(incoming/customers/), then this file again",
                    fields.values,
                )
            continue
        _store_group(run, customer_id, group)


def _store_group(run: IngestRun, customer_id: str, group: Sequence[InvoiceFields]) -> None:
    outcomes: dict[int, str] = {}
    warnings: dict[int, tuple[str, ...]] = {}

    def edit(customer: Customer, invoices: Sequence[Invoice], policy: Policy) -> Edit:
        outcomes.clear()
        warnings.clear()
        current = {invoice.invoice_id: invoice for invoice in invoices}
        changed: dict[str, Invoice] = {}
        for fields in group:
            existing = changed.get(fields.invoice_id) or current.get(fields.invoice_id)
            if existing is None:
                changed[fields.invoice_id] = created(fields)
                outcomes[fields.line] = "created"
                continue
            plan = invoice_changes(stored_invoice(existing), fields)
            warnings[fields.line] = plan.warnings
            if plan.values:
                changed[fields.invoice_id] = with_values(existing, plan.values)
                outcomes[fields.line] = "updated" if fields.invoice_id in current else "created"
            else:
                outcomes[fields.line] = "unchanged" if fields.invoice_id in current else "created"
        if not changed:
            raise NothingToDo
        return Edit(customer, list(changed.values()))

    try:
        saved = edit_book(run.ctx, customer_id, edit, actor=f"file:{run.key}")
    except ConflictError:
        for fields in group:
            run.reject(
                fields.line,
                "invoice changed by someone else during the import; drop the file again",
                fields.values,
            )
        return
    except ItemRejected as exc:
        for fields in group:
            run.reject(
                fields.line, f"the invoices of customer {customer_id} cannot be stored: {exc}", fields.values
            )
        return
    if not saved.changed and not outcomes:
        run.report.unchanged += len(group)
        return
    for fields in group:
        outcome = outcomes.get(fields.line, "unchanged")
        setattr(run.report, outcome, getattr(run.report, outcome) + 1)
        for warning in warnings.get(fields.line, ()):
            run.warn(fields.line, warning)


def created(fields: InvoiceFields) -> Invoice:
    plan = new_invoice(fields)
    base = Invoice(
        invoice_id=fields.invoice_id,
        customer_id=fields.customer_id,
        issue_date=fields.issue_date,
        due_date=fields.due_date,
        currency=fields.currency,
        total=fields.total,
    )
    return with_values(base, plan.values)


def stored_invoice(invoice: Invoice) -> dict[str, Any]:
    """The invoice's source fields as the file's rules compare them (relance.ingest.reconcile)."""
    return {
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "total": invoice.total,
        "amount_paid": invoice.amount_paid,
        "payment_link": invoice.payment_link,
        "purchase_order": invoice.purchase_order,
        "status": invoice.status.value,
        "contract_rate": invoice.contract_rate,
    }


def with_values(invoice: Invoice, values: Mapping[str, Any]) -> Invoice:
    changes = {name: value for name, value in values.items() if name in Invoice.__dataclass_fields__}
    if "status" in changes:
        changes["status"] = InvoiceStatus(changes["status"])
    if "amount_paid" in changes and changes["amount_paid"] is None:
        changes["amount_paid"] = ZERO
    return replace(invoice, **changes)
