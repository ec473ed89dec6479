"""Numbers and dates as the customer reads them, through Babel's locale data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

# The languages the templates are written in, and the locale each formats numbers and dates with.
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def locale_for(language: str) -> str:
    try:
        return LOCALES[language]
    except KeyError:
        raise ValueError(f"no templates for language {language!r}; supported: {', '.join(LOCALES)}") from None


def money(amount: Decimal, currency: str, language: str) -> str:
    """`1 234,56 €` in French, `€1,234.56` in English."""
    return format_currency(amount, currency, locale=locale_for(language))


def long_date(day: date, language: str) -> str:
    """`22 novembre 2026`, `22 November 2026`."""
    return format_date(day, format="long", locale=locale_for(language))


def short_date(day: date, language: str) -> str:
    return format_date(day, format="short" if language != "fr" else "dd/MM/yyyy", locale=locale_for(language))


def percent(rate: Decimal, language: str) -> str:
    """A rate given in percent (12.15) as `12,15 %` or `12.15%`."""
    number = format_decimal(rate, format="#,##0.00", locale=locale_for(language))
    return f"{number}\u00a0%" if language == "fr" else f"{number}%"
