"""The hand-off to collection: the evidence a collection agency or a court will ask for.

Two documents under handoff/<customer>/<date>/, both written once under Object Lock:
- summary.pdf: creditor and debtor, what is claimed per invoice as of the hand-off day (principal,
  interest, indemnity), the route to court, the history of reminders, the notices with their SHA-256;
- evidence.json: the same as data, plus the summary's own key and SHA-256 and the debtor's replies (each raw
  email as kept under replies/, with its SHA-256). Its SHA-256 goes into the CollectionHandoffRequested
  event, so that one hash commits to the whole pack.

Both must come out byte for byte the same when the dispatch is retried the same day (the store refuses
different bytes under an evidence key): the pack tells the file as it stood when the hand-off day began,
so what an earlier attempt of the day logged (a failed send) and SES feedback logged since midnight are
left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from relance.domain.amounts import round_money
from relance.domain.cases import CaseAction
from relance.domain.collection import collection_route
from relance.domain.evidence import retained_until
from relance.domain.models import Customer
from relance.domain.policy import Policy
from relance.ports import Context, StoredObject
from relance.services import documents
from relance.services.call_tasks import notices_with_deadlines
from relance.services.customer_file import CustomerFile
from relance.services.penalties import claims_for, log_fetched_rates, policy_waiver, rates_for

INDEX_FORMAT = "relance-evidence-index/1"


def prepare_handoff(
    ctx: Context,
    customer: Customer,
    action: CaseAction,
    policy: Policy,
    dispatch_key: str,
    today: date,
    customer_file: CustomerFile,
) -> StoredObject:
    """Stores the summary PDF, then the evidence index that names it; returns the index.

    The pack covers every invoice of the case on the hand-off day; those that joined after the formal
    notice are marked as such (the debtor was reminded of them, not put on notice).
    """
    settings = ctx.settings
    invoices = list(action.invoices)
    claims = claims_for(
        settings.country,
        customer,
        invoices,
        today,
        customer_file.payments,
        customer_file.notice_dates,
        settings.interest_rate_mode,
        policy_waiver(policy),
        rates_for(ctx),
    )
    log_fetched_rates(customer.customer_id, claims)
    # The file as it stood at midnight: a retry later in the day must rebuild the very same pack.
    cutoff = datetime.combine(today, time(0), tzinfo=ctx.calendar.timezone)
    history = [
        {
            **entry,
            "delivery": customer_file.delivery_of(entry["message_id"], cutoff),
            "deliveries": customer_file.deliveries_of(entry["message_id"], cutoff),
        }
        for entry in customer_file.history
        if entry["on"] < today
    ]
    payments = [
        {
            "on": p.on,
            "invoice": p.invoice_id,
            "amount": p.amount,
            "currency": _currency(invoices, p.invoice_id),
        }
        for p in customer_file.payments
    ]
    notices = notices_with_deadlines(
        policy, [n for n in customer_file.notices if n["on"] < today], customer.cases
    )
    context = documents.handoff_context(
        company=settings.company,
        customer=customer,
        invoices=invoices,
        claims=claims,
        today=today,
        # The pack goes to an agency or a court of the creditor's country, in its language.
        language="fr" if settings.country == "FR" else "en",
        dispatch_id=dispatch_key,
        history=history,
        payments=payments,
        notices=notices,
    )
    context["route"] = collection_route(settings.country, customer, context["claims"], on=today)
    context["case"] = {
        "id": action.case.case_id,
        "opened_on": action.case.opened_on,
        "noticed": list(action.case.noticed),
        "joined_after_notice": [i.invoice_id for i in invoices if i.invoice_id not in action.case.noticed],
    }

    base = f"handoff/{customer.customer_id}/{today.isoformat()}"
    metadata = {"customer-id": customer.customer_id, "dispatch": dispatch_key}
    retain_until = retained_until(today, settings.notice_retention_days)
    summary = ctx.store.put_evidence(
        f"{base}/summary.pdf",
        ctx.renderer.handoff_summary(context),
        "application/pdf",
        retain_until=retain_until,
        metadata={**metadata, "document": "handoff-summary"},
    )
    index = evidence_index(context, summary, cutoff)
    return ctx.store.put_evidence(
        f"{base}/evidence.json",
        json.dumps(index, indent=2, ensure_ascii=False).encode("utf-8"),
        "application/json",
        retain_until=retain_until,
        metadata={**metadata, "document": "evidence-index", "summary-sha256": summary.sha256},
    )


def evidence_index(context: dict[str, Any], summary: StoredObject, cutoff: datetime) -> dict[str, Any]:
    """The pack as data: every amount as a string, every date ISO, nothing that varies between retries."""
    customer, company = context["customer"], context["company"]
    route = {
        key: (str(value) if isinstance(value, Decimal) else value) for key, value in context["route"].items()
    }
    return {
        "format": INDEX_FORMAT,
        "dispatch_id": context["dispatch_id"],
        "case_id": context["case"]["id"],
        "case_opened_on": context["case"]["opened_on"].isoformat(),
        "prepared_on": context["today"].isoformat(),
        "feedback_logged_before": cutoff.isoformat(),
        "customer_id": customer["id"],
        "customer_name": customer["name"],
        "creditor": {"name": company["name"], "siren": company["siren"], "address": company["address"]},
        "debtor": {
            "name": customer["name"],
            "siren": customer["siren"],
            "address": customer["address"],
            "email": customer["email"],
            "kind": customer["kind"],
        },
        "summary": {"key": summary.key, "sha256": summary.sha256},
        "invoices": [
            {
                "invoice_id": line["number"],
                "issue_date": line["issue_date"].isoformat(),
                "due_date": line["due_date"].isoformat(),
                "currency": line["currency"],
                "total": _amount(line["total"], line["currency"]),
                "paid": _amount(line["paid"], line["currency"]),
                "balance": _amount(line["balance"], line["currency"]),
                "interest": _amount(line["interest"], line["currency"]),
                "indemnity": _amount(line["indemnity"], line["currency"]),
                "claim_total": _amount(line["claim_total"], line["currency"]),
                "formal_notice": line["number"] in context["case"]["noticed"],
                "joined_after_notice": line["number"] in context["case"]["joined_after_notice"],
                "interest_periods": [
                    {
                        "from": p["start"].isoformat(),
                        "to": p["end"].isoformat(),
                        "days": p["days"],
                        "rate": str(p["rate"]),
                        "balance": str(p["balance"]),
                        "interest": str(p["interest"]),
                    }
                    for p in (line["claim"]["periods"] if line["claim"] else [])
                ],
            }
            for claimed in context["claims"]
            for line in claimed["lines"]
        ],
        "totals": [
            {
                "currency": claimed["currency"],
                "principal": _amount(claimed["principal"], claimed["currency"]),
                "interest": _amount(claimed["interest"], claimed["currency"]),
                "interest_incomplete": claimed["incomplete"],
                "indemnity": _amount(claimed["indemnity"], claimed["currency"]),
                "total": _amount(claimed["total"], claimed["currency"]),
            }
            for claimed in context["claims"]
        ],
        "route": route,
        "notices": [
            {
                "on": notice["on"].isoformat(),
                "step": notice["step"],
                "key": notice["key"],
                "sha256": notice["sha256"],
                "currency": notice["currency"],
                "invoice_ids": notice["invoice_ids"],
                "deadline": notice["deadline"].isoformat() if notice["deadline"] else None,
            }
            for notice in context["notices"]
        ],
        "emails": [
            {
                "on": entry["on"].isoformat(),
                "step": entry["step"],
                "message_id": entry["message_id"],
                "email_key": entry.get("email_key"),
                "email_sha256": entry.get("email_sha256"),
                "outcome": entry["outcome"],
                "invoice_ids": entry["invoice_ids"],
                "delivery": entry["delivery"],
                "feedback": [
                    {
                        "on": delivery.on.isoformat(),
                        "status": delivery.status,
                        "recipients": list(delivery.recipients),
                        "reason": delivery.reason,
                    }
                    for delivery in entry["deliveries"]
                ],
            }
            for entry in context["history"]
            # A reply carries the id of the email it answers; it is listed under "replies", not as ours.
            if entry["message_id"] and entry["kind"] != "reply"
        ],
        # The debtor's own words: each reply as SES received it, kept under Object Lock with its SHA-256.
        "replies": [
            {
                "on": entry["on"].isoformat(),
                "class": entry["step"],
                "answers_message_id": entry["message_id"],
                "from": detail.get("from"),
                "inbound_key": detail.get("inbound_key"),
                "key": detail.get("evidence_key"),
                "sha256": detail.get("sha256"),
                "quote": detail.get("quote"),
            }
            for entry in context["history"]
            if entry["kind"] == "reply"
            for detail in [entry.get("detail") or {}]
        ],
        "payments": [
            {"on": p["on"].isoformat(), "invoice_id": p["invoice"], "amount": str(p["amount"])}
            for p in context["payments"]
        ],
        "statuses": [
            {
                "on": entry["on"].isoformat(),
                "status": entry["step"],
                "invoice_ids": entry["invoice_ids"],
                "reason": entry["reason"],
                "actor": entry["actor"],
            }
            for entry in context["history"]
            if entry["kind"] == "status"
        ],
    }


def _amount(value: Decimal | None, currency: str) -> str | None:
    """ "2310.00", not "2310" or "2310.0": the currency's minor unit, as on the documents."""
    return None if value is None else str(round_money(value, currency))


def _currency(invoices: Sequence[Any], invoice_id: str) -> str | None:
    return next((invoice.currency for invoice in invoices if invoice.invoice_id == invoice_id), None)
