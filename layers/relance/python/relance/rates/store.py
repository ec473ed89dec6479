"""Where the stack keeps the rate rows it fetched or a person verified: a port and two small adapters.

The packaged tables are the code's; stored rows add what came after the release (next half-year's
rates) and a person's verification. `RateBook.with_stored` merges them, the more trusted row winning.
The stack's adapter (S3 object or DynamoDB item) implements the same two methods.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from relance.domain.money import HalfYear, PublishedRate, RateStatus, RateTable

FORMAT = "relance-rates/1"


class RateStoreError(ValueError):
    """A stored document that cannot be read back: the message names the row and the field."""


class RateStore(Protocol):
    """The stored rows, read and written whole (a few rows a half-year, never worth a query)."""

    def load(self) -> list[PublishedRate]: ...

    def save(self, rows: Sequence[PublishedRate]) -> None: ...


class InMemoryRateStore:
    def __init__(self, rows: Sequence[PublishedRate] = ()) -> None:
        self.rows = list(rows)

    def load(self) -> list[PublishedRate]:
        return list(self.rows)

    def save(self, rows: Sequence[PublishedRate]) -> None:
        self.rows = list(rows)


class JsonFileRateStore:
    """The rows as one JSON document in a file: the CLI's store when no stack is at hand."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[PublishedRate]:
        if not self.path.exists():
            return []
        return rows_from_document(self.path.read_text(encoding="utf-8"), str(self.path))

    def save(self, rows: Sequence[PublishedRate]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(rows_to_document(rows), encoding="utf-8")
        temporary.replace(self.path)


def rows_to_document(rows: Sequence[PublishedRate]) -> str:
    """JSON text with every rate an exact decimal string; what an S3 or DynamoDB adapter stores too."""
    ordered = sorted(rows, key=lambda row: (row.table.name, row.period))
    return json.dumps(
        {
            "format": FORMAT,
            "rows": [
                {
                    "table": row.table.name,
                    "half": str(row.period),
                    "percent": f"{row.percent:f}",
                    "status": str(row.status),
                    "source": row.source,
                    "recorded_at": row.recorded_at.isoformat() if row.recorded_at else None,
                }
                for row in ordered
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def rows_from_document(text: str, label: str) -> list[PublishedRate]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise RateStoreError(f"{label} is not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RateStoreError(f"{label} is not a {FORMAT} document")
    return [_row(raw, f"{label}, row {index}") for index, raw in enumerate(document.get("rows", []), start=1)]


def _row(raw: Any, where: str) -> PublishedRate:
    try:
        recorded = raw.get("recorded_at")
        return PublishedRate(
            table=RateTable[raw["table"]],
            period=HalfYear.parse(raw["half"]),
            percent=Decimal(raw["percent"]),
            source=str(raw["source"]),
            status=RateStatus(raw["status"]),
            file="rate store",
            recorded_at=datetime.fromisoformat(recorded) if recorded else None,
        )
    except (KeyError, ValueError, TypeError, AttributeError, ArithmeticError) as exc:
        raise RateStoreError(f"{where}: {exc!r}") from exc
