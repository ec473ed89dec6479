"""Alsace-Moselle's local law closes two more days: Good Friday and 26 December (Code du travail L3134-13)."""

from __future__ import annotations

from datetime import date

import pytest

from relance.domain.calendar import BusinessCalendar, easter_sunday

GOOD_FRIDAY_2026 = date(2026, 4, 3)
SAINT_STEPHEN_2025 = date(2025, 12, 26)  # a Friday


@pytest.mark.parametrize("region", ["alsace-moselle", "FR-57", "FR-67", "fr-68"])
def test_a_creditor_in_alsace_moselle_sends_nothing_on_good_friday_or_26_december(region: str):
    calendar = BusinessCalendar("FR", "Europe/Paris", region=region)

    assert not calendar.is_open(GOOD_FRIDAY_2026)
    assert calendar.closed_reason(GOOD_FRIDAY_2026) == "public holiday (Vendredi saint)"
    assert not calendar.is_open(SAINT_STEPHEN_2025)
    assert calendar.next_open(GOOD_FRIDAY_2026) == date(2026, 4, 7)  # then the weekend and Easter Monday


def test_elsewhere_in_france_both_days_are_working_days():
    calendar = BusinessCalendar("FR", "Europe/Paris")

    assert calendar.is_open(GOOD_FRIDAY_2026)
    assert calendar.is_open(SAINT_STEPHEN_2025)


def test_the_region_setting_means_nothing_outside_france():
    # Good Friday is a holiday in Germany anyway; the Thursday before is not, with or without the setting.
    assert BusinessCalendar("DE", "Europe/Berlin", region="alsace-moselle").is_open(date(2026, 4, 2))
    assert BusinessCalendar("GB", "Europe/London", region="FR-67").is_open(date(2026, 4, 2))


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_is_computed_without_the_holidays_package(year: int, easter: date):
    assert easter_sunday(year) == easter
