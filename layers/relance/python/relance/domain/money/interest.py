"""Late-payment interest and recovery indemnity on one invoice, exact to the cent.

Interest is simple, Actual/365 (also in leap years), on the balance outstanding each day from the day
after the due date (or, where the law says so, after the formal notice) through `as_of` inclusive. The
delay is cut into periods wherever the rate or the balance changes; each period's interest is rounded
half-up to the currency's minor unit, then the periods are summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Any

from relance.domain.amounts import ZERO, AmountError, check_currency, round_money
from relance.domain.money.basis import LegalBasis
from relance.domain.money.errors import ClaimError
from relance.domain.money.half_years import HalfYear, half_year_starts_within
from relance.domain.money.jurisdictions import Jurisdiction, JurisdictionRules, RateMode
from relance.domain.money.payments import Ledger, Payment, read_payments
from relance.domain.money.rates import RateBook, RateStatus, load_rate_book
from relance.domain.money.review import NeedsPerson, contract_rate_review, floor_breaches
from relance.domain.money.waivers import Waiver

DAYS_IN_YEAR = 365


@dataclass(frozen=True)
class RatePeriod:
    """Consecutive days (both ends included) with one rate and one balance."""

    start: date
    end: date
    days: int
    rate: Decimal
    """Percent a year."""
    balance: Decimal
    interest: Decimal
    rate_note: str
    """Where the rate comes from, for the breakdown on a notice."""


@dataclass(frozen=True)
class LateClaim:
    """What can be claimed on one invoice as of a day.

    `interest` and `indemnity` are what is claimed: both are zero when a waiver applies, and
    `waived_interest` / `waived_indemnity` then hold what was given up. Interest is in the invoice's
    `currency`; the indemnity in `indemnity_currency`, the one the law fixes it in (40 EUR stays 40 EUR on
    a USD invoice). `totals` adds them up per currency; `total_claim` is the total in the invoice's
    currency: principal still unpaid on `as_of`, interest, and the indemnity when it is in that currency.

    `needs_person` says why no notice may claim this without a person's decision (a contractual rate
    below the legal floor); None when nothing holds it.
    """

    jurisdiction: Jurisdiction
    currency: str
    principal: Decimal
    principal_due: Decimal
    due: date
    as_of: date
    interest_from: date | None
    rate_mode: RateMode
    contract_rate: Decimal | None
    periods: tuple[RatePeriod, ...]
    interest: Decimal
    indemnity: Decimal
    waiver: Waiver | None
    waived_interest: Decimal
    waived_indemnity: Decimal
    basis: tuple[str, ...]
    warnings: tuple[str, ...]
    indemnity_currency: str = ""
    needs_person: NeedsPerson | None = None

    def __post_init__(self) -> None:
        if not self.indemnity_currency:
            object.__setattr__(self, "indemnity_currency", self.currency)

    @property
    def legal_basis(self) -> LegalBasis:
        return LegalBasis.of(self.jurisdiction)

    @property
    def total_claim(self) -> Decimal:
        same = self.indemnity_currency == self.currency
        return self.principal_due + self.interest + (self.indemnity if same else ZERO)

    @property
    def totals(self) -> dict[str, Decimal]:
        """What is claimed per currency: the invoice's, and the indemnity's when the law fixes another."""
        totals = {self.currency: self.principal_due + self.interest}
        totals[self.indemnity_currency] = totals.get(self.indemnity_currency, ZERO) + self.indemnity
        return totals

    @property
    def waived(self) -> bool:
        return self.waiver is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: amounts and rates as exact decimal strings, dates as ISO strings."""
        return {
            "jurisdiction": str(self.jurisdiction),
            "legal_basis": str(self.legal_basis),
            "currency": self.currency,
            "principal": _text(self.principal),
            "principal_due": _text(self.principal_due),
            "due": self.due.isoformat(),
            "as_of": self.as_of.isoformat(),
            "interest_from": self.interest_from.isoformat() if self.interest_from else None,
            "rate_mode": str(self.rate_mode),
            "contract_rate": None if self.contract_rate is None else _text(self.contract_rate),
            "periods": [
                {
                    "from": p.start.isoformat(),
                    "to": p.end.isoformat(),
                    "days": p.days,
                    "rate": _text(p.rate),
                    "balance": _text(p.balance),
                    "interest": _text(p.interest),
                }
                for p in self.periods
            ],
            "interest": _text(self.interest),
            "indemnity": _text(self.indemnity),
            "indemnity_currency": self.indemnity_currency,
            "total_claim": _text(self.total_claim),
            "totals": {currency: _text(amount) for currency, amount in self.totals.items()},
            "waived": None
            if self.waiver is None
            else {
                "reason": self.waiver.reason,
                "scope": str(self.waiver.scope),
                "interest": _text(self.waived_interest),
                "indemnity": _text(self.waived_indemnity),
            },
            "basis": list(self.basis),
            "warnings": list(self.warnings),
            "needs_person": None if self.needs_person is None else self.needs_person.reason,
        }


def compute_claim(
    jurisdiction: Jurisdiction,
    *,
    amount: Decimal,
    currency: str,
    due: date,
    as_of: date,
    payments: Iterable[Payment | tuple[date, Decimal]] = (),
    notice_date: date | None = None,
    rate_mode: RateMode | None = None,
    contract_rate: Decimal | None = None,
    waiver: Waiver | None = None,
    rates: RateBook | None = None,
    allow_unverified: bool = False,
) -> LateClaim:
    """Interest and indemnity owed on one invoice of `amount` (VAT included) due on `due`.

    `as_of` is the last day interest runs: the day the balance was paid in full, or the day of the
    notice being prepared. `payments` are part payments and credit notes, `(date, amount)`; one dated D
    lowers the balance from D + 1. Payments dated after `as_of` are left out (with a warning). To price a
    full payment on D, pass it among `payments` with `as_of=D`.

    `rate_mode` None means the jurisdiction's own rule (split by half-year in France and Germany, fixed
    in the UK); only France B2B accepts `RateMode.FIXED` as an alternative reading. `contract_rate` (percent
    a year, France B2B only) replaces the statutory rate and is checked against 3 x the legal rate.
    `notice_date` is the formal notice, from which French consumer claims carry interest.

    Raises `MissingRateError` (or its `UnverifiedRateError`) when a needed rate is not in `rates`, and
    `ClaimError` for inconsistent input. Pass `rates` when pricing many invoices, to read the tables once.
    """
    rules = jurisdiction.rules
    currency = _currency(currency)
    amount = _money(amount, currency, "invoice amount")
    if amount <= 0:
        raise ClaimError(f"invoice amount must be positive, not {amount}")
    mode = _mode(jurisdiction, rules, rate_mode)
    if contract_rate is not None:
        _check_contract_rate_allowed(jurisdiction, rules, contract_rate)
    book = rates if rates is not None else load_rate_book()
    warnings: list[str] = []

    all_payments = read_payments(payments, currency)
    later = [p for p in all_payments if p.on > as_of]
    if later:
        dates = ", ".join(p.on.isoformat() for p in later)
        warnings.append(f"payments dated after {as_of.isoformat()} are not counted: {dates}")
    ledger = Ledger(amount, all_payments, currency)
    # Lateness begins the day after the due date; that day's half-year fixes the rate in fixed mode.
    late_from = due + timedelta(days=1)
    late_balance = ledger.balance_on(late_from)
    is_late = as_of >= late_from and late_balance > 0
    if as_of < late_from:
        warnings.append(f"not late on {as_of.isoformat()}: the invoice is due on {due.isoformat()}")
    elif not is_late:
        warnings.append(f"not late: the invoice was settled by its due date {due.isoformat()}")

    interest_from = _interest_from(rules, late_from, notice_date, warnings) if is_late else None
    if interest_from is not None and interest_from > as_of:
        warnings.append(
            f"no interest yet: it runs from {interest_from.isoformat()}, after {as_of.isoformat()}"
        )
    pricer = _RatePricer(book, rules, mode, contract_rate, late_from, allow_unverified)
    periods = _periods(ledger, interest_from, as_of, pricer, currency) if interest_from else ()
    warnings.extend(pricer.warnings)
    held = None
    if contract_rate is not None and periods:
        first, last = periods[0].start, periods[-1].end
        warnings.extend(_floor_warnings(jurisdiction, book, contract_rate, first, last))
        held = contract_rate_review(jurisdiction, contract_rate, first, last, book)

    interest = sum((p.interest for p in periods), round_money(ZERO, currency))
    # The law fixes the indemnity in its own currency; it is never converted into the invoice's.
    indemnity_currency = rules.indemnity.currency if rules.indemnity is not None else currency
    indemnity = round_money(ZERO, indemnity_currency)
    if is_late and rules.indemnity is not None:
        fixed, note = rules.indemnity.amount_for(late_balance, currency)
        indemnity = round_money(fixed, indemnity_currency)
        if note:
            warnings.append(note)
        elif indemnity_currency != currency:
            warnings.append(
                f"the indemnity under {rules.indemnity.basis} is fixed in {indemnity_currency} and the "
                f"invoice is in {currency}: it is claimed in {indemnity_currency}, totalled apart, "
                "never converted"
            )
    waived_interest, waived_indemnity = round_money(ZERO, currency), round_money(ZERO, indemnity_currency)
    if waiver is not None:
        waived_interest, waived_indemnity = interest, indemnity
        interest, indemnity = round_money(ZERO, currency), round_money(ZERO, indemnity_currency)

    return LateClaim(
        jurisdiction=jurisdiction,
        currency=currency,
        principal=amount,
        principal_due=ledger.balance_after(as_of),
        due=due,
        as_of=as_of,
        interest_from=interest_from,
        rate_mode=mode,
        contract_rate=contract_rate,
        periods=periods,
        interest=interest,
        indemnity=indemnity,
        waiver=waiver,
        waived_interest=waived_interest,
        waived_indemnity=waived_indemnity,
        basis=rules.basis,
        warnings=tuple(warnings),
        indemnity_currency=indemnity_currency,
        needs_person=held,
    )


def period_interest(balance: Decimal, rate: Decimal, days: int, currency: str) -> Decimal:
    """balance x rate% x days / 365, rounded half-up to the minor unit (Actual/365, even in leap years)."""
    with localcontext() as context:
        context.prec = 50
        exact = balance * rate * days / (100 * DAYS_IN_YEAR)
    return round_money(exact, currency)


class _RatePricer:
    """The rate for a period starting on a given day, with each published rate looked up once."""

    def __init__(
        self,
        book: RateBook,
        rules: JurisdictionRules,
        mode: RateMode,
        contract_rate: Decimal | None,
        late_from: date,
        allow_unverified: bool,
    ) -> None:
        self.book = book
        self.rules = rules
        self.mode = mode
        self.contract_rate = contract_rate
        self.late_from = late_from
        self.allow_unverified = allow_unverified
        self.warnings: list[str] = []
        self._seen: dict[HalfYear, tuple[Decimal, str]] = {}

    @property
    def splits_by_half_year(self) -> bool:
        return self.contract_rate is None and self.mode is RateMode.SPLIT

    def rate_from(self, day: date) -> tuple[Decimal, str]:
        if self.contract_rate is not None:
            return self.contract_rate, "contractual rate"
        period = HalfYear.of(day if self.mode is RateMode.SPLIT else self.late_from)
        if period not in self._seen:
            statutory = self.rules.statutory_rate
            published = self.book.rate_for(statutory.table, period, allow_unverified=self.allow_unverified)
            if published.status is RateStatus.UNVERIFIED:
                self.warnings.append(
                    f"the {published.table} for {period} ({published.percent}) is unverified in "
                    f"{published.file}; confirm it before sending this claim"
                )
            elif published.status is RateStatus.FETCHED:
                fetched = f" on {published.recorded_at.date().isoformat()}" if published.recorded_at else ""
                self.warnings.append(
                    f"the {published.table} for {period} ({published.percent}) was fetched from "
                    f"{published.source}{fetched} and is not yet verified by a person"
                )
            self._seen[period] = (statutory.percent(published), statutory.describe(published))
        return self._seen[period]


def _periods(
    ledger: Ledger, first: date, last: date, pricer: _RatePricer, currency: str
) -> tuple[RatePeriod, ...]:
    if first > last:
        return ()
    cuts = set(ledger.changes_within(first, last))
    if pricer.splits_by_half_year:
        cuts.update(half_year_starts_within(first, last))
    starts = [first, *sorted(cuts)]
    ends = [start - timedelta(days=1) for start in starts[1:]] + [last]
    periods = []
    for start, end in zip(starts, ends, strict=True):
        balance = ledger.balance_on(start)
        if balance <= 0:
            continue
        rate, note = pricer.rate_from(start)
        days = (end - start).days + 1
        periods.append(
            RatePeriod(
                start=start,
                end=end,
                days=days,
                rate=rate,
                balance=balance,
                interest=period_interest(balance, rate, days, currency),
                rate_note=note,
            )
        )
    return tuple(periods)


def _interest_from(
    rules: JurisdictionRules, late_from: date, notice_date: date | None, warnings: list[str]
) -> date | None:
    if not rules.interest_from_notice:
        return late_from
    if notice_date is None:
        warnings.append(
            "no formal notice date: interest on a consumer debt runs only from the day after the formal "
            f"notice ({rules.interest_start_basis}), so none is claimed yet"
        )
        return None
    return max(late_from, notice_date + timedelta(days=1))


def _floor_warnings(
    jurisdiction: Jurisdiction, book: RateBook, contract_rate: Decimal, first: date, last: date
) -> list[str]:
    floor = jurisdiction.rules.contract_rate
    assert floor is not None
    breaches, unchecked = floor_breaches(jurisdiction, contract_rate, first, last, book)
    by_period = [
        (
            period,
            f"contractual rate {contract_rate}% not checked against the legal floor for {period}: "
            f"no {floor.table} for {period}",
        )
        for period in unchecked
    ]
    by_period += [
        (
            breach.period,
            f"contractual rate {contract_rate}% is below the legal floor of {breach.minimum}% for "
            f"{breach.period} ({floor.multiple} x {floor.table} {breach.legal_rate}, {floor.basis})",
        )
        for breach in breaches
    ]
    return [warning for _, warning in sorted(by_period)]


def _mode(jurisdiction: Jurisdiction, rules: JurisdictionRules, requested: RateMode | None) -> RateMode:
    if requested is None:
        return rules.default_rate_mode
    if requested not in rules.rate_modes:
        allowed = ", ".join(str(mode) for mode in rules.rate_modes)
        raise ClaimError(f"rate mode {requested!s} does not apply to {jurisdiction}: its rule is {allowed}")
    return requested


def _check_contract_rate_allowed(jurisdiction: Jurisdiction, rules: JurisdictionRules, rate: Decimal) -> None:
    if rules.contract_rate is None:
        raise ClaimError(f"a contractual rate is only supported for France B2B (FR), not for {jurisdiction}")
    if not rate.is_finite() or rate < 0:
        raise ClaimError(f"contractual rate must be a percentage of zero or more, not {rate}")


def _currency(code: str) -> str:
    try:
        return check_currency(code)
    except AmountError as exc:
        raise ClaimError(str(exc)) from exc


def _money(value: Decimal, currency: str, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ClaimError(f"{what} must be a finite Decimal, not {value!r}")
    rounded = round_money(value, currency)
    if rounded != value:
        raise ClaimError(f"{what} {value} has more decimals than {currency} allows")
    return rounded


def _text(value: Decimal) -> str:
    return f"{value:f}"
