"""SWIFT MT940 customer statements, as banks export them: one or more statements, each a run of fields.

`:20:` starts a statement, `:25:` names the account, `:60F:`/`:60M:` opens it with a balance (and gives
the currency), each `:61:` is an entry (its `:86:` right after says who and why), `:62F:`/`:62M:` closes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from relance.domain.amounts import ZERO
from relance.ingest.bank.entry import (
    BankEntry,
    BankFile,
    BankStatementError,
    Direction,
    ReferenceKind,
    content_reference,
    normalise_iban,
    one_line,
    usable_reference,
)
from relance.ingest.bank.narrative import read_narrative
from relance.ingest.decoding import decode_text
from relance.ingest.errors import UnreadableFile

_TAG = re.compile(r"^:(\d{2,3}[A-Z]?|NS):(.*)$")
_ENTRY = re.compile(
    r"^(?P<value>\d{6})(?P<booked>\d{4})?(?P<mark>RC|RD|EC|ED|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>\d+,\d*)(?P<type>[NFS][A-Z0-9]{3})(?P<reference>.*)$"
)
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})(?P<amount>\d+,\d*)$")
# Tags that carry nothing Relance needs (available balances, forward balances, floor limits...).
_IGNORED = frozenset({"21", "13", "13D", "34F", "64", "65", "90D", "90C", "NS", "940", "942"})
_HALF_YEAR = timedelta(days=183)


@dataclass
class _Field:
    tag: str
    lines: list[str]
    line: int


@dataclass
class _Statement:
    reference: str
    line: int
    account: str | None = None
    number: str | None = None
    currency: str | None = None
    opening: Decimal | None = None
    closing: Decimal | None = None
    net: Decimal = ZERO
    entries: list[tuple[_Field, _Field | None]] = field(default_factory=list)

    @property
    def statement_id(self) -> str:
        return f"{self.reference}/{self.number}" if self.number else self.reference


def _fields(text: str, file: str) -> list[_Field]:
    """The tagged fields in file order with continuation lines; a SWIFT envelope ({1:...}{4:) is skipped."""
    fields: list[_Field] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if line.startswith("{"):
            # The SWIFT envelope: basic, application and user headers, then the text block {4:.
            line = line.split("{4:", 1)[1] if "{4:" in line else ""
        if line.strip() in ("", "-", "-}") or line.startswith("-}"):
            continue
        tagged = _TAG.match(line)
        if tagged:
            fields.append(_Field(tagged.group(1), [tagged.group(2)], number))
        elif fields:
            fields[-1].lines.append(line)
        else:
            raise BankStatementError(
                f"the file is not an MT940 statement: {line[:40]!r} comes before any :20: field",
                file=file,
                line=number,
            )
    return fields


def _day(text: str, file: str, line: int, element: str) -> date:
    year, month, day = int(text[0:2]), int(text[2:4]), int(text[4:6])
    try:
        # SWIFT writes two-digit years; statements from the last century are not ours to read.
        return date(2000 + year if year < 80 else 1900 + year, month, day)
    except ValueError:
        raise BankStatementError(
            f"date {text!r} does not exist", file=file, line=line, element=element
        ) from None


def _amount(text: str) -> Decimal:
    """MT amounts have a comma for the decimal point, possibly with no decimals after it ("15000,")."""
    return Decimal(text.replace(",", ".").rstrip("."))


def _booking_date(value: date, month_day: str, file: str, line: int) -> date:
    """The entry date has no year: the one nearest the value date (a booking on 31 Dec valued 2 Jan)."""
    try:
        booked = date(value.year, int(month_day[:2]), int(month_day[2:]))
    except ValueError:
        raise BankStatementError(
            f"entry date {month_day!r} does not exist", file=file, line=line, element=":61:"
        ) from None
    if booked - value > _HALF_YEAR:
        return booked.replace(year=value.year - 1)
    if value - booked > _HALF_YEAR:
        return booked.replace(year=value.year + 1)
    return booked


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.warnings: list[str] = []
        self.entries: list[BankEntry] = []

    def error(self, reason: str, item: _Field) -> BankStatementError:
        return BankStatementError(reason, file=self.file, line=item.line, element=f":{item.tag}:")

    def balance(self, item: _Field) -> tuple[Decimal, str]:
        match = _BALANCE.match(item.lines[0].strip())
        if not match:
            raise self.error(
                f"balance {item.lines[0]!r} is not C/D, YYMMDD, currency and amount (C260131EUR1234,56)",
                item,
            )
        _day(match["date"], self.file, item.line, f":{item.tag}:")
        amount = _amount(match["amount"])
        return (-amount if match["mark"] == "D" else amount), match["currency"]

    def read(self, fields: list[_Field]) -> None:
        statement: _Statement | None = None
        previous: _Field | None = None
        for item in fields:
            if item.tag == "20":
                self.finish(statement)
                statement = _Statement(reference=one_line(item.lines[0]) or "", line=item.line)
            elif item.tag in _IGNORED:
                pass
            elif statement is None:
                raise self.error("the field comes before the :20: that starts a statement", item)
            elif item.tag == "25":
                account = one_line(" ".join(item.lines)) or ""
                statement.account = normalise_iban(account.split(" ")[0]) or account
            elif item.tag in ("28", "28C"):
                statement.number = one_line(item.lines[0])
            elif item.tag in ("60F", "60M"):
                statement.opening, statement.currency = self.balance(item)
            elif item.tag == "61":
                statement.entries.append((item, None))
            elif item.tag == "86":
                # Information for the entry it follows; after the closing balance, for the whole statement.
                if previous is not None and previous.tag == "61":
                    statement.entries[-1] = (previous, item)
            elif item.tag in ("62F", "62M"):
                statement.closing, currency = self.balance(item)
                if statement.currency and currency != statement.currency:
                    raise self.error(
                        f"the closing balance is in {currency}, the opening one in {statement.currency}", item
                    )
            previous = item
        self.finish(statement)

    def finish(self, statement: _Statement | None) -> None:
        if statement is None:
            return
        where = _Field("20", [statement.reference], statement.line)
        if not statement.account:
            raise self.error(f"statement {statement.statement_id} has no :25: account", where)
        if statement.currency is None:
            raise self.error(
                f"statement {statement.statement_id} has no :60F: opening balance (it gives the currency)",
                where,
            )
        for rank, (line, details) in enumerate(statement.entries, start=1):
            entry = self.entry(statement, rank, line, details)
            statement.net += entry.amount if entry.is_credit else -entry.amount
            self.entries.append(entry)
        if statement.closing is None:
            self.warnings.append(
                f"statement {statement.statement_id} has no :62F: closing balance; the file may be cut short"
            )
        elif statement.opening is not None and statement.opening + statement.net != statement.closing:
            self.warnings.append(
                f"statement {statement.statement_id}: opening balance {statement.opening} "
                f"{statement.currency} and the entries give {statement.opening + statement.net}, but the "
                f"closing balance is {statement.closing}; entries may be missing"
            )

    def entry(self, statement: _Statement, rank: int, item: _Field, details: _Field | None) -> BankEntry:
        match = _ENTRY.match(item.lines[0].rstrip())
        if not match:
            raise self.error(
                f"statement line {item.lines[0]!r} is not value date, C/D mark, amount with a decimal "
                "comma, type and reference (e.g. 2603120312C1250,00NTRFNONREF//B123)",
                item,
            )
        value_date = _day(match["value"], self.file, item.line, ":61:")
        booking_date = (
            _booking_date(value_date, match["booked"], self.file, item.line)
            if match["booked"]
            else value_date
        )
        mark = match["mark"]
        # RD reverses a debit (money comes back in), RC a credit; E marks an expected, unbooked entry.
        direction = Direction.CREDIT if mark in ("C", "RD", "EC") else Direction.DEBIT
        amount = _amount(match["amount"])
        # Before // the account owner's reference (often NONREF or a batch label), after it the bank's own.
        _, _, bank_reference = match["reference"].partition("//")
        supplementary = one_line(" ".join(item.lines[1:]))
        narrative = read_narrative(details.lines) if details else read_narrative([])
        counterparty_iban = narrative.iban or normalise_iban(supplementary)
        bank_ref = usable_reference(bank_reference)
        if bank_ref:
            reference, kind = bank_ref, ReferenceKind.BANK
        elif narrative.end_to_end_id:
            reference, kind = narrative.end_to_end_id, ReferenceKind.END_TO_END
        else:
            raw = "\n".join(item.lines + (details.lines if details else []))
            reference = content_reference("mt940", statement.account, statement.statement_id, rank, raw)
            kind = ReferenceKind.CONTENT
        code = match["type"] + (f"/{narrative.code}" if narrative.code else "")
        return BankEntry(
            format="mt940",
            statement_id=statement.statement_id,
            account=statement.account or "",
            position=len(self.entries) + 1,
            line=item.line,
            booking_date=booking_date,
            value_date=value_date,
            amount=amount,
            currency=statement.currency or "",
            direction=direction,
            reference=reference,
            reference_kind=kind,
            end_to_end_id=narrative.end_to_end_id,
            remittance=narrative.remittance,
            structured_remittance=narrative.structured,
            counterparty_name=narrative.name,
            counterparty_iban=counterparty_iban,
            reversal=mark in ("RC", "RD") or narrative.returned,
            booked=mark not in ("EC", "ED"),
            transaction_code=code,
        )


def read_mt940(name: str, body: bytes) -> BankFile:
    reader = _Reader(name)
    try:
        text = decode_text(body)
    except UnreadableFile as exc:
        raise BankStatementError(str(exc), file=name) from None
    fields = _fields(text, name)
    if not any(item.tag == "20" for item in fields):
        raise BankStatementError("the file holds no :20: field, so no MT940 statement", file=name)
    reader.read(fields)
    return BankFile(name=name, format="mt940", entries=tuple(reader.entries), warnings=tuple(reader.warnings))
