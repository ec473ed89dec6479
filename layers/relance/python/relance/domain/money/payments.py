"""Payments and credit notes against one invoice, and the balance they leave outstanding day by day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from relance.domain.amounts import ZERO, round_money
from relance.domain.money.errors import ClaimError


class Payment(NamedTuple):
    """Money received (or a credit note issued) on `on`; a plain `(date, amount)` tuple works too."""

    on: date
    amount: Decimal


class Ledger:
    """The invoice amount less what was received, where a payment dated D lowers the balance from D + 1.

    On the payment day itself the old balance still accrues: days late = payment date - due date.
    """

    def __init__(self, amount: Decimal, payments: Iterable[Payment], currency: str) -> None:
        self.amount = amount
        self.payments = tuple(sorted(payments))
        received = sum((p.amount for p in self.payments), ZERO)
        if received > amount:
            raise ClaimError(
                f"payments and credit notes total {round_money(received, currency)}, "
                f"more than the invoice amount {amount}"
            )

    def balance_on(self, day: date) -> Decimal:
        """What is still owed while `day` runs, so what accrues interest on `day`."""
        return self.amount - sum((p.amount for p in self.payments if p.on < day), ZERO)

    def balance_after(self, day: date) -> Decimal:
        """What is still owed once `day` is over, counting payments dated `day`."""
        return self.balance_on(day + timedelta(days=1))

    def changes_within(self, first: date, last: date) -> list[date]:
        """Days after `first` and up to `last` on which the balance is lower than the day before."""
        return sorted({p.on + timedelta(days=1) for p in self.payments if first <= p.on < last})


def read_payments(payments: Iterable[Payment | tuple[date, Decimal]], currency: str) -> list[Payment]:
    read = []
    for on, amount in payments:
        if not isinstance(amount, Decimal):
            raise ClaimError(f"payment of {on} must be a Decimal amount, not {type(amount).__name__}")
        if amount <= 0:
            raise ClaimError(f"payment of {on.isoformat()} must be positive, not {amount}")
        if round_money(amount, currency) != amount:
            raise ClaimError(
                f"payment of {on.isoformat()} ({amount}) has more decimals than {currency} allows"
            )
        read.append(Payment(on, round_money(amount, currency)))
    return read
