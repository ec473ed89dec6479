"""Rows as read from a file, and what validation makes of them: typed fields or a rejection."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

from relance.domain.models import CustomerKind, InvoiceStatus

T = TypeVar("T")


@dataclass(frozen=True)
class RawRow:
    """One record of the file: its line (CSV) or position (JSON), and its cells by the file's headers."""

    line: int
    cells: Mapping[str, str]


class RowSource(Protocol):
    """Rows that can be counted before they are read, and read again: a CSV re-reads its bytes each time."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[RawRow]: ...


@dataclass(frozen=True)
class Table:
    """Rows of a CSV or JSON file with the headers in the file's order, and the kind the file announced.

    `rows` is counted up front (`len`) and iterated lazily; a tuple of RawRow will do in tests.
    """

    headers: tuple[str, ...]
    rows: RowSource
    announced: str | None = None


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str
    values: Mapping[str, str]

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason, "values": dict(self.values)}


@dataclass(frozen=True)
class RowWarning:
    """Stored, but worth a look: an overpayment, an ignored column, an amount the book kept."""

    line: int | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "message": self.message}


@dataclass(frozen=True)
class CustomerFields:
    """A customer as a file describes it; `given` names the fields the file has a column for."""

    line: int
    customer_id: str
    name: str
    email: str
    given: frozenset[str]
    cc: tuple[str, ...] = ()
    language: str = "fr"
    kind: CustomerKind = CustomerKind.BUSINESS
    address: tuple[str, ...] = ()
    country: str = "FR"
    siren: str | None = None
    account_manager_email: str | None = None
    policy: str | None = None
    waive_penalties: bool = False
    do_not_dun: bool = False
    contract_rate: Decimal | None = None
    legal_form: str | None = None
    merchant: bool | None = None
    """None when the file does not say (an empty cell or no column)."""
    # Kept lightly (+, digits, spaces) for the call sheet; not compared with the stored customer yet.
    phone: str | None = None
    # The row as the file wrote it, for a rejection decided later (an unknown customer, a lost race).
    values: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class InvoiceFields:
    line: int
    invoice_id: str
    customer_id: str
    issue_date: date
    due_date: date
    currency: str
    total: Decimal
    given: frozenset[str]
    amount_paid: Decimal | None = None
    payment_link: str | None = None
    purchase_order: str | None = None
    status: InvoiceStatus | None = None
    contract_rate: Decimal | None = None
    values: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class PaymentFields:
    """Money received for one invoice. `occurrence` tells apart identical payments without a reference."""

    line: int
    invoice_id: str
    paid_on: date
    amount: Decimal
    payment_id: str | None = None
    customer_id: str | None = None
    currency: str | None = None
    occurrence: int = 1
    # A credit note applied as a payment: its number, so the report and the event say where it came from.
    credit_note: str | None = None
    values: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class BuyerFields:
    """The buyer of an e-invoice: its identifiers in order of preference, and what a new customer needs."""

    candidate_ids: tuple[str, ...]
    name: str
    email: str | None
    address: tuple[str, ...]
    country: str


@dataclass(frozen=True)
class EInvoiceRows:
    """What one e-invoice brings: its buyer, and either an invoice or a credit applied to an earlier one."""

    buyer: BuyerFields
    invoice: InvoiceFields | None = None
    credit: PaymentFields | None = None


@dataclass
class Checked(Generic[T]):
    """The rows of one file after validation: every row is in exactly one of the two lists."""

    accepted: list[T] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)


def collect(outcomes: Iterable[T | Rejection | RowWarning]) -> Checked[T]:
    """A validation stream gathered into lists: for tests and small files; the service should stream."""
    checked: Checked[T] = Checked()
    for outcome in outcomes:
        if isinstance(outcome, Rejection):
            checked.rejected.append(outcome)
        elif isinstance(outcome, RowWarning):
            checked.warnings.append(outcome)
        else:
            checked.accepted.append(outcome)
    return checked
