"""Builds relance/data/currencies.yaml from Babel's CLDR data (the domain may not import Babel).

Regenerate after a Babel upgrade with:
    .venv/bin/python -m tests.unit.money.currency_table > layers/relance/python/relance/data/currencies.yaml
test_currencies.py fails while the shipped file and Babel disagree.
"""

from __future__ import annotations

from babel.core import get_cldr_version, get_global
from babel.numbers import get_currency_precision

_TARGET = "layers/relance/python/relance/data/currencies.yaml"


def active_currencies() -> dict[str, int]:
    """Codes legal tender somewhere today (no end date in CLDR), with the decimals Babel displays."""
    codes = {
        code
        for rows in get_global("territory_currencies").values()
        for code, _start, end, tender in rows
        if end is None and tender
    }
    return {code: get_currency_precision(code) for code in sorted(codes)}


def render() -> str:
    table = active_currencies()
    lines = [
        "# ISO 4217 currencies in use today, with the number of decimals an amount in each may carry.",
        f"# Generated from Babel's CLDR data (CLDR {get_cldr_version()}), from the repository root, with",
        f"#   .venv/bin/python -m tests.unit.money.currency_table > {_TARGET}",
        "# tests/unit/money/test_currencies.py fails when this file and Babel disagree.",
        "# Decimals are CLDR's, the ones Babel prints amounts with, so a rounded amount is the amount shown;",
        "# CLDR gives 0 to a few currencies whose ISO minor unit exists on paper only (IQD, LAK, RSD ...).",
        "# Withdrawn currencies (FRF, DEM, HRK ...) are absent on purpose: an invoice in one is a typo.",
        "decimals:",
    ]
    lines += [f"  {code}: {places}" for code, places in table.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
