"""What each invoice owes beyond its balance when a step claims penalties: interest and indemnity.

The law is the creditor's (the stack's COUNTRY); the debtor's kind picks B2B or consumer rules: together
they are the claim's `LegalBasis`, which picks every sentence of law the documents print. Interest is in
the invoice's currency; the fixed indemnity stays in the currency the law fixes it in (40 EUR on a GBP
invoice), so a foreign-currency invoice loses nothing. A rate that is not yet in the tables never becomes
zero silently: the notice claims the indemnity, says the interest is still to be computed from the first
day whose rate is missing, and the escalation log carries the reason. A claim computed on a rate fetched
but not yet verified says so in its note (the log), never on the notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from relance.domain.amounts import ZERO, round_money
from relance.domain.models import Customer, Invoice
from relance.domain.money import (
    ClaimError,
    HalfYear,
    LateClaim,
    LegalBasis,
    MissingRateError,
    NeedsPerson,
    RateBook,
    RateMode,
    RatePeriod,
    RateStatus,
    UnsupportedJurisdiction,
    Waiver,
    WaiverScope,
    compute_claim,
    legal_basis_for,
    load_rate_book,
)
from relance.domain.policy import Policy
from relance.observability import count_metric, logger
from relance.ports import StorageError
from relance.rates.refresh import current_rate_book
from relance.rates.store import RateStoreError

if TYPE_CHECKING:
    from relance.ports import Context

# Why a claim's interest is None: a rate the tables do not hold yet, or data that gives no claim.
MISSING_RATE = "missing_rate"
NOT_COMPUTED = "not_computed"


@dataclass(frozen=True)
class Claim:
    """One invoice's penalties as a notice shows them.

    `interest` is in `currency` (the invoice's), None when it cannot be computed yet: `pending` then says
    why (MISSING_RATE from `pending_from`, or NOT_COMPUTED). `indemnity` is in `indemnity_currency`, the
    law's. `note` is for the escalation log only. `hold` is set when a person must decide before any
    notice claims this (see relance.domain.money.review).
    """

    interest: Decimal | None
    indemnity: Decimal
    periods: tuple[RatePeriod, ...] = ()
    waived: bool = False
    waived_interest: Decimal = ZERO
    waived_indemnity: Decimal = ZERO
    basis: tuple[str, ...] = ()
    note: str | None = None
    currency: str = ""
    indemnity_currency: str = ""
    legal_basis: LegalBasis | None = None
    pending: str | None = None
    pending_from: date | None = None
    hold: NeedsPerson | None = None
    fetched_rates: tuple[str, ...] = ()
    """The rates this claim was priced with that were fetched from a central bank and not yet verified by a
    person ("ECB_MRO 2026-H2 2.15"): for the log, never the notice."""

    def __post_init__(self) -> None:
        if self.indemnity_currency == "" and self.currency:
            object.__setattr__(self, "indemnity_currency", self.currency)

    @property
    def totals(self) -> dict[str, Decimal]:
        """Interest and indemnity claimed, per currency (the principal is the invoice's balance)."""
        totals = {self.currency: self.interest or ZERO}
        totals[self.indemnity_currency] = totals.get(self.indemnity_currency, ZERO) + self.indemnity
        return totals


@dataclass(frozen=True)
class DatedPayment:
    invoice_id: str
    on: date
    amount: Decimal


@cache
def rate_book() -> RateBook:
    """The packaged tables alone; pass `rates=relance.rates.current_rate_book(store)` to use stored rows."""
    return load_rate_book()


def rates_for(ctx: Context) -> RateBook:
    """The book to price with: the packaged tables merged with the stack's stored rows. A store that cannot
    be read leaves the packaged tables (a missing rate then shows as "to be computed"), logged and counted:
    a dunning run does not stop for it."""
    try:
        return current_rate_book(ctx.rate_store, rate_book())
    except (StorageError, RateStoreError) as exc:
        logger.error("rate store unreadable, packaged rates only", extra={"reason": str(exc)})
        count_metric("RateStoreUnreadable")
        return rate_book()


def log_fetched_rates(customer_id: str, claims: dict[str, Claim]) -> None:
    """One structured line per claim priced on a rate not yet verified: the letter never says so."""
    for invoice_id, claim in sorted(claims.items()):
        if claim.fetched_rates:
            logger.warning(
                "claim priced on an unverified rate",
                extra={
                    "customer_id": customer_id,
                    "invoice_id": invoice_id,
                    "rates": list(claim.fetched_rates),
                },
            )


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
    rates: RateBook | None = None,
) -> Claim:
    """`waiver` is the policy's (good payers); the customer's own flag wins, with its own reason.

    `rates` is the book to price with: the packaged tables by default, or those merged with the stack's
    stored rows (relance.rates.current_rate_book).
    """
    if customer.waive_penalties:
        waiver = Waiver("penalties waived for this customer", WaiverScope.CUSTOMER)
    book = rates if rates is not None else rate_book()
    try:
        basis = legal_basis_for(country, customer.kind)
    except UnsupportedJurisdiction as exc:
        return _not_computed(invoice, str(exc), waiver, None)
    rules = basis.jurisdiction.rules
    # The invoice's own terms win over the customer's; where the law fixes the rate, none applies.
    agreed = invoice.contract_rate or customer.contract_rate
    contract_rate = agreed if rules.contract_rate is not None else None
    mode = RateMode(rate_mode)
    arguments = {
        "amount": invoice.total,
        "currency": invoice.currency,
        "due": invoice.due_date,
        "as_of": today,
        "payments": _payments_of(invoice, payments),
        "notice_date": notice_date if notice_date is not None else today,
        "rate_mode": mode if mode in rules.rate_modes else None,
        "contract_rate": contract_rate,
        "waiver": waiver,
        "rates": book,
    }
    try:
        late = compute_claim(basis.jurisdiction, **arguments)
    except MissingRateError as exc:
        return _missing_rate(basis, invoice, exc, waiver)
    except ClaimError as exc:
        return _not_computed(invoice, str(exc), waiver, basis)
    claim = replace(_from_late(late), fetched_rates=_fetched(book, basis, late))
    if late.needs_person is not None:
        claim = replace(claim, hold=_with_statutory_amount(late.needs_person, basis, arguments))
    return claim


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
        currency=late.currency,
        indemnity_currency=late.indemnity_currency,
        legal_basis=late.legal_basis,
    )


def _fetched(book: RateBook, basis: LegalBasis, late: LateClaim) -> tuple[str, ...]:
    """The statutory table's rows of the half-years the interest ran in that are fetched, not verified."""
    table = basis.jurisdiction.rules.statutory_rate.table
    periods = {HalfYear.of(day) for period in late.periods for day in (period.start, period.end)}
    found = []
    for half in sorted(periods):
        entry = book.entry(table, half)
        if entry is not None and entry.status is RateStatus.FETCHED:
            found.append(f"{table.name} {half} {entry.percent}")
    return tuple(found)


def _with_statutory_amount(held: NeedsPerson, basis: LegalBasis, arguments: dict[str, Any]) -> NeedsPerson:
    """The reason, with what the statutory rate gives, so the person deciding sees both amounts."""
    try:
        statutory = compute_claim(basis.jurisdiction, **{**arguments, "contract_rate": None, "waiver": None})
    except (MissingRateError, ClaimError) as exc:
        return NeedsPerson(held.code, f"{held.reason} (statutory interest not computable: {exc})")
    return NeedsPerson(
        held.code, f"{held.reason} (statutory interest: {statutory.interest} {statutory.currency})"
    )


def _missing_rate(basis: LegalBasis, invoice: Invoice, exc: MissingRateError, waiver: Waiver | None) -> Claim:
    """The fixed indemnity does not depend on any rate, so a missing rate does not take it away."""
    rule = basis.jurisdiction.rules.indemnity
    currency = rule.currency if rule is not None else invoice.currency
    indemnity, note = round_money(ZERO, currency), str(exc)
    if rule is not None and waiver is None and invoice.balance > 0:
        fixed, band_note = rule.amount_for(invoice.balance, invoice.currency)
        indemnity = round_money(fixed, currency)
        note = f"{note}; {band_note}" if band_note else note
    return Claim(
        interest=None,
        indemnity=indemnity,
        waived=waiver is not None,
        basis=basis.jurisdiction.rules.basis,
        note=note,
        currency=invoice.currency,
        indemnity_currency=currency,
        legal_basis=basis,
        pending=MISSING_RATE,
        pending_from=_first_missing_day(exc, invoice),
    )


def _first_missing_day(exc: MissingRateError, invoice: Invoice) -> date:
    """The first day whose rate is missing: the start of its half-year, never before lateness began."""
    try:
        start = HalfYear.parse(exc.period).start
    except ValueError:
        start = date.fromisoformat(exc.period)
    return max(start, invoice.due_date + timedelta(days=1))


def _not_computed(invoice: Invoice, reason: str, waiver: Waiver | None, basis: LegalBasis | None) -> Claim:
    return Claim(
        interest=None,
        indemnity=round_money(ZERO, invoice.currency),
        note=reason,
        waived=waiver is not None,
        currency=invoice.currency,
        legal_basis=basis,
        pending=NOT_COMPUTED,
    )


def claims_for(
    country: str,
    customer: Customer,
    invoices: Iterable[Invoice],
    today: date,
    payments: Sequence[DatedPayment] = (),
    notice_dates: dict[str, date] | None = None,
    rate_mode: str = "split",
    waiver: Waiver | None = None,
    rates: RateBook | None = None,
) -> dict[str, Claim]:
    notices = notice_dates or {}
    return {
        invoice.invoice_id: claim_for(
            country,
            customer,
            invoice,
            today,
            payments,
            notices.get(invoice.invoice_id),
            rate_mode,
            waiver,
            rates,
        )
        for invoice in invoices
    }


def held_claims(claims: dict[str, Claim]) -> dict[str, NeedsPerson]:
    """The invoices whose claim a person must look at before a notice goes out, and why."""
    return {invoice_id: claim.hold for invoice_id, claim in claims.items() if claim.hold is not None}


def policy_waiver(policy: Policy) -> Waiver | None:
    """Good payers' policies may waive penalties: computed all the same, shown as waived, never claimed."""
    if not policy.waive_penalties:
        return None
    return Waiver(f"penalties waived under policy '{policy.name}'", WaiverScope.POLICY)
