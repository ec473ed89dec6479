"""Fixed recovery indemnities owed per late invoice, in the currency the law fixes them in.

The law fixes 40 EUR (France, Germany) or 40/70/100 GBP (UK) whatever the invoice's currency: the amount
stays in that currency, never converted, and is totalled apart from the invoice's own currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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

    def amount_for(self, debt: Decimal, currency: str) -> tuple[Decimal, str | None]:
        """The indemnity, in `self.currency`, for a late `debt` in `currency`; and a note when the debt's
        currency left the band to choose. Bands are in the law's currency: a debt in another one is
        never converted, and gets the lowest band, which the debtor owes whatever the conversion."""
        if currency != self.currency and len(self.tiers) > 1:
            return self.tiers[0].amount, (
                f"the fixed sum under {self.basis} depends on the debt in {self.currency}; the invoice is in "
                f"{currency}, so the lowest band ({self.tiers[0].amount} {self.currency}) is claimed"
            )
        for tier in self.tiers:
            if tier.below is None or debt < tier.below:
                return tier.amount, None
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
