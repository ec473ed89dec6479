"""Numbers and dates as the customer reads them, through Babel's locale data.

Babel is imported on the first amount or date formatted, and each language's CLDR data loaded once, when
that language is first asked for: a handler that formats nothing (the planner, ingest) never pays for it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale
    from babel.dates import DateTimePattern
    from babel.numbers import NumberPattern

# The languages the templates are written in, and the locale each formats numbers and dates with.
# The layer keeps Babel's data for the languages of templates/ only (layers/relance/Makefile, layer-trim).
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def locale_for(language: str) -> str:
    try:
        return LOCALES[language]
    except KeyError:
        raise ValueError(f"no templates for language {language!r}; supported: {', '.join(LOCALES)}") from None


# Babel parses the locale and the pattern on every call; a document formats dozens of amounts and dates,
# so the parsed objects are kept (what format_currency and format_date do, minus the parsing).
@cache
def _locale(language: str) -> Locale:
    from babel import Locale

    return Locale.parse(locale_for(language))


@cache
def _currency_pattern(language: str) -> NumberPattern:
    return _locale(language).currency_formats["standard"]


@cache
def _date_pattern(language: str, style: str) -> DateTimePattern:
    from babel.dates import parse_pattern

    locale = _locale(language)
    pattern = "dd/MM/yyyy" if (language, style) == ("fr", "short") else locale.date_formats[style].pattern
    return parse_pattern(pattern)


@cache
def _percent_pattern() -> NumberPattern:
    from babel.numbers import parse_pattern

    return parse_pattern("#,##0.00")


def money(amount: Decimal, currency: str, language: str) -> str:
    """`1 234,56 €` in French, `€1,234.56` in English (Babel's format_currency, same output)."""
    return _currency_pattern(language).apply(
        amount, _locale(language), currency=currency, currency_digits=True
    )


def long_date(day: date, language: str) -> str:
    """`22 novembre 2026`, `22 November 2026`."""
    return _date_pattern(language, "long").apply(day, _locale(language))


def short_date(day: date, language: str) -> str:
    """`22/11/2026` in both languages (en_GB's short format has a two-digit year)."""
    return _date_pattern(language, "short").apply(day, _locale(language))


def percent(rate: Decimal, language: str) -> str:
    """A rate given in percent (12.15) as `12,15 %` or `12.15%`."""
    number = _percent_pattern().apply(rate, _locale(language))
    return f"{number}\u00a0%" if language == "fr" else f"{number}%"
