"""CSV and JSON files as a table of text cells: the same rows whichever way the finance team exported them.

A CSV table is read twice from the file's bytes: once when it is opened, to find its header and refuse a
malformed file before any row is used, then each time its rows are iterated, one row at a time. So a
100,000-row file costs the memory of its bytes and of one row, and a broken quote on the last line stops
the file before its first row is stored rather than after.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TextIO

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
# A header naming more columns than any export has is a file of something else (or an attack on memory).
MAX_COLUMNS = 200
MAX_HEADER_CHARS = 200
# The csv module refuses a cell above 128 KiB by stopping the whole file; a huge cell is one bad row,
# rejected by validation with its size, so the reader lets it through (the limit is process-wide).
csv.field_size_limit(2**31 - 1)


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


class CsvRows:
    """The data rows of a CSV file; each iteration reads the file again, so only one row is held."""

    def __init__(
        self,
        source: Callable[[], TextIO],
        separator: str,
        skip: int,
        headers: tuple[str, ...],
        count: int,
    ) -> None:
        self._source = source
        self._separator = separator
        self._skip = skip
        self._headers = headers
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[RawRow]:
        with self._source() as stream:
            records = _records(csv.reader(stream, delimiter=self._separator, strict=True))
            for _ in range(self._skip):
                next(records)
            for line, cells in records:
                if _blank(cells):
                    continue
                yield _raw_row(line, cells, self._headers, self._separator)


def _raw_row(line: int, cells: list[str], headers: tuple[str, ...], separator: str) -> RawRow:
    row = {header: cells[index].strip() if index < len(cells) else "" for index, header in enumerate(headers)}
    if len(cells) > len(headers) and not _blank(cells[len(headers) :]):
        # Usually an unquoted decimal comma in a comma-separated file: kept so validation can say so.
        row[EXTRA_CELLS] = separator.join(cells[len(headers) :])
    return RawRow(line=line, cells=row)


def _blank(cells: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def read_csv(text: str) -> Table:
    """A CSV already decoded to text (tools, tests); files from the bucket go through `read_csv_stream`."""
    return read_csv_stream(lambda: io.StringIO(text, newline=""))


def read_csv_stream(source: Callable[[], TextIO]) -> Table:
    """Each record keeps the line it starts on, as a spreadsheet numbers it (the header is line 1).

    `source` opens the file's text afresh; it is called once here and once per iteration of the rows.
    """
    with source() as stream:
        first = next((line for line in stream if line.strip()), None)
    if first is None:
        raise UnreadableFile("the file is empty")
    separator, skip = sniff_separator(first), 0
    if first.lower().startswith(_SEP_DIRECTIVE) and len(first.strip()) == len(_SEP_DIRECTIVE) + 1:
        # Excel's "sep=;" first line names the separator and is not the header.
        separator, skip = first.strip()[-1], 1
    header, count = None, 0
    with source() as stream:
        # Strict: an unclosed quote would otherwise swallow every later row into one cell, silently.
        reader = csv.reader(stream, delimiter=separator, strict=True)
        try:
            records = _records(reader)
            for _ in range(skip):
                next(records, None)
            header = next(records, None)
            count = sum(1 for _, cells in records if not _blank(cells))
        except csv.Error as exc:
            raise UnreadableFile(f"the CSV cannot be read at line {reader.line_num}: {exc}") from None
    if header is None:
        raise UnreadableFile("the file has no header row")
    header_line, cells = header
    headers = _headers(header_line, cells)
    return Table(headers=headers, rows=CsvRows(source, separator, skip + 1, headers, count))


def _headers(line: int, cells: Sequence[str]) -> tuple[str, ...]:
    headers = tuple(cell.strip() for cell in cells)
    if not any(headers):
        raise UnreadableFile(f"line {line}: the header row is empty")
    if len(headers) > MAX_COLUMNS:
        raise UnreadableFile(
            f"line {line}: the header names {len(headers)} columns; a file Relance reads has at most "
            f"{MAX_COLUMNS}"
        )
    long = next((header for header in headers if len(header) > MAX_HEADER_CHARS), None)
    if long is not None:
        raise UnreadableFile(
            f"line {line}: a column name is {len(long)} characters long (at most {MAX_HEADER_CHARS}): "
            "is the first line really the header?"
        )
    return headers


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    previous_end = 0
    for cells in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if cells:
            yield start, cells


class JsonRows:
    """The items of a JSON list as rows; the list is in memory (JSON has no row to stop at)."""

    def __init__(self, items: list[Any]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[RawRow]:
        for position, item in enumerate(self._items, start=1):
            if not isinstance(item, dict):
                yield RawRow(line=position, cells={NOT_AN_OBJECT: _text(item)})
            else:
                yield RawRow(line=position, cells={str(key): _text(value) for key, value in item.items()})


def read_json(text: str) -> Table:
    """A list of objects, or one object wrapping the list under its kind (`{"invoices": [...]}`).

    Numbers are read as Decimal and kept as their text: a float never touches an amount, and an integer
    of 5,000 digits is a cell to reject, not a crash of the reader.
    """
    try:
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=str)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            f"the JSON is broken at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise UnreadableFile("the JSON nests lists or objects too deeply to be a table") from None
    announced = None
    if isinstance(data, dict):
        wrappers = [key for key in data if key in _WRAPPERS and isinstance(data[key], list)]
        if len(wrappers) != 1:
            found = ", ".join(map(str, list(data)[:20])) or "none"
            raise UnreadableFile(
                'a JSON object must hold exactly one list under "customers", "invoices" or "payments"; '
                f"found keys: {found}"
            )
        announced = _WRAPPERS[wrappers[0]]
        data = data[wrappers[0]]
    if not isinstance(data, list):
        raise UnreadableFile(
            f"the JSON must be a list of objects, or an object holding one; this one is a {_json_type(data)}"
        )
    headers: dict[str, None] = {}
    for item in data:
        if isinstance(item, dict):
            headers.update(dict.fromkeys(map(str, item)))
            if len(headers) > MAX_COLUMNS:
                raise UnreadableFile(
                    f"the JSON items name more than {MAX_COLUMNS} different fields; a file Relance reads "
                    "names a few dozen at most"
                )
    return Table(headers=tuple(headers), rows=JsonRows(data), announced=announced)


def _json_type(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, Decimal):
        return "number"
    if value is None:
        return "null"
    return "true/false" if isinstance(value, bool) else type(value).__name__


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
