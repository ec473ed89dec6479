"""CSV and JSON files as a table of text cells: the same rows whichever way the finance team exported them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import TABULAR_KINDS
from relance.ingest.rows import RawRow, Table

# `;` first: French Excel writes it, and its amounts carry decimal commas that a `,` reading would split.
_SEPARATORS = (";", "\t", ",", "|")
_WRAPPERS = {kind.value: kind.value for kind in TABULAR_KINDS} | {
    "clients": "customers",
    "factures": "invoices",
    "paiements": "payments",
    "reglements": "payments",
}
EXTRA_CELLS = "__extra__"
NOT_AN_OBJECT = "__not_an_object__"
_SEP_DIRECTIVE = "sep="


def sniff_separator(header_line: str) -> str:
    """The separator that splits the header line most; headers never hold a decimal comma."""
    counts = {sep: _count_outside_quotes(header_line, sep) for sep in _SEPARATORS}
    best = max(counts.values())
    if best == 0:
        return ";"
    return next(sep for sep in _SEPARATORS if counts[sep] == best)


def _count_outside_quotes(line: str, separator: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            count += 1
    return count


def read_csv(text: str) -> Table:
    """Each record keeps the line it starts on, as a spreadsheet numbers it (the header is line 1)."""
    lines = text.splitlines()
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise UnreadableFile("the file is empty")
    separator = sniff_separator(lines[first])
    skip = 0
    if (
        lines[first].lower().startswith(_SEP_DIRECTIVE)
        and len(lines[first].strip()) == len(_SEP_DIRECTIVE) + 1
    ):
        # Excel's "sep=;" first line names the separator and is not the header.
        separator = lines[first].strip()[-1]
        skip = 1
    # Strict: an unclosed quote would otherwise swallow every later row into one cell, silently.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        records = list(_records(reader))[skip:]
    except csv.Error as exc:
        raise UnreadableFile(f"the CSV cannot be read at line {reader.line_num}: {exc}") from None
    if not records:
        raise UnreadableFile("the file has no header row")
    header_line, header = records[0]
    headers = tuple(cell.strip() for cell in header)
    if not any(headers):
        raise UnreadableFile(f"line {header_line}: the header row is empty")
    rows = []
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        row = {
            header: cells[index].strip() if index < len(cells) else "" for index, header in enumerate(headers)
        }
        if len(cells) > len(headers) and any(cell.strip() for cell in cells[len(headers) :]):
            # Usually an unquoted decimal comma in a comma-separated file: kept so validation can say so.
            row[EXTRA_CELLS] = separator.join(cells[len(headers) :])
        rows.append(RawRow(line=line, cells=row))
    return Table(headers=headers, rows=tuple(rows))


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    previous_end = 0
    for cells in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if cells:
            yield start, cells


def read_json(text: str) -> Table:
    """A list of objects, or one object wrapping the list under its kind (`{"invoices": [...]}`).

    Numbers are read as Decimal and kept as their text: a float never touches an amount.
    """
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            f"the JSON is broken at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    announced = None
    if isinstance(data, dict):
        wrappers = [key for key in data if key in _WRAPPERS and isinstance(data[key], list)]
        if len(wrappers) != 1:
            raise UnreadableFile(
                'a JSON object must hold exactly one list under "customers", "invoices" or "payments"; '
                f"found keys: {', '.join(map(str, data)) or 'none'}"
            )
        announced = _WRAPPERS[wrappers[0]]
        data = data[wrappers[0]]
    if not isinstance(data, list):
        raise UnreadableFile("the JSON must be a list of objects, or an object holding one")
    headers: dict[str, None] = {}
    rows = []
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            rows.append(RawRow(line=position, cells={NOT_AN_OBJECT: _text(item)}))
            continue
        for key in item:
            headers.setdefault(str(key), None)
        rows.append(RawRow(line=position, cells={str(key): _text(value) for key, value in item.items()}))
    return Table(headers=tuple(headers), rows=tuple(rows), announced=announced)


def _text(value: Any) -> str:
    """A JSON value as the cell a CSV would hold; a list becomes lines (cc addresses, address lines)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | Decimal):
        return str(value)
    if isinstance(value, list):
        return "\n".join(_text(item) for item in value)
    return json.dumps(value, default=str)
