"""A payments file (and credit notes): each payment applied once, with its log event, to its invoice.

A payment is one save: its PAYMENT event (whose key is derived from the payment, so the same payment from
any file collides with itself), the invoice's new amounts, the customer's payment behaviour when the
invoice is paid late, and the customer's cases and schedule settled (a case closes when nothing is owed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from relance.domain.events import EscalationEvent, EventKind, EventLine, Outcome
from relance.domain.models import Customer, Invoice
from relance.domain.policy import Policy
from relance.ingest.reconcile import PaymentRefused, apply_payment, payment_behaviour, payment_key
from relance.ingest.rows import BuyerFields, PaymentFields
from relance.ports import ConflictError, ItemRejected
from relance.services.bookkeeping import Edit, edit_book
from relance.services.ingest.run import IngestRun


def store_payments(run: IngestRun, rows: Sequence[PaymentFields]) -> None:
    for payment in rows:
        apply_payment_row(run, payment)


def apply_payment_row(run: IngestRun, payment: PaymentFields, buyer: BuyerFields | None = None) -> None:
    found = _invoices_for(run, payment)
    if buyer is not None and len(found) > 1:
        found = [invoice for invoice in found if invoice.customer_id in buyer.candidate_ids] or found
    if not found:
        whose = f" of customer {payment.customer_id!r}" if payment.customer_id else ""
        what = f"credit note {payment.credit_note} is for invoice" if payment.credit_note else "invoice"
        run.reject(
            payment.line,
            f"{what} {payment.invoice_id!r}{whose} is unknown: "
            "upload the invoices file first, then this file",
            payment.values,
        )
        return
    if len(found) > 1:
        customers = ", ".join(sorted(invoice.customer_id for invoice in found))
        run.reject(
            payment.line,
            f"invoice {payment.invoice_id!r} exists for several customers ({customers}): "
            "add a customer_id column",
            payment.values,
        )
        return
    target = found[0]
    event = payment_event(run, target, payment)
    # Read first, so that a file dropped again costs no refused write; the save's condition still guards
    # against two files applying the same payment at the same moment.
    if run.ctx.events.exists(target.customer_id, event.event_key):
        run.report.unchanged += 1
        return
    warnings: list[str] = []

    def edit(customer: Customer, invoices: Sequence[Invoice], policy: Policy) -> Edit:
        current = next((invoice for invoice in invoices if invoice.invoice_id == target.invoice_id), None)
        if current is None:
            raise PaymentRefused(f"invoice {target.invoice_id} is gone")
        outcome = apply_payment(
            total=current.total,
            amount_paid=current.amount_paid,
            currency=current.currency,
            status=current.status,
            paid_on=current.paid_on,
            payment=payment,
        )
        warnings[:] = outcome.warnings
        after = replace(
            current, amount_paid=outcome.amount_paid, status=outcome.status, paid_on=outcome.paid_on
        )
        if outcome.became_paid and outcome.paid_on is not None:
            behaviour = payment_behaviour(
                customer.late_invoices, customer.average_days_late, current.due_date, outcome.paid_on
            )
            if behaviour is not None:
                customer = replace(customer, late_invoices=behaviour[0], average_days_late=behaviour[1])
        logged = replace(event, lines=(EventLine(invoice_id=current.invoice_id, balance=outcome.balance),))
        return Edit(customer, [after], [replace(logged, customer_name=customer.name)])

    try:
        saved = edit_book(run.ctx, target.customer_id, edit, actor=f"file:{run.key}")
    except PaymentRefused as exc:
        run.reject(payment.line, str(exc), payment.values)
        return
    except ConflictError:
        run.reject(
            payment.line,
            "invoice changed by someone else during the import; drop the file again",
            payment.values,
        )
        return
    except ItemRejected as exc:
        run.reject(payment.line, f"the payment cannot be stored: {exc}", payment.values)
        return
    if not saved.changed:
        run.report.unchanged += 1
        return
    run.report.applied_payments += 1
    for warning in warnings:
        run.warn(payment.line, warning)


def _invoices_for(run: IngestRun, payment: PaymentFields) -> list[Invoice]:
    if payment.customer_id:
        return list(run.ctx.book.invoices([(payment.customer_id, payment.invoice_id)]).values())
    return run.ctx.book.find_invoices(payment.invoice_id)


def payment_event(run: IngestRun, invoice: Invoice, payment: PaymentFields) -> EscalationEvent:
    detail = {"source_file": run.key, "line": str(payment.line)}
    if payment.payment_id:
        detail["payment_id"] = payment.payment_id
    if payment.credit_note:
        detail["credit_note"] = payment.credit_note
    return EscalationEvent(
        customer_id=invoice.customer_id,
        kind=EventKind.PAYMENT,
        occurred_on=payment.paid_on,
        recorded_at=run.now,
        outcome=Outcome.RECORDED,
        key_suffix=payment_key(payment),
        invoice_ids=(invoice.invoice_id,),
        lines=(EventLine(invoice_id=invoice.invoice_id, balance=invoice.balance),),
        currency=invoice.currency,
        amount=payment.amount,
        reason=f"credit note {payment.credit_note}" if payment.credit_note else None,
        actor=f"file:{run.key}",
        detail=detail,
    )
