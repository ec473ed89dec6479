"""Published late-payment rates, read from the dated and sourced YAML tables in `relance/data/rates`,
merged with the rows the stack stores (fetched from the central banks, or verified by a person).

Adding next half-year's rate is an edit to one of those files or a stored row, never to this module. A
rate that is in no table raises `MissingRateError` naming the table, the half-year and the file; a rate
marked `verified: false` raises `UnverifiedRateError` unless the caller passes `allow_unverified=True`. A
rate fetched from the official source but not yet checked by a person is used, and says so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from relance.domain.money.errors import MissingRateError, RateTableError, UnverifiedRateError
from relance.domain.money.half_years import HalfYear

__all__ = [
    "MissingRateError",
    "MroHistory",
    "PublishedRate",
    "RateBook",
    "RateChange",
    "RateStatus",
    "RateTable",
    "RateTableError",
    "UnverifiedRateError",
    "load_rate_book",
]

_PACKAGED_DIR_LABEL = "rates"
_ECB_FILE = "ecb.yaml"
_FR_FILE = "fr.yaml"
_DE_FILE = "de.yaml"
_UK_FILE = "uk.yaml"
_FILES = (_ECB_FILE, _FR_FILE, _DE_FILE, _UK_FILE)


class RateTable(StrEnum):
    ECB_MRO = "ECB main refinancing rate"
    FR_LEGAL_INDIVIDUAL = "French legal rate (individual creditor)"
    FR_LEGAL_OTHER = "French legal rate (other cases)"
    DE_BASE = "German base rate"
    UK_REFERENCE = "UK reference rate"


class RateStatus(StrEnum):
    """How far a rate can be trusted, best first."""

    VERIFIED = "verified"
    """Checked by a person against the official publication."""
    FETCHED = "fetched"
    """Read from the official source's API by the rates job; usable, but no person has checked it yet."""
    UNVERIFIED = "unverified"
    """Taken from a secondary source; refused unless the caller allows unverified rates."""

    @property
    def rank(self) -> int:
        return {RateStatus.VERIFIED: 2, RateStatus.FETCHED: 1, RateStatus.UNVERIFIED: 0}[self]


@dataclass(frozen=True)
class PublishedRate:
    """One half-year's value of one table, as published, with where it came from.

    `file` names where the row was read: a packaged table (rates/fr.yaml), an override file, or the
    stack's rate store. `recorded_at` is when a stored row was fetched or verified (None in the tables).
    """

    table: RateTable
    period: HalfYear
    percent: Decimal
    source: str
    status: RateStatus
    file: str
    recorded_at: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.status is RateStatus.VERIFIED

    @property
    def usable(self) -> bool:
        """Verified or fetched from the official source: a claim may be computed on it without a flag."""
        return self.status is not RateStatus.UNVERIFIED


@dataclass(frozen=True)
class HalfYearTable:
    table: RateTable
    file: str
    entries: Mapping[HalfYear, PublishedRate]

    def rate_for(self, period: HalfYear, *, allow_unverified: bool = False) -> PublishedRate:
        entry = self.entries.get(period)
        if entry is None:
            raise MissingRateError(
                f"no {self.table} for {period} in {self.file} ({self._coverage()}); "
                "add that half-year's entry with its source (see docs/interest.md)",
                table=str(self.table),
                period=str(period),
            )
        if not entry.usable and not allow_unverified:
            raise UnverifiedRateError(
                f"the {self.table} for {period} in {self.file} ({entry.percent}) is marked unverified; "
                "confirm it from the source and set `verified: true`, or allow unverified rates explicitly",
                table=str(self.table),
                period=str(period),
            )
        return entry

    def periods(self) -> tuple[HalfYear, ...]:
        return tuple(sorted(self.entries))

    def _coverage(self) -> str:
        known = self.periods()
        return f"it covers {known[0]} to {known[-1]}" if known else "it is empty"


@dataclass(frozen=True)
class RateChange:
    effective: date
    percent: Decimal


@dataclass(frozen=True)
class MroHistory:
    """ECB main refinancing rate changes by effective date; the French half-year rates are derived from it."""

    changes: tuple[RateChange, ...]
    known_through: date
    source: str
    file: str

    def in_force_on(self, day: date) -> Decimal:
        if not self.changes or day < self.changes[0].effective or day > self.known_through:
            first = self.changes[0].effective if self.changes else None
            raise MissingRateError(
                f"no {RateTable.ECB_MRO} known in force on {day.isoformat()} in {self.file} "
                f"(history runs from {first} to {self.known_through.isoformat()})",
                table=str(RateTable.ECB_MRO),
                period=day.isoformat(),
            )
        current = self.changes[0].percent
        for change in self.changes:
            if change.effective > day:
                break
            current = change.percent
        return current


@dataclass(frozen=True)
class RateBook:
    """Every rate table the late-payment rules read; build it once with `load_rate_book` and reuse it.

    `notes` say where stored rows and the code tables disagree (see `with_stored`).
    """

    tables: Mapping[RateTable, HalfYearTable]
    mro_history: MroHistory
    notes: tuple[str, ...] = ()

    def rate_for(
        self, table: RateTable, period: HalfYear, *, allow_unverified: bool = False
    ) -> PublishedRate:
        return self.tables[table].rate_for(period, allow_unverified=allow_unverified)

    def entry(self, table: RateTable, period: HalfYear) -> PublishedRate | None:
        """The row for `period` whatever its status, or None."""
        return self.tables[table].entries.get(period)

    def periods(self, table: RateTable) -> tuple[HalfYear, ...]:
        return self.tables[table].periods()

    def with_stored(self, rows: Iterable[PublishedRate]) -> RateBook:
        """This book with the stack's stored rows merged in, row by row, the more trusted one winning.

        A verified code-table row always stays: a stored row that differs from it is kept out and noted,
        since the tables were checked against the official values. Otherwise the better status wins
        (verified > fetched > unverified), a stored row winning a tie because it is the newer reading.
        """
        entries = {table: dict(half_years.entries) for table, half_years in self.tables.items()}
        notes = list(self.notes)
        for row in rows:
            current = entries[row.table].get(row.period)
            if current is None:
                entries[row.table][row.period] = row
                continue
            same = current.percent == row.percent
            if current.verified and current.file != row.file:
                if not same:
                    notes.append(
                        f"{row.table} {row.period}: stored {row.status} value {row.percent} differs from the "
                        f"verified {current.percent} in {current.file}; the verified value is kept"
                    )
                continue
            if row.status.rank >= current.status.rank:
                if not same:
                    notes.append(
                        f"{row.table} {row.period}: {row.status} value {row.percent} ({row.file}) replaces "
                        f"{current.status} {current.percent} ({current.file})"
                    )
                entries[row.table][row.period] = row
        tables = {
            table: HalfYearTable(table, self.tables[table].file, by_period)
            for table, by_period in entries.items()
        }
        return RateBook(tables=tables, mro_history=self.mro_history, notes=tuple(notes))


def load_rate_book(directory: Path | str | None = None) -> RateBook:
    """The packaged tables, or those in `directory` where it holds a file of the same name.

    An operator can so publish next half-year's French rates by dropping an edited `fr.yaml` in a
    directory before a release ships it; error messages name the file actually read.
    """
    if directory is None:
        return _packaged_rate_book()
    folder = Path(directory)
    if not folder.is_dir():
        raise RateTableError(f"rate directory {folder} does not exist")
    return _build(folder)


@functools.cache
def _packaged_rate_book() -> RateBook:
    return _build(None)


def _build(folder: Path | None) -> RateBook:
    documents = {name: _read(name, folder) for name in _FILES}
    fr_doc, fr_file = documents[_FR_FILE]
    de_doc, de_file = documents[_DE_FILE]
    uk_doc, uk_file = documents[_UK_FILE]
    ecb_doc, ecb_file = documents[_ECB_FILE]
    fr_tables = _half_year_tables(
        fr_doc,
        fr_file,
        {
            "ecb_mro": RateTable.ECB_MRO,
            "legal_rate_individual": RateTable.FR_LEGAL_INDIVIDUAL,
            "legal_rate_other": RateTable.FR_LEGAL_OTHER,
        },
    )
    de_tables = _half_year_tables(de_doc, de_file, {"base_rate": RateTable.DE_BASE})
    uk_tables = _half_year_tables(
        uk_doc, uk_file, {"reference_rate": RateTable.UK_REFERENCE}, check=_check_uk_entry
    )
    return RateBook(
        tables={**fr_tables, **de_tables, **uk_tables}, mro_history=_mro_history(ecb_doc, ecb_file)
    )


def _read(name: str, folder: Path | None) -> tuple[Any, str]:
    if folder is not None and (folder / name).is_file():
        path = folder / name
        text, label = path.read_text(encoding="utf-8"), str(path)
    else:
        resource = resources.files("relance") / "data" / "rates" / name
        text, label = resource.read_text(encoding="utf-8"), f"{_PACKAGED_DIR_LABEL}/{name}"
    try:
        return yaml.safe_load(text), label
    except yaml.YAMLError as exc:
        raise RateTableError(f"{label} is not valid YAML: {exc}") from exc


def _half_year_tables(
    document: Any,
    file: str,
    columns: Mapping[str, RateTable],
    check: Callable[[Mapping[str, Any], HalfYear, str], None] | None = None,
) -> dict[RateTable, HalfYearTable]:
    if not isinstance(document, dict) or not isinstance(document.get("half_years"), list):
        raise RateTableError(f"{file} must hold a `half_years:` list")
    entries: dict[RateTable, dict[HalfYear, PublishedRate]] = {table: {} for table in columns.values()}
    for index, raw in enumerate(document["half_years"], start=1):
        where = f"{file}, entry {index}"
        if not isinstance(raw, dict):
            raise RateTableError(f"{where} is not a mapping")
        period = _half_year(raw.get("half"), where)
        where = f"{file}, {period}"
        source = raw.get("source")
        if not isinstance(source, str) or not source.strip():
            raise RateTableError(f"{where} has no `source`: every rate must say where it was published")
        verified = raw.get("verified", True)
        if not isinstance(verified, bool):
            raise RateTableError(f"{where}: `verified` must be true or false")
        if check is not None:
            check(raw, period, where)
        for column, table in columns.items():
            if period in entries[table]:
                raise RateTableError(f"{where} appears twice")
            entries[table][period] = PublishedRate(
                table=table,
                period=period,
                percent=_percent(raw.get(column), f"{where}, {column}"),
                source=source.strip(),
                status=RateStatus.VERIFIED if verified else RateStatus.UNVERIFIED,
                file=file,
            )
    return {table: HalfYearTable(table, file, by_period) for table, by_period in entries.items()}


def _check_uk_entry(raw: Mapping[str, Any], period: HalfYear, where: str) -> None:
    # The Act reads Bank Rate on the day before the half-year starts; a wrong day means a misread table.
    expected = period.start - timedelta(days=1)
    in_force_on = _date(raw.get("in_force_on"), f"{where}, in_force_on")
    if in_force_on != expected:
        raise RateTableError(
            f"{where}: in_force_on is {in_force_on.isoformat()}, but debts late in {period} take "
            f"Bank Rate in force on {expected.isoformat()}"
        )


def _mro_history(document: Any, file: str) -> MroHistory:
    if not isinstance(document, dict) or not isinstance(document.get("changes"), list):
        raise RateTableError(f"{file} must hold a `changes:` list")
    changes = []
    for index, raw in enumerate(document["changes"], start=1):
        where = f"{file}, change {index}"
        if not isinstance(raw, dict):
            raise RateTableError(f"{where} is not a mapping")
        changes.append(RateChange(_date(raw.get("from"), f"{where}, from"), _percent(raw.get("rate"), where)))
    if [c.effective for c in changes] != sorted({c.effective for c in changes}):
        raise RateTableError(f"{file}: changes must be in date order, each date once")
    source = document.get("source")
    if not isinstance(source, str) or not source.strip():
        raise RateTableError(f"{file} has no `source`")
    return MroHistory(
        changes=tuple(changes),
        known_through=_date(document.get("known_through"), f"{file}, known_through"),
        source=" ".join(source.split()),
        file=file,
    )


def _half_year(value: Any, where: str) -> HalfYear:
    if not isinstance(value, str):
        raise RateTableError(f"{where}: `half` must be written like 2025-H2")
    try:
        return HalfYear.parse(value)
    except ValueError as exc:
        raise RateTableError(f"{where}: {exc}") from exc


def _percent(value: Any, where: str) -> Decimal:
    # A YAML float has already lost the decimal text; quoting keeps "4.47" exactly 4.47.
    if isinstance(value, float):
        raise RateTableError(f'{where}: write the rate quoted, like "{value}", so it stays exact')
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RateTableError(f"{where}: missing or unreadable rate {value!r}")
    try:
        percent = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise RateTableError(f"{where}: rate {value!r} is not a number") from exc
    if not percent.is_finite():
        raise RateTableError(f"{where}: rate {value!r} is not a finite number")
    return percent


def _date(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise RateTableError(f"{where}: {value!r} is not a date written YYYY-MM-DD")
