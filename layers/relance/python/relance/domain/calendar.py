"""The creditor's working days, local date and sending window."""

from __future__ import annotations

import functools
import importlib.util
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from holidays import HolidayBase


class CalendarError(ValueError):
    """A calendar that cannot be built, or a naive datetime where the local date matters."""


@dataclass(frozen=True)
class SendingWindow:
    opens: time = time(8, 0)
    closes: time = time(19, 0)

    def __contains__(self, moment: time) -> bool:
        return self.opens <= moment < self.closes


@cache
def _public_holidays(country: str, subdivision: str | None) -> HolidayBase:
    """One country's holidays, shared by every calendar of the process (years are computed on first
    lookup and kept, so a warm Lambda never computes them again).

    Raises NotImplementedError for a country or subdivision the holidays package does not know.
    """
    import holidays

    rules = _country_rules_alone(country)
    if rules is None:
        return holidays.country_holidays(country, subdiv=subdivision)
    return rules(subdiv=subdivision)


def _country_rules_alone(country: str) -> type[HolidayBase] | None:
    """The class of `country` (an ISO code or a class name, as holidays.country_holidays accepts), its
    module loaded without the other countries'; None when that cannot be done, or need not be.

    holidays.country_holidays imports holidays.countries, whose __init__ imports the rules of all ~250
    countries (40 ms on a cold start, for one). The country's module is loaded here from its file, under a
    name of our own, so holidays.countries stays as the package builds it if something imports it later.
    A country defined from another (Guadeloupe from France) imports holidays.countries itself: slower,
    still right.
    """
    import holidays
    from holidays.registry import COUNTRIES

    if "holidays.countries" in sys.modules:
        return None
    for module_name, (class_name, *codes) in COUNTRIES.items():
        if country not in (class_name, *codes):
            continue
        path = Path(holidays.__file__).parent / "countries" / f"{module_name}.py"
        spec = importlib.util.spec_from_file_location(f"{__name__}.holidays_{module_name}", path)
        if spec is None or spec.loader is None or not path.is_file():
            return None  # not the package's layout any more: its own way, all countries
        module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rules: type[HolidayBase] = getattr(module, class_name)
        return rules
    return None


class BusinessCalendar:
    """Weekends and public holidays of the creditor's country are closed: nothing is sent on them."""

    def __init__(
        self,
        country: str = "FR",
        timezone: str = "Europe/Paris",
        subdivision: str | None = None,
        window: SendingWindow | None = None,
        region: str | None = None,
    ) -> None:
        try:
            self._holidays = _public_holidays(country, subdivision)
        except NotImplementedError as exc:
            raise CalendarError(f"no public-holiday calendar for country {country!r}") from exc
        # Days the creditor's local law adds to the national holidays, by year; None when it adds none.
        self._local_days = alsace_moselle_days if is_alsace_moselle(country, region) else None
        try:
            self.timezone = ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:
            raise CalendarError(f"unknown timezone {timezone!r}") from exc
        self.country = country
        self.window = window or SendingWindow()

    def is_open(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays and self._local_holiday(day) is None

    def closed_reason(self, day: date) -> str | None:
        if day.weekday() >= 5:
            return "weekend"
        name = self._holidays.get(day) or self._local_holiday(day)
        return f"public holiday ({name})" if name else None

    def _local_holiday(self, day: date) -> str | None:
        return self._local_days(day.year).get(day) if self._local_days else None

    def next_open(self, day: date) -> date:
        """The first open day on or after `day`."""
        while not self.is_open(day):
            day += timedelta(days=1)
        return day

    def local_now(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise CalendarError("a naive datetime has no place in the creditor's calendar; pass an aware one")
        return moment.astimezone(self.timezone)

    def local_date(self, moment: datetime) -> date:
        return self.local_now(moment).date()

    def within_window(self, moment: datetime) -> bool:
        return self.local_now(moment).time() in self.window

    def at_opening(self, day: date) -> datetime:
        """The moment the window opens on `day`, in the creditor's timezone: the demo's simulated clock."""
        return datetime.combine(day, self.window.opens, tzinfo=self.timezone)


# Local law of Alsace-Moselle (Code du travail, art. L3134-13): Good Friday and 26 December are public
# holidays in the Moselle, Bas-Rhin and Haut-Rhin, on top of the national ones.
_ALSACE_MOSELLE = frozenset({"alsace-moselle", "fr-57", "fr-67", "fr-68", "57", "67", "68"})


def is_alsace_moselle(country: str, region: str | None) -> bool:
    """Whether the creditor's REGION setting (alsace-moselle, FR-57, FR-67 or FR-68) names that local law."""
    return country == "FR" and region is not None and region.strip().lower() in _ALSACE_MOSELLE


@functools.cache
def alsace_moselle_days(year: int) -> dict[date, str]:
    """The two days Alsace-Moselle adds to the national French holidays in `year`."""
    return {easter_sunday(year) - timedelta(days=2): "Vendredi saint", date(year, 12, 26): "Saint-Étienne"}


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous algorithm in Meeus, Astronomical Algorithms, ch. 8)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)
