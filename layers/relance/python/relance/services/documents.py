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

from relance.config import Company, ConsumerMediator
from relance.domain.amounts import ZERO, round_money
from relance.domain.models import Customer, CustomerKind, Invoice
from relance.domain.money import LegalBasis, UnsupportedJurisdiction, legal_basis_for
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
    """One invoice as the documents list it. `interest` is in the invoice's currency; `indemnity` is
    there only when the law fixes it in that same currency (else None: it is in `claim.indemnity_currency`
    and the totals carry it under that currency)."""
    same_currency = claim is not None and claim.indemnity_currency == invoice.currency
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
        "indemnity": claim.indemnity if claim and same_currency else None,
        "indemnity_currency": claim.indemnity_currency if claim else None,
        # How a case's message names the invoice (services/messages.py sets it); the strict templates read
        # it on every line, so a line of another message (a plan reminder) carries it empty.
        "stage": None,
    }


def _claim(claim: Claim) -> dict[str, Any]:
    return {
        "interest": claim.interest,
        "currency": claim.currency,
        "indemnity": claim.indemnity,
        "indemnity_currency": claim.indemnity_currency,
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
        "legal_basis": str(claim.legal_basis) if claim.legal_basis else None,
        "incomplete": claim.interest is None,
        # Why interest is not known yet (services.penalties.MISSING_RATE or NOT_COMPUTED), and from when.
        "pending": claim.pending,
        "pending_from": claim.pending_from,
        # Set when a person must decide before a notice claims this (the notice is then held).
        "hold": claim.hold.reason if claim.hold else None,
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
    deadline: date | None = None,
    deadline_days: int | None = None,
    mediator: ConsumerMediator | None = None,
    country: str | None = None,
) -> dict[str, Any]:
    """A formal notice for the invoices of one currency, with its breakdown of what is claimed.

    The deadline runs from the letter's receipt, so the letter states a number of days, never a date:
    `deadline_days` (or, for callers still passing `deadline`, its distance from `today`; 8 by default).
    The law printed is the claims' legal basis (or the one `country` and the customer's kind give);
    `mediator` is named on consumer notices (Code de la consommation L616-1). `totals` holds one entry
    per currency, the letter's first: a GBP invoice's 40 EUR indemnity is its own EUR entry.
    """
    language = customer.language
    lines = [invoice_line(invoice, today, claim=claims.get(invoice.invoice_id)) for invoice in invoices]
    basis = _legal_basis(claims, invoices, customer, country)
    law = law_context(basis)
    totals = _letter_first(penalty_totals(lines) or [_empty_total(currency, lines)], currency, lines)
    summary = dict(totals[0])
    fixed_sums = _fixed_sums(claims, invoices, law)
    if not law["fixed_sum"] or not any(item["currency"] == currency for item in fixed_sums):
        # Nothing fixed in the letter's currency: the table's indemnity column stays empty, not "0.00".
        summary["indemnity"] = None
        for line in lines:
            line["indemnity"] = None
    if deadline_days is None:
        deadline_days = (deadline - today).days if deadline is not None else DEFAULT_DEADLINE_DAYS
    return {
        "language": language,
        "today": today,
        "deadline": {"days": deadline_days, "runs_from": "receipt"},
        "company": company_context(company),
        "customer": customer_context(customer),
        "invoices": lines,
        "plural": len(lines) > 1,
        "numbers": ", ".join(line["number"] for line in lines),
        "b2b": customer.kind is CustomerKind.BUSINESS,
        "law": law,
        "mediator": {"name": mediator.name, "url": mediator.url} if mediator else None,
        "summary": summary,
        "totals": totals,
        "fixed_sums": fixed_sums,
        "incomplete": any(item["incomplete"] for item in totals),
        "pending": _pending(lines),
        "contractual": any(line["claim"] and line["claim"]["contractual"] for line in lines),
        "payment_links": [line for line in lines if line["payment_link"]],
        "payment": {"iban": company.iban, "reference": payment_reference(customer, invoices)},
    }


DEFAULT_DEADLINE_DAYS = 8


def law_context(basis: LegalBasis | None) -> dict[str, Any]:
    """What templates need to pick the law partial: templates/<language>/law/<partial>.j2."""
    if basis is None:
        return {"basis": None, "partial": "none", "consumer": False, "fixed_sum": False}
    return {
        "basis": str(basis),
        "partial": basis.partial,
        "consumer": basis.consumer,
        "fixed_sum": basis.jurisdiction.rules.indemnity is not None,
    }


def _legal_basis(
    claims: dict[str, Claim], invoices: Sequence[Invoice], customer: Customer, country: str | None
) -> LegalBasis | None:
    for invoice in invoices:
        claim = claims.get(invoice.invoice_id)
        if claim is not None and claim.legal_basis is not None:
            return claim.legal_basis
    if country is None:
        return None
    try:
        return legal_basis_for(country, customer.kind)
    except UnsupportedJurisdiction:
        return None


def _letter_first(
    totals: list[dict[str, Any]], currency: str, lines: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    first = [item for item in totals if item["currency"] == currency] or [_empty_total(currency, lines)]
    return first + [item for item in totals if item["currency"] != currency]


def _fixed_sums(
    claims: dict[str, Claim], invoices: Sequence[Invoice], law: dict[str, Any]
) -> list[dict[str, Any]]:
    """The fixed indemnities claimed, per the currency the law fixes them in."""
    if not law["fixed_sum"]:
        return []
    by_currency: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for invoice in invoices:
        claim = claims.get(invoice.invoice_id)
        if claim is not None:
            by_currency[claim.indemnity_currency] += claim.indemnity
    return [
        {"currency": currency, "amount": round_money(amount, currency)}
        for currency, amount in sorted(by_currency.items())
    ]


def _pending(lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"number": line["number"], "reason": line["claim"]["pending"], "from": line["claim"]["pending_from"]}
        for line in lines
        if line["claim"] and line["claim"]["incomplete"] and not line["claim"]["waived"]
    ]


def _empty_total(currency: str, lines: Sequence[dict[str, Any]]) -> dict[str, Any]:
    principal = sum((line["balance"] for line in lines if line["currency"] == currency), ZERO)
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
    """Per currency: principal, interest and indemnity claimed, and whether some interest is still unknown.

    Principal and interest count under the invoice's currency, each indemnity under the currency the
    law fixes it in: a GBP invoice under French law gives a GBP entry and a 40 EUR one. Nothing is
    converted, nothing dropped.
    """
    entries: dict[str, dict[str, Any]] = {}

    def entry(currency: str) -> dict[str, Any]:
        return entries.setdefault(
            currency,
            {"principal": ZERO, "interest": ZERO, "indemnity": ZERO, "incomplete": False, "waived": []},
        )

    for line in lines:
        claim = line["claim"]
        if claim is None:
            continue
        own = entry(line["currency"])
        own["principal"] += line["balance"]
        own["interest"] += line["interest"] or ZERO
        own["incomplete"] = own["incomplete"] or claim["incomplete"]
        own["waived"].append(claim["waived"])
        fixed = entry(claim["indemnity_currency"] or line["currency"])
        fixed["indemnity"] += claim["indemnity"]
        if fixed is not own:
            fixed["waived"].append(claim["waived"])
    result = []
    for currency, item in sorted(entries.items()):
        interest = round_money(item["interest"], currency)
        indemnity = round_money(item["indemnity"], currency)
        result.append(
            {
                "currency": currency,
                "principal": item["principal"],
                "interest": interest,
                "indemnity": indemnity,
                "total": item["principal"] + interest + indemnity,
                "incomplete": item["incomplete"],
                "waived": all(item["waived"]),
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
    country: str | None = None,
) -> dict[str, Any]:
    """The hand-off summary: what is claimed per invoice as of today, the route to court, the evidence.

    Written in `language` (the creditor's, for the agency or court it goes to), not the debtor's. One
    entry of `claims` per currency; a currency holding only fixed indemnities (40 EUR on a GBP invoice)
    has an entry with no lines.
    """
    by_currency: dict[str, list[dict[str, Any]]] = defaultdict(list)
    all_lines = []
    for invoice in invoices:
        line = invoice_line(invoice, today, claim=claims.get(invoice.invoice_id))
        line["claim_total"] = line["balance"] + (line["interest"] or ZERO) + (line["indemnity"] or ZERO)
        by_currency[invoice.currency].append(line)
        all_lines.append(line)
    claimed = []
    totals = penalty_totals(all_lines)
    currencies = sorted({*by_currency, *(item["currency"] for item in totals)})
    for currency in currencies:
        lines = by_currency.get(currency, [])
        summary = next((item for item in totals if item["currency"] == currency), None)
        claimed.append({**(summary or _empty_total(currency, lines)), "lines": lines})
    law = law_context(_legal_basis(claims, invoices, customer, country))
    if not law["fixed_sum"]:
        # A consumer owes no fixed sum: its column stays empty rather than full of zeros.
        for line in all_lines:
            line["indemnity"] = None
        for item in claimed:
            item["indemnity"] = None
    return {
        "language": language,
        "today": today,
        "dispatch_id": dispatch_id,
        "company": company_context(company),
        "customer": customer_context(customer),
        "b2b": customer.kind is CustomerKind.BUSINESS,
        "law": law,
        "claims": claimed,
        "incomplete": any(item["incomplete"] for item in claimed),
        "contractual": any(line["claim"] and line["claim"]["contractual"] for line in all_lines),
        "pending": _pending(all_lines),
        "held": [
            {"number": line["number"], "reason": line["claim"]["hold"]}
            for line in all_lines
            if line["claim"] and line["claim"]["hold"]
        ],
        "waived": any(line["claim"] and line["claim"]["waived"] for line in all_lines),
        "history": list(history),
        "payments": list(payments),
        "notices": list(notices),
    }
