"""Claims a person must look at before any notice goes out, and why: pure checks over the rate book.

A contractual penalty rate below three times the legal rate breaks Code de commerce L441-10 (and exposes
the creditor to the fine of L441-16). Such a clause cannot be relied on, so the statutory default rate
applies instead (ECB + 10 points; docs/interest.md); printing the agreed rate would put the creditor's
own unlawful term on a formal notice, and switching rates silently would surprise the customer who
signed it. The notice is held: a person corrects the terms, then releases it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from relance.domain.money.errors import MissingRateError
from relance.domain.money.half_years import HalfYear
from relance.domain.money.jurisdictions import Jurisdiction
from relance.domain.money.rates import RateBook


@dataclass(frozen=True)
class FloorBreach:
    period: HalfYear
    minimum: Decimal
    legal_rate: Decimal


@dataclass(frozen=True)
class NeedsPerson:
    """Why a claim is held for a person: `code` for logs and metrics, `reason` in words."""

    code: str
    reason: str

    def __str__(self) -> str:
        return self.reason


CONTRACT_RATE_BELOW_FLOOR = "contract_rate_below_floor"


def floor_breaches(
    jurisdiction: Jurisdiction, contract_rate: Decimal, first: date, last: date, rates: RateBook
) -> tuple[list[FloorBreach], list[HalfYear]]:
    """Half-years from `first` to `last` whose legal floor `contract_rate` is below, and those whose
    legal rate is not known yet (so not checked)."""
    floor = jurisdiction.rules.contract_rate
    if floor is None:
        return [], []
    breaches, unchecked = [], []
    period = HalfYear.of(first)
    while period.start <= last:
        try:
            legal = rates.rate_for(floor.table, period, allow_unverified=True)
        except MissingRateError:
            unchecked.append(period)
        else:
            minimum = floor.multiple * legal.percent
            if contract_rate < minimum:
                breaches.append(FloorBreach(period, minimum, legal.percent))
        period = period.next()
    return breaches, unchecked


def contract_rate_review(
    jurisdiction: Jurisdiction, contract_rate: Decimal | None, first: date, last: date, rates: RateBook
) -> NeedsPerson | None:
    """A reason to hold the claim when `contract_rate` is below the legal floor in a half-year of the
    delay (`first` to `last`, the days interest runs); None when it is lawful, absent or not regulated."""
    floor = jurisdiction.rules.contract_rate
    if contract_rate is None or floor is None:
        return None
    breaches, _ = floor_breaches(jurisdiction, contract_rate, first, last, rates)
    if not breaches:
        return None
    worst = max(breaches, key=lambda breach: breach.minimum)
    statutory = jurisdiction.rules.statutory_rate
    return NeedsPerson(
        CONTRACT_RATE_BELOW_FLOOR,
        f"the contractual rate {contract_rate}% is below the legal floor of {worst.minimum}% for "
        f"{worst.period} ({floor.multiple} x {floor.table} {worst.legal_rate}, {floor.basis}): the clause "
        f"cannot be relied on and the statutory rate ({statutory.table} + {statutory.points} points) "
        "applies instead; correct the customer's terms, then release the notice",
    )
