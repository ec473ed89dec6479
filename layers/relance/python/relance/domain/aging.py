"""The receivables' figures of the morning digest: aging buckets, days sales outstanding, the overdue trend.

Pure: invoices and dates in, Decimal figures out, always one currency at a time (amounts of two currencies
never add up). What counts as owed is what the cases count (relance.domain.cases.is_settled): disputed,
promised and planned invoices are still receivables; paid, cancelled and written-off ones are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from relance.domain.amounts import ZERO
from relance.domain.cases import is_settled
from relance.domain.models import Invoice, InvoiceStatus


class Bucket(StrEnum):
    NOT_DUE = "not_due"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "over_90"

    @property
    def overdue(self) -> bool:
        return self is not Bucket.NOT_DUE


# The last day overdue of each bounded bucket; anything later is over 90.
_LAST_DAY = ((Bucket.DAYS_1_30, 30), (Bucket.DAYS_31_60, 60), (Bucket.DAYS_61_90, 90))


def days_overdue(invoice: Invoice, on: date) -> int:
    """Days since the due date: 0 on the due date itself (not late yet), negative before it."""
    return (on - invoice.due_date).days


def bucket_of(days: int) -> Bucket:
    if days <= 0:
        return Bucket.NOT_DUE
    for bucket, last_day in _LAST_DAY:
        if days <= last_day:
            return bucket
    return Bucket.OVER_90


def is_receivable(invoice: Invoice) -> bool:
    return not is_settled(invoice)


@dataclass(frozen=True)
class BucketTotal:
    bucket: Bucket
    amount: Decimal
    count: int


@dataclass(frozen=True)
class Aging:
    """One currency's open balances by age; `buckets` holds all five, in order, empty ones included."""

    currency: str
    buckets: tuple[BucketTotal, ...]

    def of(self, bucket: Bucket) -> BucketTotal:
        return next(item for item in self.buckets if item.bucket is bucket)

    @property
    def total(self) -> Decimal:
        return sum((item.amount for item in self.buckets), ZERO)

    @property
    def count(self) -> int:
        return sum(item.count for item in self.buckets)

    @property
    def overdue(self) -> Decimal:
        return sum((item.amount for item in self.buckets if item.bucket.overdue), ZERO)

    @property
    def overdue_count(self) -> int:
        return sum(item.count for item in self.buckets if item.bucket.overdue)


def age_receivables(invoices: Iterable[Invoice], on: date) -> dict[str, Aging]:
    """Each currency's open balances on `on` by days overdue, currencies in alphabetical order."""
    amounts: dict[str, dict[Bucket, Decimal]] = {}
    counts: dict[str, dict[Bucket, int]] = {}
    for invoice in invoices:
        if not is_receivable(invoice):
            continue
        bucket = bucket_of(days_overdue(invoice, on))
        currency_amounts = amounts.setdefault(invoice.currency, dict.fromkeys(Bucket, ZERO))
        currency_counts = counts.setdefault(invoice.currency, dict.fromkeys(Bucket, 0))
        currency_amounts[bucket] += invoice.balance
        currency_counts[bucket] += 1
    return {
        currency: Aging(
            currency,
            tuple(
                BucketTotal(bucket, amounts[currency][bucket], counts[currency][bucket]) for bucket in Bucket
            ),
        )
        for currency in sorted(amounts)
    }


# ---------------------------------------------------------------- days sales outstanding

# Countback periods: rolling 30-day "months" ending on the day, so that no period is a partial month.
DSO_PERIOD_DAYS = 30
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Dso:
    """Days sales outstanding by the countback method (docs/digest.md).

    `days` is None when the receivables exceed every sale on record: the book then holds too little of
    the sales history (open invoices only, or a recent start) for the figure to mean anything.
    """

    currency: str
    receivables: Decimal
    days: Decimal | None
    note: str | None = None


def countback_dso(invoices: Iterable[Invoice], on: date, currency: str) -> Dso:
    """How many days of the latest sales the open receivables amount to.

    Walking back from `on` in 30-day periods, each period's sales (invoices issued, cancelled ones aside)
    are taken off the receivables until what is left fits in a period; that period counts for its share.
    Unlike receivables / sales of the last 90 days x 90, a quiet last quarter neither divides by zero nor
    inflates the figure: it only pushes the count further back.
    """
    sales: dict[date, Decimal] = {}
    receivables = ZERO
    for invoice in invoices:
        if invoice.currency != currency:
            continue
        if is_receivable(invoice):
            receivables += invoice.balance
        if invoice.status is not InvoiceStatus.CANCELLED and invoice.issue_date <= on:
            sales[invoice.issue_date] = sales.get(invoice.issue_date, ZERO) + invoice.total
    if receivables <= 0:
        return Dso(currency, receivables, ZERO)
    if not sales:
        return Dso(currency, receivables, None, f"no {currency} invoice issued by {on.isoformat()}")
    earliest = min(sales)
    remaining = receivables
    period = 0
    while True:
        end = on - timedelta(days=DSO_PERIOD_DAYS * period)
        if end < earliest:
            return Dso(
                currency,
                receivables,
                None,
                f"the {currency} receivables exceed every sale on record (invoices issued since "
                f"{earliest.isoformat()}): load paid invoices too for a DSO",
            )
        start = end - timedelta(days=DSO_PERIOD_DAYS - 1)
        period_sales = sum((amount for day, amount in sales.items() if start <= day <= end), ZERO)
        if period_sales > 0 and remaining <= period_sales:
            days = DSO_PERIOD_DAYS * period + DSO_PERIOD_DAYS * remaining / period_sales
            return Dso(currency, receivables, days.quantize(_TENTH, rounding=ROUND_HALF_UP))
        remaining -= period_sales
        period += 1


def dso_by_currency(invoices: Sequence[Invoice], on: date, currencies: Iterable[str]) -> dict[str, Dso]:
    return {currency: countback_dso(invoices, on, currency) for currency in currencies}


# ---------------------------------------------------------------- trend


@dataclass(frozen=True)
class Snapshot:
    """What an earlier digest recorded: the overdue total per currency on its day."""

    on: date
    overdue: Mapping[str, Decimal]


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


class Basis(StrEnum):
    PREVIOUS = "previous"
    """The latest earlier digest, whatever its day."""
    WEEK = "7_days"
    MONTH = "30_days"


# A digest that did not run on the very day (an outage) is replaced by the latest one a few days earlier.
TREND_TOLERANCE_DAYS = 3
_BASIS_DAYS = {Basis.WEEK: 7, Basis.MONTH: 30}


@dataclass(frozen=True)
class Comparison:
    basis: Basis
    after: Decimal
    reference_on: date | None = None
    before: Decimal | None = None
    """None when no digest of that time is on record."""

    @property
    def delta(self) -> Decimal | None:
        return None if self.before is None else self.after - self.before

    @property
    def direction(self) -> Direction | None:
        delta = self.delta
        if delta is None:
            return None
        return Direction.UP if delta > 0 else Direction.DOWN if delta < 0 else Direction.FLAT


def _latest(history: Iterable[Snapshot], last: date, first: date | None = None) -> Snapshot | None:
    candidates = [item for item in history if item.on <= last and (first is None or item.on >= first)]
    return max(candidates, key=lambda item: item.on, default=None)


def references(today: date, history: Sequence[Snapshot]) -> dict[Basis, Snapshot | None]:
    """The earlier digests each comparison reads: the previous one, and those of 7 and 30 days before."""
    found: dict[Basis, Snapshot | None] = {Basis.PREVIOUS: _latest(history, today - timedelta(days=1))}
    for basis, days in _BASIS_DAYS.items():
        target = today - timedelta(days=days)
        found[basis] = _latest(history, target, target - timedelta(days=TREND_TOLERANCE_DAYS))
    return found


def overdue_trend(
    current: Mapping[str, Decimal], today: date, history: Sequence[Snapshot]
) -> dict[str, tuple[Comparison, ...]]:
    """Each currency's overdue total against the earlier digests; a currency nothing is overdue in any more
    still shows, at zero, as long as an earlier digest had it."""
    found = references(today, history)
    currencies = set(current) | {
        currency for snapshot in found.values() if snapshot is not None for currency in snapshot.overdue
    }
    trend: dict[str, tuple[Comparison, ...]] = {}
    for currency in sorted(currencies):
        after = current.get(currency, ZERO)
        trend[currency] = tuple(
            Comparison(basis, after)
            if snapshot is None
            else Comparison(basis, after, snapshot.on, snapshot.overdue.get(currency, ZERO))
            for basis, snapshot in found.items()
        )
    return trend


# ---------------------------------------------------------------- charts


def scale(values: Sequence[Decimal], longest: int) -> list[int]:
    """Bar lengths proportional to `values`, the largest `longest` long (rounded half up); a value above
    zero keeps at least 1, so that a small amount owed never looks like nothing."""
    top = max(values, default=ZERO)
    if top <= 0:
        return [0 for _ in values]
    lengths = []
    for value in values:
        if value <= 0:
            lengths.append(0)
            continue
        length = (value * longest / top).to_integral_value(rounding=ROUND_HALF_UP)
        lengths.append(max(1, int(length)))
    return lengths
