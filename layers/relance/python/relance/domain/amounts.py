"""Money amounts as Decimal, rounded to the currency's minor unit."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units for the currencies a European SME invoices in; others default to 2.
_MINOR_UNITS: dict[str, int] = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "BHD": 3, "KWD": 3, "TND": 3}
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
# Spaces, narrow no-break spaces and apostrophes are thousands separators in French and Swiss exports.
_GROUPING = re.compile(r"[\s\u00a0\u202f']")

ZERO = Decimal("0")


class AmountError(ValueError):
    """An amount or a currency code that cannot be read."""


def minor_unit(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit, the rounding French and EU law texts use."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def check_currency(code: str) -> str:
    code = code.strip().upper()
    if not _CURRENCY_CODE.match(code):
        raise AmountError(f"currency {code!r} is not an ISO 4217 code")
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
