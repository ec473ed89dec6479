"""The ingest report: what a dropped file did to the book, row by row, written next to it in the bucket."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from relance.ingest.rows import Rejection, RowWarning

INCOMING = "incoming/"
REPORTS = "reports/ingest/"
# Text a spreadsheet would run as a formula (OWASP "CSV injection"); a plain signed number is left alone.
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d[\d\s\u00a0\u202f]*(?:[.,]\d+)?$")


def spreadsheet_cell(value: str) -> str:
    """A text value as a CSV written for people must hold it: a formula is quoted so it shows, not runs.

    Files may store `=HYPERLINK(...)` as a name (docs/ingest.md, formula cells); any CSV Relance writes
    passes its text cells through here.
    """
    if _FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def report_key(key: str) -> str:
    """`incoming/invoices/2026-03.csv` → `reports/ingest/invoices/2026-03.csv.json`."""
    return f"{REPORTS}{key.removeprefix(INCOMING)}.json"


@dataclass
class IngestReport:
    """Counts add up: rows = created + updated + unchanged + rejected + applied_payments.

    `error` is set when the file as a whole could not be used; then nothing was stored.
    """

    file: str
    received_at: str
    kind: str = "unknown"
    format: str | None = None
    # How the text was decoded ("UTF-8", "UTF-16LE (no BOM)", "Windows-1252"): Upload.encoding.
    encoding: str | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    applied_payments: int = 0
    warnings: list[RowWarning] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    error: str | None = None
    # A bank statement's entries, each with what became of it (applied, unmatched...), for a person.
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return report_key(self.file)

    def reject(self, rejection: Rejection) -> None:
        self.rejections.append(rejection)
        self.rejected += 1

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(RowWarning(line, message))

    def summary(self) -> dict[str, Any]:
        """The counts without the rows: what the handler returns and the log line carries."""
        counts = {
            name: value for name, value in self.as_dict().items() if name not in ("warnings", "rejections")
        }
        return {**counts, "warnings": len(self.warnings), "report_key": self.key}

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "format": self.format,
            "encoding": self.encoding,
            "received_at": self.received_at,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "applied_payments": self.applied_payments,
            "error": self.error,
            "warnings": [warning.as_dict() for warning in self.warnings],
            "rejections": [
                rejection.as_dict() for rejection in sorted(self.rejections, key=lambda r: r.line)
            ],
            **({"entries": self.entries} if self.entries or self.kind == "bank" else {}),
        }
