"""The creditor's working days, local date and sending window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays


class CalendarError(ValueError):
    """A calendar that cannot be built, or a naive datetime where the local date matters."""


@dataclass(frozen=True)
class SendingWindow:
    opens: time = time(8, 0)
    closes: time = time(19, 0)

    def __contains__(self, moment: time) -> bool:
        return self.opens <= moment < self.closes


class BusinessCalendar:
    """Weekends and public holidays of the creditor's country are closed: nothing is sent on them."""

    def __init__(
        self,
        country: str = "FR",
        timezone: str = "Europe/Paris",
        subdivision: str | None = None,
        window: SendingWindow | None = None,
    ) -> None:
        try:
            self._holidays = holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError as exc:
            raise CalendarError(f"no public-holiday calendar for country {country!r}") from exc
        try:
            self.timezone = ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:
            raise CalendarError(f"unknown timezone {timezone!r}") from exc
        self.country = country
        self.window = window or SendingWindow()

    def is_open(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def closed_reason(self, day: date) -> str | None:
        if day.weekday() >= 5:
            return "weekend"
        name = self._holidays.get(day)
        return f"public holiday ({name})" if name else None

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
