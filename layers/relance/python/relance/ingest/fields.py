"""One cell at a time: dates, money, codes and addresses read the way French and English exports write them.

Each reader takes the field's name and the cell's text and returns a typed value, or raises FieldError
with a message that names the field, quotes the value and says what would be accepted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from datetime import date
from decimal import Decimal
from email.utils import parseaddr

from relance.domain.amounts import AmountError, check_currency, minor_unit, parse_amount, quantum
from relance.domain.models import CustomerKind, InvoiceStatus
from relance.ingest.errors import FieldError
from relance.rendering.mime import valid_address

# Day first, as every French export writes it; the separator may be /, - or . (never a 2-digit year:
# "15/03/26" could be read as 1926 or 2026, and a wrong due date would dun the wrong day).
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Line breaks and other control characters could add a header to an email built from the value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
_LIST_SEPARATORS = re.compile(r"[;,\n]")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

_LANGUAGES = {
    "fr": "fr",
    "fra": "fr",
    "fre": "fr",
    "francais": "fr",
    "french": "fr",
    "en": "en",
    "eng": "en",
    "anglais": "en",
    "english": "en",
}
_KINDS = {
    "business": CustomerKind.BUSINESS,
    "b2b": CustomerKind.BUSINESS,
    "professionnel": CustomerKind.BUSINESS,
    "professionnelle": CustomerKind.BUSINESS,
    "pro": CustomerKind.BUSINESS,
    "entreprise": CustomerKind.BUSINESS,
    "societe": CustomerKind.BUSINESS,
    "company": CustomerKind.BUSINESS,
    "consumer": CustomerKind.CONSUMER,
    "b2c": CustomerKind.CONSUMER,
    "particulier": CustomerKind.CONSUMER,
    "individual": CustomerKind.CONSUMER,
    "private": CustomerKind.CONSUMER,
    "consommateur": CustomerKind.CONSUMER,
}
_FLAGS = {
    "1": True,
    "true": True,
    "yes": True,
    "y": True,
    "oui": True,
    "o": True,
    "vrai": True,
    "x": True,
    "0": False,
    "false": False,
    "no": False,
    "n": False,
    "non": False,
    "faux": False,
}
# A file may open a dispute or cancel an invoice; "paid" comes from payments, the other statuses from people.
_STATUSES = {
    "open": InvoiceStatus.OPEN,
    "ouverte": InvoiceStatus.OPEN,
    "ouvert": InvoiceStatus.OPEN,
    "en_cours": InvoiceStatus.OPEN,
    "a_payer": InvoiceStatus.OPEN,
    "impayee": InvoiceStatus.OPEN,
    "cancelled": InvoiceStatus.CANCELLED,
    "canceled": InvoiceStatus.CANCELLED,
    "annulee": InvoiceStatus.CANCELLED,
    "annule": InvoiceStatus.CANCELLED,
    "disputed": InvoiceStatus.DISPUTED,
    "dispute": InvoiceStatus.DISPUTED,
    "litige": InvoiceStatus.DISPUTED,
    "en_litige": InvoiceStatus.DISPUTED,
    "contestee": InvoiceStatus.DISPUTED,
}
_COUNTRIES = {
    "france": "FR",
    "belgique": "BE",
    "belgium": "BE",
    "suisse": "CH",
    "switzerland": "CH",
    "luxembourg": "LU",
    "allemagne": "DE",
    "germany": "DE",
    "espagne": "ES",
    "spain": "ES",
    "italie": "IT",
    "italy": "IT",
    "pays_bas": "NL",
    "netherlands": "NL",
    "royaume_uni": "GB",
    "united_kingdom": "GB",
    "uk": "GB",
}
_CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}


def fold(text: str) -> str:
    """Lower case, no accents, words joined by `_`: "Date d'échéance" and "date_d_echeance" are one."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def parse_date(field: str, text: str) -> date:
    raw = text.strip()
    match = _ISO.match(raw) or _COMPACT.match(raw)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _DAY_FIRST.match(raw)
        if not match:
            raise FieldError(f"{field} {text!r} is not a date: write 2026-03-15 or 15/03/2026 (day first)")
        day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise FieldError(f"{field} {text!r} is not a date of the calendar ({exc})") from None


def parse_currency(field: str, text: str, default: str = "EUR") -> str:
    raw = text.strip()
    if not raw:
        return default
    try:
        return check_currency(_CURRENCY_SYMBOLS.get(raw, raw))
    except AmountError:
        raise FieldError(f"{field} {text!r} is not an ISO 4217 currency code such as EUR or GBP") from None


def parse_money(field: str, text: str, currency: str, *, allow_zero: bool = False) -> Decimal:
    """An exact amount, positive (or zero when allowed), with no more decimals than the currency has."""
    try:
        value = parse_amount(text)
    except AmountError as exc:
        raise FieldError(f"{field}: {exc}") from None
    if value < 0:
        raise FieldError(f"{field} {text!r} is negative; amounts must be positive")
    if value == 0 and not allow_zero:
        raise FieldError(f"{field} {text!r} is zero")
    step = quantum(currency)
    if value != value.quantize(step):
        places = minor_unit(currency)
        raise FieldError(
            f"{field} {text!r} has more decimals than {currency} allows ({places}); "
            "if the dot groups thousands, write 1 234,56 or 1234.56"
        )
    return value.quantize(step)


def parse_rate(field: str, text: str) -> Decimal:
    """A yearly rate in percent: `12,5`, `12.5 %`, `12,5%`; more than 0 and below 100."""
    raw = text.strip().rstrip("%").strip()
    try:
        value = parse_amount(raw)
    except AmountError:
        raise FieldError(f"{field} {text!r} is not a rate: write it in percent a year, e.g. 12,5") from None
    if not 0 < value < 100:
        raise FieldError(f"{field} {text!r} must be a yearly rate in percent, above 0 and below 100")
    return value


def parse_text(field: str, text: str) -> str:
    """Free text (a name, a reference): anything printable, on one line."""
    if _CONTROL.search(text.strip()):
        raise FieldError(f"{field} {text!r} contains a line break or a control character")
    return " ".join(text.split())


def parse_email(field: str, text: str) -> str:
    """One address, bare or as `Name <address>`; only the address is kept."""
    if _CONTROL.search(text.strip()):
        raise FieldError(f"{field} {text!r} contains a line break or a control character")
    raw = text.strip()
    if raw.count("@") > 1:
        raise FieldError(f"{field} {text!r} holds several addresses; give one (others go in cc)")
    address = parseaddr(raw)[1] if "<" in raw else raw
    if not valid_address(address):
        raise FieldError(f"{field} {text!r} is not a valid email address")
    return address


def parse_email_list(field: str, text: str) -> tuple[str, ...]:
    """Addresses separated by `;`, `,` or line breaks (the list itself may span lines)."""
    addresses = [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]
    return tuple(parse_email(field, address) for address in addresses)


def parse_language(field: str, text: str) -> str:
    raw = fold(text)
    if not raw:
        return "fr"
    # en-GB, fr_CA, FR: the region does not change the templates used.
    language = _LANGUAGES.get(raw) or _LANGUAGES.get(raw.split("_")[0])
    if language is None:
        raise FieldError(f"{field} {text!r} is not supported: use fr or en")
    return language


def parse_customer_kind(field: str, text: str) -> CustomerKind:
    raw = fold(text)
    if not raw:
        return CustomerKind.BUSINESS
    if raw not in _KINDS:
        raise FieldError(
            f"{field} {text!r} is neither business (B2B, professionnel) nor consumer (B2C, particulier)"
        )
    return _KINDS[raw]


def parse_flag(field: str, text: str) -> bool:
    raw = fold(text)
    if not raw:
        return False
    if raw not in _FLAGS:
        raise FieldError(f"{field} {text!r} is not yes/no (oui/non, true/false, 1/0)")
    return _FLAGS[raw]


def parse_status(field: str, text: str) -> InvoiceStatus | None:
    raw = fold(text)
    if not raw:
        return None
    if raw not in _STATUSES:
        raise FieldError(
            f"{field} {text!r} is not one a file may set: open, cancelled or disputed "
            "(paid comes from payments files)"
        )
    return _STATUSES[raw]


def parse_country(field: str, text: str) -> str:
    raw = text.strip()
    if not raw:
        return "FR"
    code = _COUNTRIES.get(fold(raw), raw.upper())
    if not _COUNTRY.match(code):
        raise FieldError(f"{field} {text!r} is not a 2-letter ISO country code such as FR or BE")
    return code


def parse_siren(field: str, text: str) -> str | None:
    """A SIREN (9 digits); a SIRET (14) is reduced to its SIREN, the company it belongs to."""
    digits = re.sub(r"[\s\u00a0.\-]", "", text)
    if not digits:
        return None
    if not digits.isdigit() or len(digits) not in (9, 14):
        raise FieldError(f"{field} {text!r} is not a SIREN (9 digits) or a SIRET (14 digits)")
    return digits[:9]


def parse_policy(field: str, text: str, known: Collection[str]) -> str | None:
    raw = text.strip()
    if not raw:
        return None
    if raw not in known:
        raise FieldError(f"{field} {text!r} is not a known policy; known: {', '.join(sorted(known))}")
    return raw


def parse_link(field: str, text: str) -> str | None:
    raw = text.strip()
    if not raw:
        return None
    if _CONTROL.search(raw) or " " in raw or not re.match(r"^https?://[^/\s]+", raw):
        raise FieldError(f"{field} {text!r} is not an http(s) link")
    return raw


def address_lines(field: str, text: str) -> tuple[str, ...]:
    """A multi-line address cell becomes its lines; a line break is how a cell holds several lines."""
    lines = []
    for line in re.split(r"\r\n|\r|\n|\|", text):
        if line.strip():
            lines.append(parse_text(field, line))
    return tuple(lines)
