"""Why a late-payment claim cannot be computed."""

from __future__ import annotations


class ClaimError(ValueError):
    """The invoice data cannot give a claim (overpaid, wrong currency for a fixed indemnity, ...)."""


class UnsupportedJurisdiction(ClaimError):
    """No late-payment rules for this creditor country and debtor kind."""


class RateTableError(ValueError):
    """A rate file is missing or malformed; the message names the file and the entry."""


class MissingRateError(LookupError):
    """A calculation needs a rate for a period the tables do not hold.

    Never papered over with zero or the last known rate: a claim with a guessed rate is a wrong claim
    printed on a formal notice.
    """

    def __init__(self, message: str, *, table: str, period: str) -> None:
        super().__init__(message)
        self.table = table
        self.period = period


class UnverifiedRateError(MissingRateError):
    """The rate is in the table but marked `verified: false`; usable only when the caller allows it."""
