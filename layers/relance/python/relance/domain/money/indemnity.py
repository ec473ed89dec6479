"""Fixed recovery indemnities owed per late invoice, in the currency the law fixes them in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from relance.domain.money.errors import ClaimError


@dataclass(frozen=True)
class IndemnityTier:
    """`amount` is owed for debts below `below` (no upper bound when `below` is None)."""

    below: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class IndemnityRule:
    currency: str
    tiers: tuple[IndemnityTier, ...]
    basis: str

    def amount_for(self, debt: Decimal, currency: str) -> Decimal:
        if currency != self.currency:
            # Converting at some rate would print an amount the law does not state; the caller decides.
            raise ClaimError(
                f"the recovery indemnity under {self.basis} is fixed in {self.currency}, "
                f"but the invoice is in {currency}"
            )
        for tier in self.tiers:
            if tier.below is None or debt < tier.below:
                return tier.amount
        raise AssertionError(f"indemnity tiers of {self.basis} leave {debt} uncovered")


def _flat(amount: str, currency: str, basis: str) -> IndemnityRule:
    return IndemnityRule(currency, (IndemnityTier(None, Decimal(amount)),), basis)


FRANCE_B2B = _flat("40.00", "EUR", "Code de commerce, art. D441-5")
GERMANY_B2B = _flat("40.00", "EUR", "BGB § 288(5)")
UNITED_KINGDOM = IndemnityRule(
    "GBP",
    (
        IndemnityTier(Decimal("1000.00"), Decimal("40.00")),
        IndemnityTier(Decimal("10000.00"), Decimal("70.00")),
        IndemnityTier(None, Decimal("100.00")),
    ),
    "Late Payment of Commercial Debts (Interest) Act 1998, s. 5A",
)
