"""Keeping the stored rate rows current: add what the central banks published, let a person verify.

`refresh` is what the scheduled `rates` function runs after fetching the sources; `verify` and
`set_rate` are what `relance rates` runs for a person. None of them ever overwrites a verified row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from relance.domain.money import HalfYear, PublishedRate, RateBook, RateStatus, RateTable, load_rate_book
from relance.rates.checks import base_rate_drift
from relance.rates.sources import STORE_LABEL, SourceError, candidates_from
from relance.rates.store import RateStore


class RateUpdateError(ValueError):
    """A verification or entry that would make the rate book wrong: the message says what to do."""


def current_rate_book(store: RateStore | None, base: RateBook | None = None) -> RateBook:
    """The packaged tables (or `base`) merged with the store's rows: what claims should be priced with."""
    book = base if base is not None else load_rate_book()
    return book if store is None else book.with_stored(store.load())


@dataclass
class RefreshReport:
    added: list[PublishedRate] = field(default_factory=list)
    """New fetched rows stored (or stored rows whose fetched value changed)."""
    unchanged: list[PublishedRate] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    """A fetched value differing from a verified row, which is kept."""
    drift: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Sources whose response could not be read; the others are still stored."""


def refresh(
    store: RateStore, responses: Mapping[str, str], fetched_at: datetime, base: RateBook | None = None
) -> RefreshReport:
    """Stores the candidate rows from `responses` (source name -> response text, see SOURCES) as
    `fetched`, except where a verified row exists; reports disagreements and base-rate drift."""
    book = base if base is not None else load_rate_book()
    stored = store.load()
    current = book.with_stored(stored)
    report = RefreshReport()
    candidates: list[PublishedRate] = []
    for name, text in responses.items():
        try:
            candidates += candidates_from(name, text, fetched_at)
        except SourceError as exc:
            report.errors.append(str(exc))
    rows = {(row.table, row.period): row for row in stored}
    for candidate in candidates:
        key = (candidate.table, candidate.period)
        existing = current.entry(*key)
        if existing is not None and existing.verified:
            if existing.percent != candidate.percent:
                report.disagreements.append(
                    f"{candidate.table} {candidate.period}: fetched {candidate.percent}, verified "
                    f"{existing.percent} in {existing.file} (kept)"
                )
            continue
        prior = rows.get(key)
        if prior is not None and prior.percent == candidate.percent and prior.status is RateStatus.FETCHED:
            report.unchanged.append(prior)
            continue
        rows[key] = candidate
        report.added.append(candidate)
    store.save(list(rows.values()))
    report.drift = base_rate_drift(book.with_stored(rows.values()), extra=_table_rows(book))
    return report


def verify(
    store: RateStore,
    period: HalfYear,
    *,
    by: str,
    at: datetime,
    tables: Iterable[RateTable] | None = None,
    despite_drift: bool = False,
    base: RateBook | None = None,
) -> list[PublishedRate]:
    """Marks the fetched or unverified rows of `period` verified by `by`, who checked them against the
    official publication. A German base rate off the ECB - 0.88 gap is refused unless `despite_drift`."""
    if not by.strip():
        raise RateUpdateError("say who verified the rates (--by NAME)")
    book = base if base is not None else load_rate_book()
    current = book.with_stored(store.load())
    chosen = list(tables) if tables is not None else list(RateTable)
    pending = [
        entry
        for table in chosen
        if (entry := current.entry(table, period)) is not None and not entry.verified
    ]
    if not pending:
        raise RateUpdateError(
            f"nothing to verify for {period}: no fetched or unverified row (fetch the sources first, or "
            "enter the published value with --set)"
        )
    drift = [line for line in base_rate_drift(current) if line.startswith(f"{period}:")]
    if drift and not despite_drift and any(entry.table is RateTable.DE_BASE for entry in pending):
        raise RateUpdateError(f"{drift[0]}; verify the tables apart, or pass --despite-drift")
    verified = [
        replace(
            entry,
            status=RateStatus.VERIFIED,
            source=f"{entry.source}; verified by {by.strip()} on {at.date().isoformat()}",
            file=STORE_LABEL,
            recorded_at=at,
        )
        for entry in pending
    ]
    _put(store, verified)
    return verified


def set_rate(
    store: RateStore,
    table: RateTable,
    period: HalfYear,
    percent: Decimal,
    *,
    source: str,
    by: str,
    at: datetime,
    base: RateBook | None = None,
) -> PublishedRate:
    """A value a person read in the official publication (the French legal rate's arrêté, which no API
    serves), stored verified. A verified table row is never contradicted: a release fixes the table."""
    if not source.strip() or not by.strip():
        raise RateUpdateError("a rate needs its source (the publication) and who entered it")
    if not percent.is_finite() or percent < -10 or percent > 50:
        raise RateUpdateError(f"{percent} is not a plausible rate in percent")
    book = base if base is not None else load_rate_book()
    existing = book.with_stored(store.load()).entry(table, period)
    if (
        existing is not None
        and existing.verified
        and existing.file != STORE_LABEL
        and existing.percent != percent
    ):
        raise RateUpdateError(
            f"{table} {period} is {existing.percent}, verified in {existing.file}; fix that file instead"
        )
    row = PublishedRate(
        table=table,
        period=period,
        percent=percent,
        source=f"{source.strip()}; entered by {by.strip()} on {at.date().isoformat()}",
        status=RateStatus.VERIFIED,
        file=STORE_LABEL,
        recorded_at=at,
    )
    _put(store, [row])
    return row


def _put(store: RateStore, rows: list[PublishedRate]) -> None:
    merged = {(row.table, row.period): row for row in store.load()}
    merged.update({(row.table, row.period): row for row in rows})
    store.save(list(merged.values()))


def _table_rows(book: RateBook) -> list[PublishedRate]:
    """The code tables' own rows, so an unverified one shadowed by a fetched row is still checked."""
    return [
        entry
        for table in (RateTable.ECB_MRO, RateTable.DE_BASE)
        for period in book.periods(table)
        if (entry := book.entry(table, period)) is not None
    ]
