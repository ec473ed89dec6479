"""The customer's message of the day as one letter: what its templates receive (docs/documents.md).

Whatever the day holds (a case's step, several cases of different currencies, invoices falling due soon,
penalties still due on invoices paid since they were claimed), the customer reads one message:
- its heading and opening words come from the case's step and from what the customer already received
  ("Malgré nos relances" only where reminders went before);
- each invoice is named at its stage: new in the case, reminded since a date, covered by today's or an
  earlier formal notice, overdue since the notice, or falling due soon ("à échoir");
- its amounts add up: "Total dû" is the sum of the overdue balances listed, "Total réclamé" is that
  principal plus the penalties and indemnities of the same invoices (and of those paid since they were
  claimed), stated once per currency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from relance.config import Company, ConsumerMediator
from relance.domain.amounts import ZERO, round_money
from relance.domain.cases import CaseAction
from relance.domain.models import Case, CaseMessage, Customer, CustomerKind, Invoice, MessageKind
from relance.domain.money import LegalBasis, UnsupportedJurisdiction, legal_basis_for
from relance.domain.policy import Action, Policy, Step
from relance.services.documents import (
    company_context,
    customer_context,
    invoice_line,
    law_context,
    payment_reference,
    totals,
)
from relance.services.penalties import Claim


@dataclass(frozen=True)
class MessageParts:
    """What the day's message holds, before it becomes template variables."""

    step: Step
    actions: tuple[CaseAction, ...]
    upcoming: tuple[Invoice, ...] = ()
    settled_claims: tuple[Invoice, ...] = ()
    """Paid invoices whose penalties were claimed before the payment and stay due (claim_after_payment)."""

    @property
    def listed(self) -> tuple[Invoice, ...]:
        seen: dict[str, Invoice] = {}
        for action in self.actions:
            for invoice in action.invoices:
                seen.setdefault(invoice.invoice_id, invoice)
        return tuple(seen.values())

    @property
    def headline(self) -> CaseAction | None:
        messaging = [action for action in self.actions if action.step.sends_message]
        return max(messaging, key=lambda action: action.rank) if messaging else None


def settled_claims(case: Case, invoices: Iterable[Invoice], policy: Policy) -> tuple[Invoice, ...]:
    """Invoices paid after a message of the case claimed their penalties: those penalties stay claimable."""
    if not policy.claim_after_payment:
        return ()
    claiming = {step.id for step in policy.steps if step.claim_penalties}
    claimed = {
        invoice_id
        for message in case.messages
        if message.step in claiming
        for invoice_id in message.invoice_ids
    }
    return tuple(
        invoice
        for invoice in invoices
        if invoice.invoice_id in claimed
        and invoice.currency == case.currency
        and invoice.paid_on is not None
        and invoice.balance <= ZERO
    )


def _stage(case: Case, action: CaseAction, invoice: Invoice) -> dict[str, Any]:
    """How the message names the invoice: new, reminded since, on notice, or overdue since the notice."""
    invoice_id = invoice.invoice_id
    notice = _notice_message(case)
    if any(item.invoice_id == invoice_id for item in action.letter_invoices):
        return {"stage": "noticed_today", "since": None}
    if invoice_id in case.noticed and notice is not None:
        return {"stage": "noticed", "since": notice.on}
    if notice is not None:
        return {"stage": "after_notice", "since": notice.on}
    first = case.first_named(invoice_id)
    if first is not None:
        return {"stage": "reminded", "since": first.on}
    return {"stage": "new", "since": None}


def _notice_message(case: Case) -> CaseMessage | None:
    return next((item for item in case.messages if item.letter and item.kind is MessageKind.STEP), None)


def case_context(case: Case, today: date) -> dict[str, Any]:
    """The case as the message speaks of it: what was sent before today, and whether a notice went."""
    before = [item for item in case.messages if item.on < today]
    notice = _notice_message(case)
    return {
        "id": case.case_id,
        "currency": case.currency,
        "opened_on": case.opened_on,
        "previous": [{"step": item.step, "on": item.on} for item in before],
        "previous_dates": [item.on for item in before],
        "reminders_before": len(before),
        "last": {"step": before[-1].step, "on": before[-1].on} if before else None,
        "notice_on": notice.on if notice is not None and notice.on < today else None,
    }


def message_context(
    *,
    company: Company,
    customer: Customer,
    parts: MessageParts,
    today: date,
    account_manager: str | None,
    claims: Mapping[str, Claim],
    country: str = "FR",
    mediator: ConsumerMediator | None = None,
) -> dict[str, Any]:
    """The variables of the day's email (docs/documents.md lists them)."""
    step = parts.step
    claiming = step.claim_penalties
    lines: list[dict[str, Any]] = []
    for action in parts.actions:
        for invoice in action.invoices:
            line = invoice_line(
                invoice, today, action.step.id, claims.get(invoice.invoice_id) if claiming else None
            )
            line.update(_stage(action.case, action, invoice))
            line["case"] = action.case.case_id
            lines.append(line)
    upcoming = [invoice_line(invoice, today, "courtesy") for invoice in parts.upcoming]
    settled = [
        invoice_line(invoice, today, None, claims.get(invoice.invoice_id))
        for invoice in parts.settled_claims
        if claiming and claims.get(invoice.invoice_id) is not None
    ]
    for line in settled:
        line["stage"] = "paid_penalties_due"
    headline = parts.headline
    case = case_context(headline.case, today) if headline is not None else None
    notices = attached_notices(parts.actions, today)
    context = base_context(
        company=company,
        customer=customer,
        step=step,
        lines=lines,
        today=today,
        account_manager=account_manager,
        reference_invoices=[*parts.listed, *parts.upcoming],
        country=country,
        mediator=mediator,
    )
    context.update(
        {
            "kind": headline.kind.value if headline is not None else "courtesy",
            "case": case,
            "cases": [case_context(action.case, today) for action in parts.actions],
            "upcoming": upcoming,
            "upcoming_totals": totals(upcoming, customer.language),
            "upcoming_plural": len(upcoming) > 1,
            "settled_claims": settled,
            "penalties": claim_totals(lines, settled) if claiming else [],
            "numbers": context["numbers"] or ", ".join(line["number"] for line in upcoming),
            "first_message": case is None or case["reminders_before"] == 0,
            "after_notice": bool(case and case["notice_on"]),
            "attached_notices": notices,
            "supplementary": any(action.kind is MessageKind.SUPPLEMENTARY for action in parts.actions),
            "catch_up": bool(parts.actions)
            and all(action.kind is MessageKind.CATCH_UP for action in parts.actions),
            # Invoices listed but not covered by today's notice: the text says which the notice covers.
            "notices_cover_all": bool(notices)
            and {n for notice in notices for n in notice["invoice_ids"]}
            == {line["number"] for line in lines},
            # The invoices by stage, so that the opening words can speak of each group as it is.
            "stages": stage_groups(lines),
            "contractual": any(line["claim"] and line["claim"]["contractual"] for line in [*lines, *settled]),
        }
    )
    return context


_STAGE_GROUPS = {
    "new": ("new",),
    "reminded": ("reminded",),
    "noticed": ("noticed_today", "noticed"),
    "after_notice": ("after_notice",),
}


def stage_groups(lines: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per group (new, reminded, noticed, after_notice): the invoice numbers, joined, and whether several."""
    groups = {}
    for group, stages in _STAGE_GROUPS.items():
        numbers = [line["number"] for line in lines if line.get("stage") in stages]
        groups[group] = {"numbers": ", ".join(numbers), "count": len(numbers), "plural": len(numbers) > 1}
    return groups


def base_context(
    *,
    company: Company,
    customer: Customer,
    step: Step,
    lines: list[dict[str, Any]],
    today: date,
    account_manager: str | None,
    reference_invoices: Sequence[Invoice],
    country: str = "FR",
    mediator: ConsumerMediator | None = None,
) -> dict[str, Any]:
    """The variables every customer message has, whatever it is about (templates are strict: every key a
    template may read is present, empty or None when unknown)."""
    return {
        "language": customer.language,
        "today": today,
        "company": company_context(company),
        "customer": customer_context(customer),
        "step": {"id": step.id, "claim_penalties": step.claim_penalties, "deadline_days": step.deadline_days},
        "kind": "message",
        "case": None,
        "cases": [],
        "invoices": lines,
        "upcoming": [],
        "upcoming_totals": [],
        "upcoming_plural": False,
        "settled_claims": [],
        "totals": totals(lines, customer.language),
        "penalties": [],
        "plural": len(lines) > 1,
        "numbers": ", ".join(line["number"] for line in lines),
        "first_message": True,
        "after_notice": False,
        "b2b": customer.kind is CustomerKind.BUSINESS,
        "account_manager": account_manager,
        "payment": {"iban": company.iban, "reference": payment_reference(customer, reference_invoices)},
        "attached_notices": [],
        "supplementary": False,
        "catch_up": False,
        "notices_cover_all": False,
        "stages": stage_groups(lines),
        # The law the message cites: the creditor's country and the debtor's kind (templates/*/law/).
        "law": law_context(_basis(country, customer)),
        "contractual": False,
        "mediator": {"name": mediator.name, "url": mediator.url} if mediator else None,
    }


def attached_notices(actions: Sequence[CaseAction], today: date) -> list[dict[str, Any]]:
    """The formal notices today's email carries, one per case (so per currency), and what each covers."""
    notices = []
    for action in actions:
        if Action.LETTER not in action.step.actions or not action.letter_invoices:
            continue
        numbers = [invoice.invoice_id for invoice in action.letter_invoices]
        notices.append(
            {
                "case": action.case.case_id,
                "currency": action.case.currency,
                "invoice_ids": numbers,
                "numbers": ", ".join(numbers),
                "plural": len(numbers) > 1,
                "deadline_days": action.step.deadline_days,
                "supplementary": action.kind is MessageKind.SUPPLEMENTARY,
            }
        )
    return notices


def claim_totals(
    lines: Sequence[dict[str, Any]], settled: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Per currency: the principal listed, the penalties and indemnities of the same invoices and of those
    paid since they were claimed, and the total claimed; `incomplete` when some interest is not known.

    Interest counts in the invoice's currency, each fixed indemnity in the currency the law fixes it in (a
    GBP invoice under French law: its interest in GBP, its 40 EUR in EUR): nothing converted, nothing lost.
    """
    by_currency: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"principal": ZERO, "interest": ZERO, "indemnity": ZERO, "incomplete": False, "claims": []}
    )
    for line in lines:
        by_currency[line["currency"]]["principal"] += line["balance"]
    for line in [*lines, *settled]:
        claim = line["claim"]
        if claim is None:
            continue
        own = by_currency[line["currency"]]
        own["claims"].append(claim)
        own["interest"] += line["interest"] or ZERO
        own["incomplete"] = own["incomplete"] or claim["incomplete"]
        fixed = by_currency[claim["indemnity_currency"] or line["currency"]]
        fixed["indemnity"] += claim["indemnity"] or ZERO
        if fixed is not own:
            fixed["claims"].append(claim)
    result = []
    for currency, entry in sorted(by_currency.items()):
        interest = round_money(entry["interest"], currency)
        indemnity = round_money(entry["indemnity"], currency)
        result.append(
            {
                "currency": currency,
                "principal": entry["principal"],
                "interest": interest,
                "indemnity": indemnity,
                "total": entry["principal"] + interest + indemnity,
                "incomplete": entry["incomplete"],
                "waived": bool(entry["claims"]) and all(claim["waived"] for claim in entry["claims"]),
            }
        )
    return result


def amounts_add_up(context: Mapping[str, Any]) -> list[str]:
    """What does not add up in a message's variables (empty when everything does): the property tests and
    the worker's own check before sending."""
    problems: list[str] = []
    listed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in context["invoices"]:
        listed[line["currency"]] += line["balance"]
    stated = {total["currency"]: total["balance"] for total in context["totals"]}
    if stated != dict(listed):
        problems.append(f"Total dû {stated} is not the sum of the balances listed {dict(listed)}")
    for total in context["penalties"]:
        currency = total["currency"]
        # A currency that holds only fixed indemnities (40 EUR for a GBP invoice) lists no principal.
        if total["principal"] != listed.get(currency, ZERO):
            problems.append(
                f"principal claimed {total['principal']} is not Total dû {listed.get(currency, ZERO)}"
            )
        if total["total"] != total["principal"] + total["interest"] + total["indemnity"]:
            problems.append(f"total claimed {total['total']} is not principal + penalties + indemnity")
    return problems


def _basis(country: str, customer: Customer) -> LegalBasis | None:
    try:
        return legal_basis_for(country, customer.kind)
    except UnsupportedJurisdiction:
        return None
