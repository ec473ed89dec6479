"""Half-years (1 Jan-30 Jun, 1 Jul-31 Dec), the periods late-payment rates are set for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_LABEL = re.compile(r"^(\d{4})-H([12])$")


@dataclass(frozen=True, order=True)
class HalfYear:
    year: int
    half: int

    def __post_init__(self) -> None:
        if self.half not in (1, 2):
            raise ValueError(f"half must be 1 or 2, not {self.half}")

    @classmethod
    def of(cls, day: date) -> HalfYear:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def parse(cls, label: str) -> HalfYear:
        match = _LABEL.match(label.strip())
        if not match:
            raise ValueError(f"half-year {label!r} is not written like 2025-H2")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    def next(self) -> HalfYear:
        return HalfYear(self.year, 2) if self.half == 1 else HalfYear(self.year + 1, 1)

    def __str__(self) -> str:
        return f"{self.year}-H{self.half}"


def half_year_starts_within(first: date, last: date) -> list[date]:
    """1 January and 1 July strictly after `first` and up to `last`: where a half-year rate changes."""
    starts = []
    current = HalfYear.of(first).next()
    while current.start <= last:
        starts.append(current.start)
        current = current.next()
    return starts
