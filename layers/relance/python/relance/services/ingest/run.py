"""One file's ingest in progress: the context, the report, the raw rows for rejections, the day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from relance.ingest.report import IngestReport
from relance.ingest.rows import Rejection
from relance.ports import Context

__all__ = ["IngestReport", "IngestRun"]


@dataclass
class IngestRun:
    ctx: Context
    key: str
    report: IngestReport
    raw: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    today: date = field(init=False)
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.ctx.clock().astimezone(UTC)
        self.today = self.ctx.calendar.local_date(self.now)

    def absorb(self, rejected: Sequence[Rejection], warnings: Sequence[Any]) -> None:
        for rejection in rejected:
            self.report.reject(rejection)
        self.report.warnings.extend(warnings)

    def reject(self, line: int, reason: str, values: Mapping[str, str] | None = None) -> None:
        """A row refused while storing; `values` is the row as written (cut), as the readers keep it."""
        self.report.reject(
            Rejection(line, reason, dict(values if values is not None else self.raw.get(line, {})))
        )

    def warn(self, line: int | None, message: str) -> None:
        self.report.warn(line, message)
