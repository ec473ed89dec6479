"""The variables every template receives, built from the domain (see templates/README.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
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
    }


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
        "last_step": invoice.dunning.last_step,
        "payment_link": invoice.payment_link,
        "purchase_order": invoice.purchase_order,
        "claim": _claim(claim) if claim else None,
        "interest": claim.interest if claim else None,
        "indemnity": claim.indemnity if claim else None,
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
            }
            for p in claim.periods
        ],
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


def message_context(
    *,
    company: Company,
    customer: Customer,
    step: Step,
    acted: Sequence[tuple[Invoice, Step]],
    others: Sequence[Invoice],
    today: date,
    account_manager: str | None,
    claims: dict[str, Claim] | None = None,
) -> dict[str, Any]:
    """The customer's message: every invoice escalated today, the rest of its open book for reference.

    `claims` holds the penalties of the invoices whose step claims them; the message shows them per invoice.
    """
    language = customer.language
    claims = claims or {}
    lines = [
        invoice_line(invoice, today, invoice_step.id, claims.get(invoice.invoice_id))
        for invoice, invoice_step in acted
    ]
    deadline = today + timedelta(days=step.deadline_days) if step.deadline_days else None
    return {
        "language": language,
        "today": today,
        "company": company_context(company),
        "customer": customer_context(customer),
        "step": {"id": step.id, "claim_penalties": step.claim_penalties, "deadline_days": step.deadline_days},
        "invoices": lines,
        "other_invoices": [invoice_line(invoice, today) for invoice in others],
        "totals": totals(lines, language),
        "penalties": penalty_totals(lines),
        "plural": len(lines) > 1,
        "numbers": ", ".join(line["number"] for line in lines),
        "deadline": deadline,
        "b2b": customer.kind is CustomerKind.BUSINESS,
        "account_manager": account_manager,
        "payment": {"iban": company.iban, "reference": payment_reference(customer, [i for i, _ in acted])},
    }


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
    invoices: Sequence[Invoice],
    history: Sequence[dict[str, Any]],
    payments: Sequence[dict[str, Any]],
    today: date,
) -> dict[str, Any]:
    """The account manager's file: every open invoice, every reminder sent, every payment received."""
    language = customer.language
    lines = [invoice_line(invoice, today) for invoice in invoices]
    return {
        "language": language,
        "today": today,
        "company": company_context(company),
        "customer": customer_context(customer),
        "step": {"id": step.id},
        "invoices": lines,
        "totals": totals(lines, language),
        "history": list(history),
        "payments": list(payments),
    }
