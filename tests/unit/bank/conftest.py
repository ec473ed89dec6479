"""Builders for the bank tests: statements from tests/fixtures, entries and invoices in a line each."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from pathlib import Path

from relance.domain.matching import OpenInvoice
from relance.ingest.bank import BankEntry, BankFile, Direction, ReferenceKind, read_bank_statement

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
_references = itertools.count(1)


def statement(folder: str, name: str) -> BankFile:
    """A fixture statement read as the ingest service will: by its name and bytes."""
    return read_bank_statement(name, (FIXTURES / folder / name).read_bytes())


def credit(
    amount: str,
    remittance: str | None = None,
    *,
    structured: tuple[str, ...] = (),
    end_to_end_id: str | None = None,
    payer: str | None = None,
    iban: str | None = None,
    currency: str = "EUR",
    direction: Direction = Direction.CREDIT,
    reversal: bool = False,
    booked: bool = True,
    reference: str | None = None,
) -> BankEntry:
    return BankEntry(
        format="camt.053",
        statement_id="S1",
        account="FR7630004000031234567890143",
        position=1,
        line=None,
        booking_date=date(2026, 3, 12),
        value_date=date(2026, 3, 12),
        amount=Decimal(amount),
        currency=currency,
        direction=direction,
        reference=reference or f"BANKREF-{next(_references)}",
        reference_kind=ReferenceKind.BANK,
        end_to_end_id=end_to_end_id,
        remittance=remittance,
        structured_remittance=structured,
        counterparty_name=payer,
        counterparty_iban=iban,
        reversal=reversal,
        booked=booked,
    )


def invoice(
    invoice_id: str, customer_id: str, balance: str, due: str = "2026-02-15", currency: str = "EUR"
) -> OpenInvoice:
    return OpenInvoice(invoice_id, customer_id, currency, Decimal(balance), date.fromisoformat(due))
