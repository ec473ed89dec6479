"""One booked line of a bank statement, whatever format brought it, and the error a statement can raise."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from relance.ingest.errors import UnreadableFile

_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_SPACES = re.compile(r"\s+")


class Direction(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class ReferenceKind(StrEnum):
    """Where `BankEntry.reference` comes from, best first."""

    # The bank's own reference for the booking (camt AcctSvcrRef, MT940 :61: after //): unique per account.
    BANK = "bank"
    # The payer's end-to-end id: unique only in the payer's intent, so the key adds the date and amount.
    END_TO_END = "end-to-end"
    # Neither: a hash of the entry's content and its rank in the statement.
    CONTENT = "content"


class BankStatementError(UnreadableFile):
    """A statement that cannot be read; says where (file, line, element) and why. Nothing is stored."""

    def __init__(
        self, reason: str, *, file: str | None = None, line: int | None = None, element: str | None = None
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.element = element
        where = ", ".join(
            part for part in (file, f"line {line}" if line is not None else None, element) if part is not None
        )
        super().__init__(f"{where}: {reason}" if where else reason)


def normalise_iban(text: str | None) -> str | None:
    """`FR76 3000 ...` → `FR763000...`; None when the text is no IBAN (a domestic account number)."""
    if not text:
        return None
    compact = _SPACES.sub("", text).upper()
    return compact if _IBAN.match(compact) else None


def one_line(text: str | None) -> str | None:
    """Whitespace runs (line breaks of the file, padding of fixed-width fields) as one space."""
    if text is None:
        return None
    return _SPACES.sub(" ", text).strip() or None


@dataclass(frozen=True)
class BankEntry:
    """A booked (or pending) movement on the company's account.

    `amount` is never negative: the sign is `direction`. `counterparty_*` is the other party: the payer of a
    credit, the payee of a debit (`payer_name` / `payer_iban` give it only for credits).
    """

    format: str  # "camt.053", "camt.054" or "mt940"
    statement_id: str
    account: str  # the IBAN when the bank gives one, else its account number as written
    position: int  # 1-based rank of the entry in the file
    line: int | None  # where the entry starts in the file
    booking_date: date | None
    value_date: date | None
    amount: Decimal
    currency: str
    direction: Direction
    reference: str
    reference_kind: ReferenceKind
    end_to_end_id: str | None
    remittance: str | None  # unstructured, as one line
    structured_remittance: tuple[str, ...]  # creditor references (SCOR, RF...), referenced document numbers
    counterparty_name: str | None
    counterparty_iban: str | None
    reversal: bool  # a return or a cancellation (RvslInd, RD/RC, RETOURE...): never a customer payment
    booked: bool  # False for pending or information-only entries (camt Sts PDNG/INFO)
    transaction_code: str | None = None  # camt Domn/Fmly/SubFmly, or MT940 type and business code

    @property
    def is_credit(self) -> bool:
        return self.direction is Direction.CREDIT

    @property
    def is_payment(self) -> bool:
        """Money a customer sent: a booked credit, not a reversal, not zero."""
        return self.is_credit and self.booked and not self.reversal and self.amount > 0

    @property
    def payer_name(self) -> str | None:
        return self.counterparty_name if self.is_credit else None

    @property
    def payer_iban(self) -> str | None:
        return self.counterparty_iban if self.is_credit else None

    @property
    def key(self) -> str:
        """The same booking always gets the same key, from whichever file and format, however often.

        The bank's reference is unique per account; a payer's end-to-end id may be reused ("NOTPROVIDED",
        an invoice number paid twice), so the date and amount are added to it.
        """
        parts = [self.account, self.reference_kind.value, self.reference, self.direction.value]
        if self.reference_kind is ReferenceKind.END_TO_END:
            booked_on = self.booking_date or self.value_date
            parts += [booked_on.isoformat() if booked_on else "", format(self.amount.normalize(), "f")]
        return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


def content_reference(*parts: object) -> str:
    """A deterministic reference for an entry the bank gave no reference for."""
    text = "\x00".join("" if part is None else str(part) for part in parts)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def usable_reference(text: str | None) -> str | None:
    """A reference the payer or bank really gave; the placeholders banks print for "none" are not."""
    value = one_line(text)
    if value is None or value.upper() in {"NONREF", "NOTPROVIDED", "NOT PROVIDED", "NONE", "N/A"}:
        return None
    return value


@dataclass(frozen=True)
class BankFile:
    """What one dropped statement file holds: its entries in file order, and what a person should check."""

    name: str
    format: str
    entries: tuple[BankEntry, ...]
    warnings: tuple[str, ...] = ()

    @property
    def credits(self) -> tuple[BankEntry, ...]:
        return tuple(entry for entry in self.entries if entry.is_credit)

    @property
    def payments(self) -> tuple[BankEntry, ...]:
        return tuple(entry for entry in self.entries if entry.is_payment)
