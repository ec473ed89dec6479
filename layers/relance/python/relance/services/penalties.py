"""What each invoice owes beyond its balance when a step claims penalties: interest and indemnity.

The law is the creditor's (the stack's COUNTRY); the debtor's kind picks B2B or consumer rules. A rate
that is not yet in the tables never becomes zero silently: the notice then claims the indemnity, says the
interest is still to be computed, and the escalation log carries the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from relance.domain.amounts import ZERO, round_money
from relance.domain.models import Customer, Invoice
from relance.domain.money import (
    ClaimError,
    LateClaim,
    MissingRateError,
    RateBook,
    RateMode,
    RatePeriod,
    Waiver,
    WaiverScope,
    compute_claim,
    jurisdiction_for,
    load_rate_book,
)
from relance.domain.policy import Policy


@dataclass(frozen=True)
class Claim:
    """One invoice's penalties as a notice shows them; `interest` is None when it cannot be computed yet."""

    interest: Decimal | None
    indemnity: Decimal
    periods: tuple[RatePeriod, ...] = ()
    waived: bool = False
    waived_interest: Decimal = ZERO
    waived_indemnity: Decimal = ZERO
    basis: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class DatedPayment:
    invoice_id: str
    on: date
    amount: Decimal


@cache
def rate_book() -> RateBook:
    return load_rate_book()


def _payments_of(invoice: Invoice, dated: Sequence[DatedPayment]) -> list[tuple[date, Decimal]]:
    """Dated payments of the invoice; what was paid before Relance knew of it counts from its due date."""
    known = [(payment.on, payment.amount) for payment in dated if payment.invoice_id == invoice.invoice_id]
    undated = invoice.amount_paid - sum((amount for _, amount in known), ZERO)
    if undated > 0:
        known.append((invoice.due_date, undated))
    return known


def claim_for(
    country: str,
    customer: Customer,
    invoice: Invoice,
    today: date,
    payments: Sequence[DatedPayment] = (),
    notice_date: date | None = None,
    rate_mode: str = "split",
    waiver: Waiver | None = None,
) -> Claim:
    """`waiver` is the policy's (good payers); the customer's own flag wins, with its own reason."""
    if customer.waive_penalties:
        waiver = Waiver("penalties waived for this customer", WaiverScope.CUSTOMER)
    try:
        jurisdiction = jurisdiction_for(country, customer.kind)
        rules = jurisdiction.rules
        # The invoice's own terms win over the customer's; where the law fixes the rate, none applies.
        agreed = invoice.contract_rate or customer.contract_rate
        contract_rate = agreed if rules.contract_rate is not None else None
        mode = RateMode(rate_mode)
        late = compute_claim(
            jurisdiction,
            amount=invoice.total,
            currency=invoice.currency,
            due=invoice.due_date,
            as_of=today,
            payments=_payments_of(invoice, payments),
            notice_date=notice_date if notice_date is not None else today,
            rate_mode=mode if mode in rules.rate_modes else None,
            contract_rate=contract_rate,
            waiver=waiver,
            rates=rate_book(),
        )
    except MissingRateError as exc:
        return Claim(
            interest=None,
            indemnity=_indemnity_alone(country, customer, invoice, waived=waiver is not None),
            note=str(exc),
            waived=waiver is not None,
        )
    except ClaimError as exc:
        return Claim(
            interest=None,
            indemnity=round_money(ZERO, invoice.currency),
            note=str(exc),
            waived=waiver is not None,
        )
    return _from_late(late)


def _from_late(late: LateClaim) -> Claim:
    return Claim(
        interest=late.interest,
        indemnity=late.indemnity,
        periods=late.periods,
        waived=late.waived,
        waived_interest=late.waived_interest,
        waived_indemnity=late.waived_indemnity,
        basis=late.basis,
        note="; ".join(late.warnings) or None,
    )


def _indemnity_alone(country: str, customer: Customer, invoice: Invoice, *, waived: bool) -> Decimal:
    """The fixed indemnity does not depend on any rate, so a missing rate does not take it away."""
    rule = jurisdiction_for(country, customer.kind).rules.indemnity
    if rule is None or waived or invoice.balance <= 0:
        return round_money(ZERO, invoice.currency)
    try:
        return round_money(rule.amount_for(invoice.balance, invoice.currency), invoice.currency)
    except ClaimError:
        return round_money(ZERO, invoice.currency)


def claims_for(
    country: str,
    customer: Customer,
    invoices: Iterable[Invoice],
    today: date,
    payments: Sequence[DatedPayment] = (),
    notice_dates: dict[str, date] | None = None,
    rate_mode: str = "split",
    waiver: Waiver | None = None,
) -> dict[str, Claim]:
    notices = notice_dates or {}
    return {
        invoice.invoice_id: claim_for(
            country, customer, invoice, today, payments, notices.get(invoice.invoice_id), rate_mode, waiver
        )
        for invoice in invoices
    }


def policy_waiver(policy: Policy) -> Waiver | None:
    """Good payers' policies may waive penalties: computed all the same, shown as waived, never claimed."""
    if not policy.waive_penalties:
        return None
    return Waiver(f"penalties waived under policy '{policy.name}'", WaiverScope.POLICY)
