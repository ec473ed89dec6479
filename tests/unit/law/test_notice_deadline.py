"""The formal notice's deadline runs from its receipt, not from the letter's date."""

from __future__ import annotations

from datetime import date

import pytest

from relance.domain.calendar import BusinessCalendar
from relance.domain.collection import earliest_suspension

LETTER = date(2026, 11, 2)  # a Monday


def test_with_a_recorded_receipt_the_eight_days_run_from_it():
    # Received Thursday 5 November: the debtor has until Friday 13 November inclusive.
    assert earliest_suspension(LETTER, 8, received_on=date(2026, 11, 5)) == date(2026, 11, 14)


def test_without_a_receipt_the_letter_is_assumed_to_arrive_after_the_postal_delay():
    assert earliest_suspension(LETTER, 8, postal_delay_days=3) == date(2026, 11, 14)
    assert earliest_suspension(LETTER, 8, postal_delay_days=5) == date(2026, 11, 16)


def test_a_deadline_ending_on_a_closed_day_runs_to_the_next_open_one():
    # Received 3 Nov: the eighth day is Wednesday 11 November, Armistice Day; it runs to Thursday 12.
    paris = BusinessCalendar("FR", "Europe/Paris")

    assert earliest_suspension(LETTER, 8, received_on=date(2026, 11, 3)) == date(2026, 11, 12)
    assert earliest_suspension(LETTER, 8, received_on=date(2026, 11, 3), calendar=paris) == date(2026, 11, 13)


def test_the_earliest_day_is_never_before_letter_date_plus_the_deadline():
    for delay in range(1, 6):
        assert (earliest_suspension(LETTER, 8, postal_delay_days=delay) - LETTER).days > 8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"received_on": date(2026, 11, 1)}, "before the letter"),
        ({"deadline_days": 0}, "gives the debtor no time"),
    ],
)
def test_impossible_dates_are_refused(kwargs: dict, message: str):
    arguments = {"deadline_days": 8, **kwargs}
    with pytest.raises(ValueError, match=message):
        earliest_suspension(LETTER, **arguments)
