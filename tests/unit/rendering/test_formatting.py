"""Numbers and dates as the customer reads them: the cached Babel patterns give Babel's own output."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from relance.rendering import formatting


@given(
    amount=st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2),
    currency=st.sampled_from(["EUR", "GBP", "USD", "JPY", "CHF"]),
    language=st.sampled_from(sorted(formatting.LOCALES)),
)
def test_money_is_babels_format_currency(amount: Decimal, currency: str, language: str):
    assert formatting.money(amount, currency, language) == format_currency(
        amount, currency, locale=formatting.LOCALES[language]
    )


@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    language=st.sampled_from(["fr", "en"]),
)
def test_dates_are_babels_long_format_and_a_four_digit_short_one(day: date, language: str):
    assert formatting.long_date(day, language) == format_date(
        day, format="long", locale=formatting.LOCALES[language]
    )
    assert formatting.short_date(day, language) == day.strftime("%d/%m/%Y")


def test_the_french_format_of_the_issue():
    assert formatting.money(Decimal("1234.56"), "EUR", "fr") == "1\u202f234,56\u00a0€"
    assert formatting.long_date(date(2026, 11, 22), "fr") == "22 novembre 2026"
    assert formatting.percent(Decimal("12.15"), "fr") == "12,15\u00a0%"


def test_a_language_without_templates_is_refused():
    with pytest.raises(ValueError, match="no templates for language 'de'"):
        formatting.money(Decimal(1), "EUR", "de")
