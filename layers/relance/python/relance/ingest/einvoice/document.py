"""An e-invoice as Relance needs it, whatever the syntax it came in."""

from __future__ import annotations

from dataclasses import dataclass

# UNTDID 1001 codes that credit the buyer (credit note, self-billed credit note, factored credit note...).
CREDIT_TYPE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})


@dataclass(frozen=True)
class Party:
    """The buyer; identifiers in order of preference: its own id, global id, VAT number, legal id."""

    identifiers: tuple[str, ...]
    name: str | None
    email: str | None
    address: tuple[str, ...]
    country: str | None


@dataclass(frozen=True)
class EInvoice:
    syntax: str
    number: str | None
    type_code: str | None
    # Dates and amounts as the document writes them (ISO or CII's YYYYMMDD, dot decimals): validation reads
    # them with the same rules and messages as a CSV cell.
    issue_date: str | None
    due_date: str | None
    currency: str | None
    payable: str | None
    prepaid: str | None
    buyer: Party
    purchase_order: str | None
    referenced_invoice: str | None
    payment_terms: str | None
    credit_note_document: bool = False

    @property
    def is_credit(self) -> bool:
        """A credit note by its root or its type code, or an "avoir" typed 380 with a negative total."""
        if self.credit_note_document or self.type_code in CREDIT_TYPE_CODES:
            return True
        return self.payable is not None and self.payable.strip().startswith("-")
