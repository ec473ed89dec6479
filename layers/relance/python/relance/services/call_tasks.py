"""Call tasks: the account manager gets the customer's whole file and a call script, and the task is kept."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from relance.bootstrap import Runtime
from relance.domain.engine import InvoiceAction
from relance.domain.models import Customer, Invoice, InvoiceStatus
from relance.rendering.environment import render_email
from relance.rendering.mime import build_message, mailbox, stable_message_id
from relance.services import documents
from relance.services.customer_file import CustomerFile


def send_call_task(
    rt: Runtime,
    customer: Customer,
    invoices: Sequence[Invoice],
    items: Sequence[InvoiceAction],
    dispatch_key: str,
    today: date,
    customer_file: CustomerFile,
) -> str:
    """Emails the account manager the customer's whole file and a call script; the task is kept in S3."""
    settings = rt.settings
    history = customer_file.history
    payments = [
        {
            "on": p.on,
            "amount": p.amount,
            "currency": currency_of(invoices, p.invoice_id),
            "invoice": p.invoice_id,
        }
        for p in customer_file.payments
    ]
    open_invoices = [
        invoice for invoice in invoices if invoice.status is InvoiceStatus.OPEN and invoice.balance > 0
    ]
    context = documents.call_task_context(
        company=settings.company,
        customer=customer,
        step=items[0].step,
        invoices=open_invoices,
        history=history,
        payments=payments,
        today=today,
    )
    rendered = render_email("call_task", context)
    recipient = customer.account_manager_email or settings.company.reply_to
    message = build_message(
        sender=mailbox(settings.company.name, settings.sender_email),
        reply_to=mailbox(settings.company.name, settings.company.reply_to),
        to=[mailbox("", recipient)],
        cc=[],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=stable_message_id(f"{dispatch_key}#call_task", settings.sender_email),
        headers={"X-Relance-Dispatch": dispatch_key, "X-Relance-Step": "call_task"},
    )
    task = {
        "customer_id": customer.customer_id,
        "dispatch": dispatch_key,
        "assignee": recipient,
        "invoices": [item.invoice.invoice_id for item in items],
        "step": items[0].step.id,
        "subject": rendered.subject,
    }
    rt.store.put_file(
        f"tasks/{customer.customer_id}/{today.isoformat()}-{items[0].step.id}.json",
        json.dumps(task, indent=2).encode("utf-8"),
        "application/json",
    )
    return rt.mailer.send(
        message, tags={"customer_id": customer.customer_id, "dispatch": dispatch_key, "step": "call_task"}
    )


def currency_of(invoices: Sequence[Invoice], invoice_id: str) -> str:
    return next((invoice.currency for invoice in invoices if invoice.invoice_id == invoice_id), "EUR")
