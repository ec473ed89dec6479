"""`relance rates`: the late-payment rates in use, where each comes from, and keeping them current.

    relance rates                                  list the recent rates, their status and source
    relance rates --fetch                          fetch the ECB, Bundesbank and Bank of England rates
    relance rates --response ecb=FILE ...          the same from recorded responses (offline, tests)
    relance rates --verify 2026-H2 --by NAME       a person checked that half-year's rows: verified
    relance rates --set FR_LEGAL_OTHER 2026-H2 2.60 --source "arrêté du ..." --by NAME
                                                   a published value no API serves (the French legal rate)

Rows live in a rate store, merged with the packaged tables by `relance interest` too: --store FILE, else
the stack's (--stack NAME or RELANCE_STACK: s3://<its bucket>/rates/rates.json, which its scheduled rates
function fills), else RELANCE_RATE_STORE, else ~/.relance/rates.json.

    relance rates --stack relance-prod --verify 2026-H2 --by "J. Moreau"
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from relance.domain.money import HalfYear, PublishedRate, RateBook, RateTable, RateTableError, load_rate_book
from relance.ports import StorageError
from relance.rates import (
    SOURCES,
    JsonFileRateStore,
    RateStore,
    RateStoreError,
    RateUpdateError,
    base_rate_drift,
    current_rate_book,
    refresh,
    set_rate,
    verify,
)
from relance_tools.cli.errors import CliError
from relance_tools.cli.stack import add_stack_arguments, runtime_from_args

STORE_VARIABLE = "RELANCE_RATE_STORE"
_DEFAULT_STORE = Path("~/.relance/rates.json")
_TABLES = ", ".join(table.name for table in RateTable)
# Half-years listed before the current one: enough to see the last changes at a glance.
_HISTORY = 3


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "rates",
        help="list, fetch and verify the late-payment rates",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_store_argument(parser)
    parser.add_argument("--rates-dir", metavar="DIR", help="rate tables overriding the packaged ones")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--fetch", action="store_true", help="fetch the three sources over HTTPS")
    action.add_argument(
        "--response",
        action="append",
        default=[],
        metavar="SOURCE=FILE",
        help=f"a recorded response instead of fetching; SOURCE is one of {', '.join(SOURCES)}",
    )
    action.add_argument("--verify", metavar="HALF", help="mark the fetched rows of HALF (2026-H2) verified")
    action.add_argument(
        "--set",
        nargs=3,
        metavar=("TABLE", "HALF", "PERCENT"),
        help=f"enter a published rate; TABLE: {_TABLES}",
    )
    parser.add_argument(
        "--table", action="append", default=[], metavar="TABLE", help="with --verify: only it"
    )
    parser.add_argument("--source", help="with --set: the publication the value was read in")
    parser.add_argument("--by", help="who verified or entered the rate (default: the OS user)")
    parser.add_argument("--despite-drift", action="store_true", help="verify a base rate off the ECB gap")
    parser.add_argument("--fetched-at", metavar="DATE", help="date of the recorded responses (default today)")
    parser.add_argument("--today", metavar="DATE", help="the day to list around (default today, UTC)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="FILE",
        help=f"rate store file (default: the stack's, else ${STORE_VARIABLE}, else {_DEFAULT_STORE})",
    )
    add_stack_arguments(parser)


def store_from(args: argparse.Namespace) -> RateStore:
    """The file named by --store; else the stack's S3 object when a stack is named; else the local file."""
    if not args.store and getattr(args, "stack", None):
        return runtime_from_args(args).rate_store
    path = args.store or os.environ.get(STORE_VARIABLE) or str(_DEFAULT_STORE)
    return JsonFileRateStore(Path(path).expanduser())


def base_book(args: argparse.Namespace) -> RateBook:
    try:
        return load_rate_book(Path(args.rates_dir)) if args.rates_dir else load_rate_book()
    except RateTableError as exc:
        raise CliError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    store = store_from(args)
    base = base_book(args)
    now = datetime.now(UTC)
    today = _date(args.today, "--today") if args.today else now.date()
    by = (args.by or getpass.getuser()).strip()
    messages: list[str] = []
    try:
        if args.fetch or args.response:
            messages += _refresh(args, store, base, now)
        elif args.verify:
            tables = [_table(name) for name in args.table] or None
            verified = verify(
                store,
                _half(args.verify),
                by=by,
                at=now,
                tables=tables,
                despite_drift=args.despite_drift,
                base=base,
            )
            messages += [f"verified: {row.table.name} {row.period} {row.percent}" for row in verified]
        elif args.set:
            name, half, percent = args.set
            table, period, value = _table(name), _half(half), _percent(percent)
            if not args.source:
                raise CliError("--set needs --source: the publication the value was read in")
            row = set_rate(store, table, period, value, source=args.source, by=by, at=now, base=base)
            messages.append(f"entered: {row.table.name} {row.period} {row.percent} (verified)")
        book = current_rate_book(store, base)
    except (RateUpdateError, RateStoreError, StorageError) as exc:
        raise CliError(str(exc)) from exc
    listing = rate_listing(book, today)
    if args.json:
        print(json.dumps({"messages": messages, **listing}, indent=2, ensure_ascii=False))
    else:
        print(render(messages, listing))
    return 0


def _refresh(args: argparse.Namespace, store: RateStore, base: RateBook, now: datetime) -> list[str]:
    if args.fetch:
        from relance.rates.fetch import fetch_responses

        texts, errors = fetch_responses()
        fetched_at = now
    else:
        texts, errors = {}, {}
        for item in args.response:
            name, sep, file = item.partition("=")
            if not sep or name not in SOURCES:
                raise CliError(f"--response {item!r} must be SOURCE=FILE, SOURCE one of {', '.join(SOURCES)}")
            try:
                texts[name] = Path(file).read_text(encoding="utf-8")
            except OSError as exc:
                raise CliError(f"--response {name}: cannot read {file} ({exc.strerror})") from None
        fetched_at = (
            datetime.combine(_date(args.fetched_at, "--fetched-at"), datetime.min.time(), tzinfo=UTC)
            if args.fetched_at
            else now
        )
    report = refresh(store, texts, fetched_at, base)
    messages = [f"fetched: {row.table.name} {row.period} {row.percent}" for row in report.added]
    messages += [f"unchanged: {row.table.name} {row.period} {row.percent}" for row in report.unchanged]
    messages += [f"disagrees: {line}" for line in report.disagreements]
    messages += [f"check: {line}" for line in report.drift]
    messages += [f"error: {line}" for line in [*errors.values(), *report.errors]]
    return messages


def rate_listing(book: RateBook, today: date) -> dict[str, Any]:
    """The rows of the last half-years per table, what is missing for the current one, and the checks."""
    current = HalfYear.of(today)
    first = current
    for _ in range(_HISTORY):
        first = HalfYear(first.year - 1, 2) if first.half == 1 else HalfYear(first.year, 1)
    rows, missing = [], []
    for table in RateTable:
        period = first
        while period <= current:
            entry = book.entry(table, period)
            if entry is not None:
                rows.append(_row(entry))
            period = period.next()
        entry = book.entry(table, current)
        # The individual-creditor legal rate prices nothing here (a business creditor takes "other cases").
        if table is not RateTable.FR_LEGAL_INDIVIDUAL and (entry is None or not entry.usable):
            missing.append(
                {"table": table.name, "half": str(current), "why": "unverified" if entry else "absent"}
            )
    return {
        "today": today.isoformat(),
        "rows": rows,
        "missing": missing,
        "drift": base_rate_drift(book),
        "notes": list(book.notes),
    }


def _row(entry: PublishedRate) -> dict[str, Any]:
    return {
        "table": entry.table.name,
        "half": str(entry.period),
        "percent": f"{entry.percent:f}",
        "status": str(entry.status),
        "where": entry.file,
        "source": entry.source,
    }


def render(messages: list[str], listing: dict[str, Any]) -> str:
    lines = [*messages, ""] if messages else []
    header = ("Table", "Half", "Rate %", "Status", "Where")
    cells = [header] + [
        (r["table"], r["half"], r["percent"], r["status"], r["where"]) for r in listing["rows"]
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    lines.append("")
    for item in listing["missing"]:
        hint = (
            f"enter it: relance rates --set {item['table']} {item['half']} PERCENT --source '...'"
            if item["table"].startswith("FR_LEGAL")
            else "fetch it: relance rates --fetch"
        )
        state = "only an unverified value" if item["why"] == "unverified" else "no rate"
        lines.append(f"Missing: {item['table']} {item['half']} has {state}; {hint}")
    lines += [f"Check: {line}" for line in listing["drift"]]
    lines += [f"Note: {line}" for line in listing["notes"]]
    return "\n".join(lines).rstrip()


def _table(name: str) -> RateTable:
    try:
        return RateTable[name.strip().upper()]
    except KeyError:
        raise CliError(f"table {name!r} is not one of {_TABLES}") from None


def _half(text: str) -> HalfYear:
    try:
        return HalfYear.parse(text)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%").replace(",", "."))
    except InvalidOperation:
        raise CliError(f"rate {text!r} is not a number") from None
    return value


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"{option} {text!r} is not a date written YYYY-MM-DD") from None
