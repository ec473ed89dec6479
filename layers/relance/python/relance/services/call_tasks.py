"""Call tasks: the account manager gets the customer's whole file, its case and a call script, and both the
sheet and the task are kept.

The call sheet (the email's HTML part, a complete page) is stored under tasks/<customer>/ next to the
task's JSON, so the file can be reopened after the email is gone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from relance.domain.cases import CaseAction, owed
from relance.domain.models import Case, Customer, Invoice
from relance.domain.policy import Action, Policy, Step
from relance.ports import Context
from relance.rendering.mime import build_message, mailbox, stable_message_id
from relance.services import documents
from relance.services.customer_file import CustomerFile
from relance.services.messages import case_context


def send_call_task(
    ctx: Context,
    customer: Customer,
    invoices: Sequence[Invoice],
    actions: Sequence[CaseAction],
    policy: Policy,
    dispatch_key: str,
    today: date,
    customer_file: CustomerFile,
) -> str:
    """Emails the account manager the call sheet; the sheet and the task are kept in the bucket."""
    settings = ctx.settings
    headline = max(actions, key=lambda action: action.rank)
    step = headline.step
    payments = [
        {
            "on": p.on,
            "amount": p.amount,
            "currency": currency_of(invoices, p.invoice_id),
            "invoice": p.invoice_id,
        }
        for p in customer_file.payments
    ]
    case_invoices = owed(headline.case, invoices, customer.cases, today)
    context = documents.call_task_context(
        company=settings.company,
        customer=customer,
        step=step,
        next_step=next_step(policy, step),
        invoices=case_invoices,
        history=[
            {**entry, "delivery": customer_file.delivery_of(entry["message_id"])}
            for entry in customer_file.history
        ],
        payments=payments,
        notices=notices_with_deadlines(policy, customer_file.notices, customer.cases),
        today=today,
    )
    context["case"] = case_context(headline.case, today)
    context["phone"] = customer.phone
    for line in context["invoices"]:
        first = headline.case.first_named(line["number"])
        line["named_on"] = first.on if first is not None else None
        line["noticed"] = line["number"] in headline.case.noticed
    rendered = ctx.renderer.email("call_task", context)
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
    base = f"tasks/{customer.customer_id}/{today.isoformat()}-{step.id}"
    ctx.store.put_file(f"{base}.html", rendered.html.encode("utf-8"), "text/html; charset=utf-8")
    task = {
        "customer_id": customer.customer_id,
        "case_id": headline.case.case_id,
        "dispatch": dispatch_key,
        "assignee": recipient,
        "phone": customer.phone,
        "invoices": [invoice.invoice_id for action in actions for invoice in action.invoices],
        "step": step.id,
        "subject": rendered.subject,
        "sheet_key": f"{base}.html",
    }
    ctx.store.put_file(f"{base}.json", json.dumps(task, indent=2).encode("utf-8"), "application/json")
    return ctx.mailer.send(
        message, tags={"customer_id": customer.customer_id, "dispatch": dispatch_key, "step": "call_task"}
    )


def next_step(policy: Policy, step: Step) -> Step | None:
    """What follows the call if nothing changes: the script tells the customer."""
    ladder = policy.ladder
    index = next((i for i, item in enumerate(ladder) if item.id == step.id), None)
    if index is None:
        return None
    return ladder[index + 1] if index + 1 < len(ladder) else None


def notices_with_deadlines(
    policy: Policy, notices: Sequence[dict[str, Any]], cases: Sequence[Case] = ()
) -> list[dict[str, Any]]:
    """Each notice sent, with the payment deadline it set: the policy's letter step counted from receipt of
    the registered letter, its recorded date (`cases`) or else the notice day plus the postal delay."""
    letter_steps = [step for step in policy.steps if Action.LETTER in step.actions and step.deadline_days]
    days = letter_steps[-1].deadline_days if letter_steps else None
    received = {case.case_id: case.letter.received_on for case in cases if case.letter.received_on}
    listed = []
    for notice in notices:
        start = received.get(notice.get("case_id") or "") or notice["on"] + timedelta(
            days=policy.postal_delay_days
        )
        listed.append({**notice, "deadline": start + timedelta(days=days) if days else None})
    return listed


def currency_of(invoices: Sequence[Invoice], invoice_id: str) -> str:
    return next((invoice.currency for invoice in invoices if invoice.invoice_id == invoice_id), "EUR")
