"""The demo's dated inputs: payments applied on their dates, human decisions taken on theirs.

Files are read with the ingest readers, so the demo accepts whatever the pipeline accepts.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from relance.ingest.decoding import decode_text
from relance.ingest.errors import FieldError, UnreadableFile
from relance.ingest.fields import fold, parse_date
from relance.ingest.headers import map_columns
from relance.ingest.kinds import FileKind
from relance.ingest.reading import read_upload
from relance.ingest.rows import Table
from relance.ingest.tabular import read_csv

ACTIONS = ("dispute", "promise", "resume")


@dataclass(frozen=True)
class DatedTable:
    headers: tuple[str, ...]
    rows: dict[date, list[Mapping[str, str]]]

    def csv_for(self, day: date) -> bytes:
        """The rows of one day as a `;` CSV with the file's own headers, as the finance team would drop it."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
        writer.writerow(self.headers)
        for row in self.rows.get(day, []):
            writer.writerow([row.get(header, "") for header in self.headers])
        return buffer.getvalue().encode("utf-8")


@dataclass(frozen=True)
class DatedAction:
    on: date
    kind: str
    invoice_id: str
    until: date | None
    reason: str


def _table(name: str, body: bytes, kind: FileKind) -> Table:
    try:
        upload = read_upload(f"incoming/{kind.value}/{name}", body)
    except (UnreadableFile, FieldError) as exc:
        raise ValueError(str(exc)) from exc
    if upload.table is None:
        raise ValueError(f"expected a CSV or JSON file of {kind.value}")
    return upload.table


def _column(table: Table, kind: FileKind, field: str) -> str:
    for header, name in map_columns(table.headers, kind).fields.items():
        if name == field:
            return header
    raise ValueError(f"no {field} column among {', '.join(table.headers)}")


def payments_by_date(name: str, body: bytes) -> DatedTable:
    """Rows without a readable date are kept aside for the first day, where ingest reports them."""
    table = _table(name, body, FileKind.PAYMENTS)
    column = _column(table, FileKind.PAYMENTS, "paid_on")
    rows: dict[date, list[Mapping[str, str]]] = defaultdict(list)
    unreadable: list[Mapping[str, str]] = []
    for row in table.rows:
        try:
            rows[parse_date(column, row.cells.get(column, ""))].append(row.cells)
        except FieldError:
            unreadable.append(row.cells)
    if unreadable:
        rows[min(rows, default=date.min)].extend(unreadable)
    return DatedTable(headers=table.headers, rows=dict(rows))


def due_date_range(name: str, body: bytes) -> tuple[date, date]:
    table = _table(name, body, FileKind.INVOICES)
    column = _column(table, FileKind.INVOICES, "due_date")
    dates: list[date] = []
    for row in table.rows:
        try:
            dates.append(parse_date(column, row.cells.get(column, "")))
        except FieldError:
            continue
    if not dates:
        raise ValueError("no readable due date in the invoices file")
    return min(dates), max(dates)


def actions_by_date(body: bytes) -> dict[date, list[DatedAction]]:
    """`date;action;invoice_id;until;reason` rows, action one of dispute, promise, resume."""
    table = read_csv(decode_text(body))
    by_field = {fold(header): header for header in table.headers}
    missing = [name for name in ("date", "action", "invoice_id") if name not in by_field]
    if missing:
        raise ValueError(f"actions file: missing column(s) {', '.join(missing)}")
    actions: dict[date, list[DatedAction]] = defaultdict(list)
    for row in table.rows:
        cells = {name: row.cells.get(header, "").strip() for name, header in by_field.items()}
        try:
            on = parse_date("date", cells["date"])
            until = parse_date("until", cells["until"]) if cells.get("until") else None
        except FieldError as exc:
            raise ValueError(f"actions file, line {row.line}: {exc}") from exc
        if cells["action"] not in ACTIONS:
            raise ValueError(
                f"actions file, line {row.line}: action {cells['action']!r} is not one of "
                f"{', '.join(ACTIONS)}"
            )
        if cells["action"] == "promise" and until is None:
            raise ValueError(f"actions file, line {row.line}: a promise needs an 'until' date")
        actions[on].append(
            DatedAction(
                on, cells["action"], cells["invoice_id"], until, cells.get("reason") or cells["action"]
            )
        )
    return dict(actions)
