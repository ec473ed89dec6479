"""Parsers for the central banks' published rates, turning an API response into candidate rate rows.

Pure: text in, rows out; the HTTP call is elsewhere (relance.rates.fetch, or the stack's scheduled
`rates` function), so recorded responses test every path. Each row is marked `fetched`: read from the
official source, usable for a claim, not yet checked by a person (`relance rates --verify`).

- ECB Data Portal, main refinancing operations fixed rate, series FM.B.U2.EUR.4F.KR.MRR_FR.LEV, as
  SDMX-CSV (`format=csvdata`) or SDMX-JSON: a French half-year takes the rate in force on 1 January /
  1 July (Code de commerce L441-10).
- Deutsche Bundesbank time-series API, BBK01.SU0115 (Basiszinssatz, BGB § 247), monthly, SDMX-JSON (the
  API's default) or SDMX-CSV: the base rate is reset on 1 January and 1 July.
- Bank of England database, Bank Rate, series IUDBEDR, CSV (`CSVF=TN`: a DATE column written
  "02 Jan 2025" and one column per series): the UK reference rate for debts late in a half-year is Bank
  Rate on the day before it starts (31 December / 30 June).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from relance.domain.money import HalfYear, PublishedRate, RateStatus, RateTable

ECB_SERIES = "FM.B.U2.EUR.4F.KR.MRR_FR.LEV"
BUNDESBANK_SERIES = "BBK01.SU0115"
BOE_SERIES = "IUDBEDR"

ECB_URL = "https://data-api.ecb.europa.eu/service/data/FM/B.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata"
BUNDESBANK_URL = "https://api.statistiken.bundesbank.de/rest/data/BBK01/SU0115"
BOE_URL = (
    "https://www.bankofengland.co.uk/boeapps/database/_iadb-fromshowcolumns.asp?csv.x=yes"
    "&Datefrom=01/Jan/2022&Dateto=now&SeriesCodes=IUDBEDR&CSVF=TN&UsingCodes=Y&VPD=Y&VFD=N"
)
STORE_LABEL = "rate store"


class SourceError(ValueError):
    """A response that is not what the documented format says: the message names the source and why."""


@dataclass(frozen=True)
class Observation:
    on: date
    percent: Decimal


# ---------------------------------------------------------------- formats


def parse_sdmx_csv(text: str, source: str) -> list[Observation]:
    """SDMX-CSV (the ECB's `csvdata`, the Bundesbank's `sdmx_csv`): a header row naming TIME_PERIOD and
    OBS_VALUE among the dimension and attribute columns; empty or "NaN" values are skipped."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or not {"TIME_PERIOD", "OBS_VALUE"} <= set(reader.fieldnames):
        raise SourceError(f"{source}: no TIME_PERIOD and OBS_VALUE columns in the CSV header")
    return _sorted(
        Observation(_period_start(row["TIME_PERIOD"], source), _decimal(row["OBS_VALUE"], source))
        for row in reader
        if (row.get("OBS_VALUE") or "").strip() not in ("", "NaN")
    )


def parse_sdmx_json(text: str, source: str) -> list[Observation]:
    """SDMX-JSON 1.0 data message: observations keyed by their index into the TIME_PERIOD values of
    `structure.dimensions.observation`, each an array whose first element is the value."""
    try:
        # Decimal straight from the JSON text: a float would turn 1.27 into 1.2700000000000000177...
        message = json.loads(text, parse_float=Decimal)
        data_sets = message.get("dataSets") or message["data"]["dataSets"]
        structure = message.get("structure") or message["data"]["structure"]
        [time] = [d for d in structure["dimensions"]["observation"] if d["id"] == "TIME_PERIOD"]
        periods = [value["id"] for value in time["values"]]
        series = data_sets[0]["series"]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise SourceError(f"{source}: not an SDMX-JSON data message ({exc!r})") from exc
    if len(series) != 1:
        raise SourceError(f"{source}: expected one series, found {len(series)}")
    [only] = series.values()
    observations = []
    for index, values in only.get("observations", {}).items():
        if not values or values[0] is None:
            continue
        observations.append(
            Observation(_period_start(periods[int(index)], source), _decimal(values[0], source))
        )
    return _sorted(observations)


def parse_boe_csv(text: str, source: str, series: str = BOE_SERIES) -> list[Observation]:
    """The Bank of England database's CSV: DATE ("02 Jan 2025") and a column per series code; ".." is
    a missing value."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "DATE" not in reader.fieldnames or series not in reader.fieldnames:
        raise SourceError(f"{source}: no DATE and {series} columns in the CSV header")
    observations = []
    for row in reader:
        value = (row[series] or "").strip()
        if value in ("", ".."):
            continue
        observations.append(Observation(_boe_date(row["DATE"], source), _decimal(value, source)))
    return _sorted(observations)


# ---------------------------------------------------------------- candidate rows


def in_force_on(observations: list[Observation], day: date) -> Observation | None:
    """The last observation on or before `day`: the rate in force that day."""
    found = None
    for observation in observations:
        if observation.on > day:
            break
        found = observation
    return found


def ecb_candidates(observations: list[Observation], fetched_at: datetime) -> list[PublishedRate]:
    """A French half-year's ECB rate is the one in force on its first day, known once that day is past."""
    rows = []
    for period in _half_years(observations, fetched_at.date()):
        found = in_force_on(observations, period.start)
        if found is not None:
            rows.append(
                _row(
                    RateTable.ECB_MRO,
                    period,
                    found.percent,
                    f"ECB Data Portal, {ECB_SERIES}: {found.percent} from {found.on.isoformat()}, "
                    f"in force on {period.start.isoformat()}",
                    fetched_at,
                )
            )
    return rows


def bundesbank_candidates(observations: list[Observation], fetched_at: datetime) -> list[PublishedRate]:
    """The base rate of each half-year with a monthly observation; months of one half-year must agree."""
    by_period: dict[HalfYear, set[Decimal]] = {}
    for observation in observations:
        if observation.on <= fetched_at.date():
            by_period.setdefault(HalfYear.of(observation.on), set()).add(observation.percent)
    rows = []
    for period, values in sorted(by_period.items()):
        if len(values) > 1:
            raise SourceError(
                f"Bundesbank {BUNDESBANK_SERIES}: {period} holds several base rates "
                f"({', '.join(str(v) for v in sorted(values))}); it only changes on 1 January and 1 July"
            )
        [percent] = values
        rows.append(
            _row(
                RateTable.DE_BASE,
                period,
                percent,
                f"Deutsche Bundesbank, {BUNDESBANK_SERIES} (Basiszinssatz, BGB § 247) for {period}",
                fetched_at,
            )
        )
    return rows


def boe_candidates(observations: list[Observation], fetched_at: datetime) -> list[PublishedRate]:
    """The reference rate for debts late in a half-year: Bank Rate on the day before it starts."""
    rows = []
    for period in _half_years(observations, fetched_at.date() + timedelta(days=1)):
        day = period.start - timedelta(days=1)
        found = in_force_on(observations, day)
        if found is not None:
            rows.append(
                _row(
                    RateTable.UK_REFERENCE,
                    period,
                    found.percent,
                    f"Bank of England database, {BOE_SERIES} (Bank Rate): {found.percent} from "
                    f"{found.on.isoformat()}, in force on {day.isoformat()}",
                    fetched_at,
                )
            )
    return rows


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    """Where the scheduled job fetches it."""
    accept: str
    """The Accept header asking for the format `parse` reads."""
    parse: Callable[[str, str], list[Observation]]
    candidates: Callable[[list[Observation], datetime], list[PublishedRate]]


SOURCES = {
    "ecb": Source("ecb", ECB_URL, "text/csv", parse_sdmx_csv, ecb_candidates),
    "bundesbank": Source(
        "bundesbank",
        BUNDESBANK_URL,
        "application/vnd.sdmx.data+json;version=1.0.0",
        parse_sdmx_json,
        bundesbank_candidates,
    ),
    "boe": Source("boe", BOE_URL, "text/csv", parse_boe_csv, boe_candidates),
}


def candidates_from(name: str, text: str, fetched_at: datetime) -> list[PublishedRate]:
    """Candidate rows from one source's response, fetched at the aware datetime `fetched_at`."""
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be an aware datetime")
    try:
        source = SOURCES[name]
    except KeyError:
        raise SourceError(f"unknown rate source {name!r}; known: {', '.join(SOURCES)}") from None
    observations = source.parse(text, name)
    if not observations:
        raise SourceError(f"{name}: the response holds no observation")
    return source.candidates(observations, fetched_at)


# ---------------------------------------------------------------- helpers


def _row(table: RateTable, period: HalfYear, percent: Decimal, source: str, at: datetime) -> PublishedRate:
    return PublishedRate(
        table=table,
        period=period,
        percent=percent,
        source=source,
        status=RateStatus.FETCHED,
        file=STORE_LABEL,
        recorded_at=at,
    )


def _half_years(observations: list[Observation], known_until: date) -> list[HalfYear]:
    """Half-years from the first observation's to the one holding `known_until`, each started by then."""
    periods = []
    period = HalfYear.of(observations[0].on)
    while period.start <= known_until:
        periods.append(period)
        period = period.next()
    return periods


def _period_start(text: str, source: str) -> date:
    """First day of an SDMX time period: 2025-06-11, 2025-06, 2025-S2, 2025-Q3 or 2025."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return date.fromisoformat(raw)
        year = int(raw[:4])
        if len(raw) == 4:
            return date(year, 1, 1)
        rest = raw[5:]
        if rest[:1] == "S":
            return HalfYear(year, int(rest[1:])).start
        if rest[:1] == "Q":
            return date(year, 3 * int(rest[1:]) - 2, 1)
        return date(year, int(rest), 1)
    except (ValueError, IndexError):
        raise SourceError(f"{source}: time period {text!r} is not an SDMX period") from None


_MONTHS = {
    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
    "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
}  # fmt: skip


def _boe_date(text: str, source: str) -> date:
    """ "02 Jan 2025", read without the process locale (strptime's %b would follow it)."""
    try:
        day, month, year = text.split()
        return date(int(year), _MONTHS[month.upper()], int(day))
    except (ValueError, KeyError):
        raise SourceError(f"{source}: date {text!r} is not written like 02 Jan 2025") from None


def _decimal(value: Any, source: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise SourceError(f"{source}: value {value!r} is not a number") from None
    if not number.is_finite():
        raise SourceError(f"{source}: value {value!r} is not a finite number")
    return number


def _sorted(observations: Iterable[Observation]) -> list[Observation]:
    return sorted(observations, key=lambda observation: observation.on)
