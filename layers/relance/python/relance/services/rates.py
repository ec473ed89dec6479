"""Keeping the rates current: what the scheduled `rates` function runs each morning.

It fetches the central banks' published rates (ECB, Bundesbank, Bank of England), stores them in the
stack's rate store as *fetched*, never over a verified row, and measures how many of the tables the
creditor's law reads have no verified rate for the half-year under way: `RatesUnverified`, which an alarm
watches. The French legal rate has no machine-readable source: a person enters it (`relance rates --set`),
so it counts as unverified until then. Nothing is fetched when every table is verified for the half-year.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from relance.domain.money import (
    HalfYear,
    RateBook,
    RateTable,
    rate_tables_for,
)
from relance.observability import gauge_metric, logger
from relance.ports import Context
from relance.rates.fetch import fetch_responses
from relance.rates.refresh import current_rate_book, refresh

Fetch = Callable[[], tuple[Mapping[str, str], Mapping[str, str]]]


@dataclass(frozen=True)
class RatesRefreshResult:
    period: HalfYear
    unverified: tuple[str, ...]
    """"<table> <half-year>" of each table the creditor's law reads with no verified rate for it."""
    fetched: bool
    added: tuple[str, ...] = ()
    disagreements: tuple[str, ...] = ()
    drift: tuple[str, ...] = ()
    errors: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": str(self.period),
            "unverified": list(self.unverified),
            "rates_unverified": len(self.unverified),
            "fetched": self.fetched,
            "added": list(self.added),
            "disagreements": list(self.disagreements),
            "drift": list(self.drift),
            "errors": list(self.errors),
        }


def unverified_tables(book: RateBook, tables: Iterable[RateTable], period: HalfYear) -> tuple[str, ...]:
    """Each of `tables` whose rate for `period` is missing, fetched only, or unverified."""
    found = []
    for table in tables:
        entry = book.entry(table, period)
        if entry is None or not entry.verified:
            found.append(f"{table.name} {period}")
    return tuple(found)


def run_rates_refresh(
    ctx: Context, today: date | None = None, fetch: Fetch | None = None
) -> RatesRefreshResult:
    """Fetches and stores the sources' rates while a table of the half-year under way is not verified;
    emits RatesUnverified (how many still are after the fetch) and logs what a person must look at."""
    now = ctx.clock()
    day = today if today is not None else ctx.calendar.local_date(now)
    period = HalfYear.of(day)
    tables = rate_tables_for(ctx.settings.country)
    pending = unverified_tables(current_rate_book(ctx.rate_store), tables, period)
    if not pending:
        gauge_metric("RatesUnverified", 0, "Count")
        logger.info("rates verified", extra={"period": str(period)})
        return RatesRefreshResult(period, (), fetched=False)
    # Looked up at call time, so that a test of the handler can give recorded responses instead.
    responses, fetch_errors = (fetch or fetch_responses)()
    report = refresh(ctx.rate_store, responses, now)
    still = unverified_tables(current_rate_book(ctx.rate_store), tables, period)
    result = RatesRefreshResult(
        period,
        still,
        fetched=True,
        added=tuple(f"{row.table.name} {row.period} {row.percent}" for row in report.added),
        disagreements=tuple(report.disagreements),
        drift=tuple(report.drift),
        errors=(*fetch_errors.values(), *report.errors),
    )
    gauge_metric("RatesUnverified", len(still), "Count")
    for line in (*result.errors, *result.disagreements, *result.drift):
        logger.warning("rates check", extra={"reason": line})
    if still:
        logger.warning(
            "rates not verified",
            extra={
                "period": str(period),
                "unverified": list(still),
                "to_do": f"check them at the source, then relance rates --verify {period} (or --set)",
            },
        )
    return result
