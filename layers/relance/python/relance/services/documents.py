"""The variables of letters, hand-off packs and call sheets, and the pieces every message shares (the
customer's message of the day is built in relance.services.messages; docs/documents.md lists them all).

Templates are strict (a missing variable fails the render), so every key a template may read is always
present here, None or empty when unknown: an unknown IBAN is `None`, never a missing key.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from relance.config import Company
from relance.domain.amounts import ZERO, round_money
from relance.domain.models import Customer, CustomerKind, Invoice
from relance.domain.policy import Step
from relance.rendering import formatting
from relance.services.penalties import Claim

# SEPA remittance information holds 140 characters.
_REFERENCE_LIMIT = 140
# Ingest accepts only http(s) links; a record written another way must not put `javascript:` in an href.
_SAFE_LINK = re.compile(r"^https?://[^\s<>\"'`\\]+$")
# The note penalties.py gives a period priced at the customer's or invoice's own rate.
_CONTRACTUAL = "contractual rate"


def company_context(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "siren": company.siren,
        "address": list(company.address),
        "iban": company.iban,
        "phone": company.phone,
        "reply_to": company.reply_to,
    }


def customer_context(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.customer_id,
        "name": customer.name,
        "email": customer.email,
        "siren": customer.siren,
        "address": list(customer.address),
        "kind": customer.kind.value,
        # "bounced" or "complained" once SES reported it (services/feedback.py): no email reaches them.
        "contact_status": customer.contact_status.value,
    }


def safe_link(link: str | None) -> str | None:
    return link if link and _SAFE_LINK.match(link) else None


def invoice_line(
    invoice: Invoice, today: date, step: str | None = None, claim: Claim | None = None
) -> dict[str, Any]:
    return {
        "number": invoice.invoice_id,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "total": invoice.total,
        "paid": invoice.amount_paid,
        "balance": invoice.balance,
        "days_late": invoice.days_late(today),
        "step": step,
        "payment_link": safe_link(invoice.payment_link),
        "purchase_order": invoice.purchase_order,
        "claim": _claim(claim) if claim else None,
        "interest": claim.interest if claim else None,
        "indemnity": claim.indemnity if claim else None,
        # How a case's message names the invoice (services/messages.py sets it); the strict templates read
        # it on every line, so a line of another message (a plan reminder) carries it empty.
        "stage": None,
    }


def _claim(claim: Claim) -> dict[str, Any]:
    return {
        "interest": claim.interest,
        "indemnity": claim.indemnity,
        "waived": claim.waived,
        "waived_interest": claim.waived_interest,
        "waived_indemnity": claim.waived_indemnity,
        "periods": [
            {
                "start": p.start,
                "end": p.end,
                "days": p.days,
                "rate": p.rate,
                "balance": p.balance,
                "interest": p.interest,
                "contractual": p.rate_note == _CONTRACTUAL,
            }
            for p in claim.periods
        ],
        # A notice must name the rate it applies: the agreed one is not the statutory one.
        "contractual": any(p.rate_note == _CONTRACTUAL for p in claim.periods),
        "basis": list(claim.basis),
        "incomplete": claim.interest is None,
    }


def totals(lines: Iterable[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    by_currency: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        by_currency[line["currency"]] += line["balance"]
    return [
        {"currency": currency, "balance": amount, "display": formatting.money(amount, currency, language)}
        for currency, amount in sorted(by_currency.items())
    ]


def payment_reference(customer: Customer, invoices: Sequence[Invoice]) -> str:
    reference = f"{customer.customer_id} " + " ".join(invoice.invoice_id for invoice in invoices)
    return reference[:_REFERENCE_LIMIT].strip()


def letter_context(
    *,
    company: Company,
    customer: Customer,
    invoices: Sequence[Invoice],
    claims: dict[str, Claim],
    currency: str,
    today: date,
    deadline: date,
) -> dict[str, Any]:
    """A formal notice for the invoices of one currency, with its breakdown of what is claimed."""
    language = customer.language
    lines = [invoice_line(invoice, today, claim=claims.get(invoice.invoice_id)) for invoice in invoices]
    [summary] = penalty_totals(lines) or [_empty_total(currency, lines)]
    return {
        "language": language,
        "today": today,
        "deadline": deadline,
        "company": company_context(company),
        "customer": customer_context(customer),
        "invoices": lines,
        "plural": len(lines) > 1,
        "numbers": ", ".join(line["number"] for line in lines),
        "b2b": customer.kind is CustomerKind.BUSINESS,
        "summary": summary,
        "contractual": any(line["claim"] and line["claim"]["contractual"] for line in lines),
        "payment_links": [line for line in lines if line["payment_link"]],
        "payment": {"iban": company.iban, "reference": payment_reference(customer, invoices)},
    }


def _empty_total(currency: str, lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    principal = sum((line["balance"] for line in lines), ZERO)
    zero = round_money(ZERO, currency)
    return {
        "currency": currency,
        "principal": principal,
        "interest": zero,
        "indemnity": zero,
        "total": principal,
        "incomplete": False,
        "waived": False,
    }


def penalty_totals(lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per currency: principal, interest and indemnity claimed, and whether some interest is still unknown."""
    by_currency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        if line["claim"] is not None:
            by_currency[line["currency"]].append(line)
    result = []
    for currency, claimed in sorted(by_currency.items()):
        principal = sum((line["balance"] for line in claimed), ZERO)
        interest = round_money(sum((line["interest"] or ZERO for line in claimed), ZERO), currency)
        indemnity = round_money(sum((line["indemnity"] or ZERO for line in claimed), ZERO), currency)
        result.append(
            {
                "currency": currency,
                "principal": principal,
                "interest": interest,
                "indemnity": indemnity,
                "total": principal + interest + indemnity,
                "incomplete": any(line["claim"]["incomplete"] for line in claimed),
                "waived": all(line["claim"]["waived"] for line in claimed),
            }
        )
    return result


def call_task_context(
    *,
    company: Company,
    customer: Customer,
    step: Step,
    next_step: Step | None,
    invoices: Sequence[Invoice],
    history: Sequence[dict[str, Any]],
    payments: Sequence[dict[str, Any]],
    notices: Sequence[dict[str, Any]],
    today: date,
) -> dict[str, Any]:
    """The account manager's call sheet: the customer's whole file and a script fitted to the stage.

    `history` holds the escalation log's entries (with each email's delivery status), `notices` the formal
    notices already sent (with their deadline when known). The stage picks the script: before any formal
    notice the call is the last friendly chance; after one, it announces what comes next.
    """
    language = customer.language
    # The case fills in when each invoice was first reminded and whether it is under notice.
    lines = [{**invoice_line(invoice, today), "named_on": None, "noticed": False} for invoice in invoices]
    latest_notice = notices[-1] if notices else None
    return {
        "language": language,
        "today": today,
        "company": company_context(company),
        "customer": customer_context(customer),
        "step": {"id": step.id},
        "next_step": {"id": next_step.id, "offset_days": next_step.offset_days} if next_step else None,
        "stage": "after_notice" if latest_notice else "before_notice",
        "latest_notice": latest_notice,
        "invoices": lines,
        "totals": totals(lines, language),
        "reminders": [entry for entry in history if entry["kind"] != "status"],
        "statuses": [entry for entry in history if entry["kind"] == "status"],
        "payments": list(payments),
        "notices": list(notices),
        "phone": customer.phone,
        "case": None,
    }


def handoff_context(
    *,
    company: Company,
    customer: Customer,
    invoices: Sequence[Invoice],
    claims: dict[str, Claim],
    today: date,
    language: str,
    dispatch_id: str,
    history: Sequence[dict[str, Any]],
    payments: Sequence[dict[str, Any]],
    notices: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The hand-off summary: what is claimed per invoice as of today, the route to court, the evidence.

    Written in `language` (the creditor's, for the agency or court it goes to), not the debtor's.
    """
    by_currency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for invoice in invoices:
        line = invoice_line(invoice, today, claim=claims.get(invoice.invoice_id))
        line["claim_total"] = line["balance"] + (line["interest"] or ZERO) + (line["indemnity"] or ZERO)
        by_currency[invoice.currency].append(line)
    claimed = []
    for currency, lines in sorted(by_currency.items()):
        [summary] = penalty_totals(lines) or [_empty_total(currency, lines)]
        claimed.append({**summary, "lines": lines})
    return {
        "language": language,
        "today": today,
        "dispatch_id": dispatch_id,
        "company": company_context(company),
        "customer": customer_context(customer),
        "b2b": customer.kind is CustomerKind.BUSINESS,
        "claims": claimed,
        "incomplete": any(item["incomplete"] for item in claimed),
        "waived": any(
            line["claim"] and line["claim"]["waived"] for item in claimed for line in item["lines"]
        ),
        "history": list(history),
        "payments": list(payments),
        "notices": list(notices),
    }
