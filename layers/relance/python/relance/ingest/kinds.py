"""The kinds of file the finance team can drop in `incoming/`."""

from __future__ import annotations

from enum import StrEnum


class FileKind(StrEnum):
    CUSTOMERS = "customers"
    INVOICES = "invoices"
    PAYMENTS = "payments"
    # UBL, CII or Factur-X: one invoice (or credit note) and its buyer, told by the document itself.
    EINVOICE = "e-invoice"
    # A bank's statement (camt.053, camt.054, MT940): its credits are matched to open invoices.
    BANK = "bank"
    UNKNOWN = "unknown"


TABULAR_KINDS = (FileKind.CUSTOMERS, FileKind.INVOICES, FileKind.PAYMENTS)
