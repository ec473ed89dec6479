"""The creditor's public holidays: the holidays package's own, loaded for the creditor's country alone."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from relance.domain.calendar import BusinessCalendar, CalendarError

# (country, subdivision); Guadeloupe last: its rules import France's through holidays.countries, all of it.
CALENDARS = [("FR", None), ("DE", "BY"), ("GB", None), ("US", "CA"), ("FRA", None), ("GP", None)]


def fresh(code: str) -> object:
    output = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def test_a_calendar_loads_its_countrys_rules_alone_and_once():
    code = (
        "import json, sys\n"
        "from datetime import date\n"
        "from relance.domain.calendar import BusinessCalendar\n"
        "before = 'holidays' in sys.modules\n"
        "first, second = BusinessCalendar('FR'), BusinessCalendar('FR', 'Europe/Paris')\n"
        "closed = [first.closed_reason(date(2026, 5, 1)), second.closed_reason(date(2026, 7, 14))]\n"
        "rules = sorted(m for m in sys.modules if m.startswith('holidays.countries') or 'france' in m)\n"
        "print(json.dumps([before, rules, all(closed)]))\n"
    )

    before, rules, closed = fresh(code)

    assert before is False
    assert len(rules) == 1
    assert "holidays.countries" not in rules
    assert closed


def test_the_holidays_are_the_packages_own_for_every_year_and_subdivision():
    """Loaded alone or through holidays.country_holidays, the same closed days for the same reasons."""
    code = (
        "import json\n"
        "from datetime import date, timedelta\n"
        "from relance.domain.calendar import BusinessCalendar\n"
        f"calendars = {CALENDARS!r}\n"
        "ours = [BusinessCalendar(country, subdivision=subdivision) for country, subdivision in calendars]\n"
        "import holidays\n"
        "days = [date(2020, 1, 1) + timedelta(days=n) for n in range(11 * 366)]\n"
        "mismatches, closed = [], 0\n"
        "for (country, subdivision), calendar in zip(calendars, ours):\n"
        "    reference = holidays.country_holidays(country, subdiv=subdivision)\n"
        "    for day in days:\n"
        "        name = reference.get(day)\n"
        "        expected = 'weekend' if day.weekday() >= 5 else name and f'public holiday ({name})'\n"
        "        closed += expected is not None and expected != 'weekend'\n"
        "        if calendar.closed_reason(day) != expected:\n"
        "            mismatches.append([country, day.isoformat()])\n"
        "print(json.dumps([closed, mismatches[:5]]))\n"
    )

    closed, mismatches = fresh(code)

    assert closed > 300
    assert mismatches == []


def test_a_country_without_a_holiday_calendar_is_refused_by_name():
    with pytest.raises(CalendarError, match="no public-holiday calendar for country 'XX'"):
        BusinessCalendar("XX")


def test_an_unknown_subdivision_is_refused():
    with pytest.raises(CalendarError, match="'FR'"):
        BusinessCalendar("FR", subdivision="ZZ")
