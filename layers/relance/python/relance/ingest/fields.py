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
from relance.rendering.mime import ENCODED_WORD, INVISIBLE, valid_address

# What a file may hold, chosen well inside what DynamoDB stores (400 KB an item, 2 KB a partition key,
# 1 KB a sort key, 38 digits a number) so that a row accepted here is a row the store takes.
# Ids: 140 characters is SEPA's remittance information, the longest reference a bank statement carries,
# and at 4 bytes a character still fits a sort key.
MAX_ID_CHARS = 140
# Amounts below a thousand billion: a larger one is a typo or an exponent (1e26), never an invoice.
MAX_AMOUNT = Decimal(10) ** 12
# Invoice and payment dates: a year outside these is a typo (0001, 2206) that would plan reminders for it.
FIRST_YEAR, LAST_YEAR = 1990, 2100
# A spreadsheet opening a cell that starts with one of these runs it as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@")
_SHOWN = 60

# Day first, as every French export writes it; the separator may be /, - or . (never a 2-digit year:
# "15/03/26" could be read as 1926 or 2026, and a wrong due date would dun the wrong day).
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Line breaks and other control characters could add a header to an email built from the value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
_LIST_SEPARATORS = re.compile(r"[;,\n]")
_PHONE_SEPARATORS = re.compile(r"[\s.\-/()\u00a0\u202f]+")
_PHONE = re.compile(r"^\+? ?[0-9][0-9 ]*$")
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


def shown(text: str) -> str:
    """A value quoted in a message, cut so a 10 MB cell does not make a 10 MB report."""
    if len(text) <= _SHOWN:
        return repr(text)
    return f"{text[:_SHOWN]!r}… ({len(text):,} characters)".replace(",", " ")


def cut(text: str, limit: int = 200) -> str:
    """A value shown in a report: whole when short, else its start and its length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)".replace(",", " ")


def character_names(characters: Collection[str]) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`, for a message that must name what cannot be seen."""
    names = dict.fromkeys(f"U+{ord(char):04X} {unicodedata.name(char, '')}".strip() for char in characters)
    return ", ".join(names)


def fold(text: str) -> str:
    """Lower case, no accents, words joined by `_`: "Date d'échéance" and "date_d_echeance" are one."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def parse_date(field: str, text: str) -> date:
    raw = text.strip()
    match = _ISO.match(raw) or _COMPACT.match(raw)
    day_first = False
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _DAY_FIRST.match(raw)
        if not match:
            raise FieldError(
                f"{field} {shown(text)} is not a date: write 2026-03-15 or 15/03/2026 (day first)"
            )
        day, month, year = (int(part) for part in match.groups())
        day_first = True
    try:
        return date(year, month, day)
    except ValueError as exc:
        hint = ""
        if day_first and month > 12 and day <= 12:
            hint = (
                f": dates are read day first, so this is month {month}; {month:02d}/{day:02d}/{year} means it"
            )
        raise FieldError(f"{field} {shown(text)} is not a date of the calendar ({exc}){hint}") from None


def check_year(field: str, value: date, text: str) -> date:
    """A date whose year is a typo is refused here, not by the store or the planner later."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise FieldError(
            f"{field} {shown(text)} is in the year {value.year}, outside {FIRST_YEAR} to {LAST_YEAR}: "
            "check the year"
        )
    return value


def parse_currency(field: str, text: str, default: str = "EUR") -> str:
    raw = text.strip()
    if not raw:
        return default
    try:
        return check_currency(_CURRENCY_SYMBOLS.get(raw, raw))
    except AmountError:
        raise FieldError(
            f"{field} {shown(text)} is not an ISO 4217 currency code such as EUR or GBP"
        ) from None


def parse_money(field: str, text: str, currency: str, *, allow_zero: bool = False) -> Decimal:
    """An exact amount, positive (or zero when allowed), with no more decimals than the currency has."""
    value = parse_bounded_amount(field, text, allow_zero=allow_zero)
    step = quantum(currency)
    if value != value.quantize(step):
        places = minor_unit(currency)
        raise FieldError(
            f"{field} {shown(text)} has more decimals than {currency} allows ({places}); "
            "if the dot groups thousands, write 1 234,56 or 1234.56"
        )
    return value.quantize(step)


def parse_bounded_amount(field: str, text: str, *, allow_zero: bool = False) -> Decimal:
    """Positive (or zero when allowed) and below MAX_AMOUNT; decimals are checked against a currency later."""
    try:
        value = parse_amount(text)
    except AmountError as exc:
        raise FieldError(f"{field}: {exc}") from None
    if value < 0:
        raise FieldError(f"{field} {shown(text)} is negative; amounts must be positive")
    if value == 0 and not allow_zero:
        raise FieldError(f"{field} {shown(text)} is zero")
    if value >= MAX_AMOUNT:
        raise FieldError(
            f"{field} {shown(text)} is too large: amounts must stay below 1 000 000 000 000 "
            "(a typo, or a number written with an exponent?)"
        )
    return value


def parse_rate(field: str, text: str) -> Decimal:
    """A yearly rate in percent: `12,5`, `12.5 %`, `12,5%`; more than 0 and below 100."""
    raw = text.strip().rstrip("%").strip()
    try:
        value = parse_amount(raw)
    except AmountError:
        raise FieldError(
            f"{field} {shown(text)} is not a rate: write it in percent a year, e.g. 12,5"
        ) from None
    if not 0 < value < 100:
        raise FieldError(f"{field} {shown(text)} must be a yearly rate in percent, above 0 and below 100")
    return value


def parse_text(field: str, text: str) -> str:
    """Free text (a name, a reference): anything printable, on one line, in composed (NFC) form."""
    if _CONTROL.search(text.strip()):
        raise FieldError(f"{field} {shown(text)} contains a line break or a control character")
    return " ".join(unicodedata.normalize("NFC", text).split())


def parse_id(field: str, text: str) -> str:
    """A key (customer, invoice, payment reference): visible characters only, spaces normalized.

    `C 1`, `C\u00a01` and `C  1` are one id: the key is compared, stored and looked up in this form.
    """
    value = parse_text(field, text)
    hidden = INVISIBLE.findall(value)
    if hidden:
        raise FieldError(
            f"{field} {shown(text)} holds an invisible character ({character_names(hidden)}): retype it"
        )
    if len(value) > MAX_ID_CHARS:
        raise FieldError(
            f"{field} {shown(text)} is {len(value)} characters long; an id has at most {MAX_ID_CHARS}"
        )
    return value


def parse_name(field: str, text: str) -> str:
    """A name that may reach an email header: text, without an RFC 2047 encoded word in it."""
    value = parse_text(field, text)
    if ENCODED_WORD.search(value):
        raise FieldError(
            f"{field} {shown(text)} holds an email encoded word (=?charset?Q?...?=), which mail programs "
            "decode into other text, line breaks included: write the name as it should read"
        )
    return value


def without_invisible(field: str, value: str) -> tuple[str, str | None]:
    """The text without its invisible and bidi characters, and a warning naming them if there were any."""
    hidden = INVISIBLE.findall(value)
    if not hidden:
        return value, None
    clean = " ".join(INVISIBLE.sub("", value).split())
    return clean, (
        f"{field}: removed {len(hidden)} invisible character(s) ({character_names(hidden)}) that could "
        f"disguise it; stored as {shown(clean)}"
    )


def formula_warning(field: str, value: str) -> str | None:
    """Stored as text; said once, so whoever exports the book to a spreadsheet knows to escape it."""
    if not value.startswith(FORMULA_START):
        return None
    return (
        f"{field} {shown(value)} starts with {value[0]!r}, which a spreadsheet runs as a formula: stored as "
        "text, and escaped in any CSV Relance writes"
    )


def parse_email(field: str, text: str) -> str:
    """One address, bare or as `Name <address>`; only the address is kept."""
    if _CONTROL.search(text.strip()):
        raise FieldError(f"{field} {shown(text)} contains a line break or a control character")
    hidden = INVISIBLE.findall(text)
    if hidden:
        raise FieldError(
            f"{field} {shown(text)} holds an invisible character ({character_names(hidden)}): retype it"
        )
    raw = text.strip()
    if raw.count("@") > 1:
        raise FieldError(f"{field} {shown(text)} holds several addresses; give one (others go in cc)")
    address = parseaddr(raw)[1] if "<" in raw else raw
    if not valid_address(address):
        raise FieldError(f"{field} {shown(text)} is not a valid email address")
    return address


def parse_phone(field: str, text: str) -> str | None:
    """A phone number kept lightly: a leading +, digits, single spaces (`+33 (0)1 84.00` → `+33 1 84 00`)."""
    raw = text.strip().replace("(0)", " ")
    if not raw:
        return None
    value = " ".join(_PHONE_SEPARATORS.sub(" ", raw).split())
    if not _PHONE.match(value):
        raise FieldError(
            f"{field} {shown(text)} is not a phone number: digits and spaces, with + in front of an "
            "international number"
        )
    digits = sum(char.isdigit() for char in value)
    if not 4 <= digits <= 15:
        raise FieldError(f"{field} {shown(text)} has {digits} digits; one phone number has 4 to 15")
    return value.replace("+ ", "+")


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
        raise FieldError(f"{field} {shown(text)} is not supported: use fr or en")
    return language


def parse_customer_kind(field: str, text: str) -> CustomerKind:
    raw = fold(text)
    if not raw:
        return CustomerKind.BUSINESS
    if raw not in _KINDS:
        raise FieldError(
            f"{field} {shown(text)} is neither business (B2B, professionnel) nor consumer (B2C, particulier)"
        )
    return _KINDS[raw]


def parse_flag(field: str, text: str) -> bool:
    raw = fold(text)
    if not raw:
        return False
    if raw not in _FLAGS:
        raise FieldError(f"{field} {shown(text)} is not yes/no (oui/non, true/false, 1/0)")
    return _FLAGS[raw]


def parse_status(field: str, text: str) -> InvoiceStatus | None:
    raw = fold(text)
    if not raw:
        return None
    if raw not in _STATUSES:
        raise FieldError(
            f"{field} {shown(text)} is not one a file may set: open, cancelled or disputed "
            "(paid comes from payments files)"
        )
    return _STATUSES[raw]


def parse_country(field: str, text: str) -> str:
    raw = text.strip()
    if not raw:
        return "FR"
    code = _COUNTRIES.get(fold(raw), raw.upper())
    if not _COUNTRY.match(code):
        raise FieldError(f"{field} {shown(text)} is not a 2-letter ISO country code such as FR or BE")
    return code


def parse_siren(field: str, text: str) -> str | None:
    """A SIREN (9 digits); a SIRET (14) is reduced to its SIREN, the company it belongs to."""
    digits = re.sub(r"[\s\u00a0.\-]", "", text)
    if not digits:
        return None
    if not digits.isdigit() or len(digits) not in (9, 14):
        raise FieldError(f"{field} {shown(text)} is not a SIREN (9 digits) or a SIRET (14 digits)")
    return digits[:9]


def parse_policy(field: str, text: str, known: Collection[str]) -> str | None:
    raw = text.strip()
    if not raw:
        return None
    if raw not in known:
        raise FieldError(f"{field} {shown(text)} is not a known policy; known: {', '.join(sorted(known))}")
    return raw


def parse_link(field: str, text: str) -> str | None:
    raw = text.strip()
    if not raw:
        return None
    if _CONTROL.search(raw) or " " in raw or not re.match(r"^https?://[^/\s]+", raw):
        raise FieldError(f"{field} {shown(text)} is not an http(s) link")
    return raw


def address_lines(field: str, text: str) -> tuple[str, ...]:
    """A multi-line address cell becomes its lines; a line break is how a cell holds several lines."""
    lines = []
    for line in re.split(r"\r\n|\r|\n|\|", text):
        if line.strip():
            lines.append(parse_text(field, line))
    return tuple(lines)
