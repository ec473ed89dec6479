"""Rates that never go stale: parse the central banks' responses, store the rows, let a person verify.

Not part of the domain: it reads HTTP responses and a store. The domain's `RateBook.with_stored` merges
what this package keeps with the packaged tables; `current_rate_book(store)` is the book to price with.
"""

from relance.rates.checks import BASE_RATE_GAP, base_rate_drift
from relance.rates.refresh import (
    RateUpdateError,
    RefreshReport,
    current_rate_book,
    refresh,
    set_rate,
    verify,
)
from relance.rates.sources import SOURCES, SourceError, candidates_from
from relance.rates.store import InMemoryRateStore, JsonFileRateStore, RateStore, RateStoreError

__all__ = [
    "BASE_RATE_GAP",
    "SOURCES",
    "InMemoryRateStore",
    "JsonFileRateStore",
    "RateStore",
    "RateStoreError",
    "RateUpdateError",
    "RefreshReport",
    "SourceError",
    "base_rate_drift",
    "candidates_from",
    "current_rate_book",
    "refresh",
    "set_rate",
    "verify",
]
