"""Currencies: ISO 4217 codes in use, each with its own decimals, read from a file Babel's data generated."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

import pytest

from relance.domain.amounts import AmountError, check_currency, minor_unit, round_money
from tests.unit.money.currency_table import active_currencies, render


def test_the_shipped_table_is_what_babel_gives_today():
    shipped = (resources.files("relance") / "data" / "currencies.yaml").read_text(encoding="utf-8")

    assert shipped == render(), "regenerate it: python -m tests.unit.money.currency_table"


@pytest.mark.parametrize(
    ("currency", "places"),
    [("XPF", 0), ("XOF", 0), ("XAF", 0), ("JPY", 0), ("BHD", 3), ("KWD", 3), ("TND", 3), ("EUR", 2)],
)
def test_each_currency_has_its_own_number_of_decimals(currency: str, places: int):
    assert minor_unit(currency) == places
    assert minor_unit(currency) == active_currencies()[currency]


def test_a_pacific_franc_amount_is_rounded_to_the_whole_franc():
    assert round_money(Decimal("1234.50"), "XPF") == Decimal("1235")
    assert round_money(Decimal("12.3455"), "KWD") == Decimal("12.346")


@pytest.mark.parametrize("code", ["EUE", "XXX", "FRF", "EURO", "€", ""])
def test_three_letters_are_not_enough_to_be_a_currency(code: str):
    with pytest.raises(AmountError, match="is not an ISO 4217 code"):
        check_currency(code)


def test_a_code_is_read_in_any_case_and_spacing():
    assert check_currency(" gbp ") == "GBP"


def test_rounding_in_an_unknown_currency_is_refused_rather_than_guessed():
    with pytest.raises(AmountError, match="'EUE' is not an ISO 4217 code in use"):
        round_money(Decimal("1.00"), "EUE")
