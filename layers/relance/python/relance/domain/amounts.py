"""Money amounts as Decimal, rounded to the currency's minor unit."""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from importlib import resources

import yaml

_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
# Spaces, narrow no-break spaces and apostrophes are thousands separators in French and Swiss exports.
_GROUPING = re.compile(r"[\s\u00a0\u202f']")

ZERO = Decimal("0")


class AmountError(ValueError):
    """An amount or a currency code that cannot be read."""


@functools.cache
def _decimals() -> dict[str, int]:
    """ISO 4217 codes in use and their decimals, from relance/data/currencies.yaml (generated from Babel)."""
    text = (resources.files("relance") / "data" / "currencies.yaml").read_text(encoding="utf-8")
    table = yaml.safe_load(text)["decimals"]
    return {str(code): int(places) for code, places in table.items()}


def minor_unit(currency: str) -> int:
    """Decimals of `currency` (0 for JPY, XPF, XOF, XAF; 3 for BHD, KWD, TND); an unknown code is refused."""
    try:
        return _decimals()[currency]
    except KeyError:
        raise AmountError(f"currency {currency!r} is not an ISO 4217 code in use") from None


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit, the rounding French and EU law texts use."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def check_currency(code: str) -> str:
    """The code in capitals when it is an ISO 4217 currency in use; three letters alone ("EUE") are not."""
    code = code.strip().upper()
    if not _CURRENCY_CODE.match(code):
        raise AmountError(f"currency {code!r} is not an ISO 4217 code")
    if code not in _decimals():
        raise AmountError(f"currency {code!r} is not an ISO 4217 code in use")
    return code


def parse_amount(text: str | int | Decimal) -> Decimal:
    """Read `1 234,56`, `1234.56`, `1.234,56` or `1,234.56` exactly; a float never gets here."""
    if isinstance(text, Decimal):
        return text
    if isinstance(text, int) and not isinstance(text, bool):
        return Decimal(text)
    if not isinstance(text, str):
        raise AmountError(f"amount {text!r} must be text or an integer, not {type(text).__name__}")
    raw = _GROUPING.sub("", text.strip()).replace("€", "").replace("EUR", "")
    if not raw:
        raise AmountError("amount is empty")
    if "," in raw and "." in raw:
        # The rightmost separator is the decimal one; the other groups thousands.
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif "," in raw:
        if raw.count(",") > 1:
            raise AmountError(f"amount {text!r} has several decimal commas")
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise AmountError(f"amount {text!r} is not a number") from exc
    if not value.is_finite():
        raise AmountError(f"amount {text!r} is not a finite number")
    return value
