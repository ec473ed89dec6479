"""Every row becomes typed fields or a rejection that says which field is wrong and why.

A row with several problems gets them all in one reason, so the person fixing the file fixes it once.
What is accepted here is safe to store as it is: keys normalized (a duplicate is told on the key as
stored), amounts and dates within bounds, cells small enough for one DynamoDB item, names that cannot
forge an email header. Checks that need the book (is this customer known? this invoice?) are made later.

The `stream_*` functions yield, row by row and in file order, typed fields, `Rejection`s and
`RowWarning`s; they hold one row at a time (plus the keys seen, to tell duplicates). The `check_*`
functions gather the same stream into a `Checked`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

from relance.ingest.einvoice.checks import check_einvoice
from relance.ingest.errors import FieldError
from relance.ingest.fields import (
    address_lines,
    check_year,
    cut,
    formula_warning,
    parse_bounded_amount,
    parse_country,
    parse_currency,
    parse_customer_kind,
    parse_date,
    parse_email,
    parse_email_list,
    parse_flag,
    parse_id,
    parse_language,
    parse_link,
    parse_money,
    parse_name,
    parse_phone,
    parse_policy,
    parse_rate,
    parse_siren,
    parse_status,
    parse_text,
    shown,
    without_invisible,
)
from relance.ingest.headers import ALIASES, ColumnMap, map_columns
from relance.ingest.kinds import FileKind
from relance.ingest.rows import (
    Checked,
    CustomerFields,
    InvoiceFields,
    PaymentFields,
    RawRow,
    Rejection,
    RowWarning,
    Table,
    collect,
)
from relance.ingest.tabular import EXTRA_CELLS, NOT_AN_OBJECT

__all__ = [
    "MAX_CELL_CHARS",
    "MAX_ROW_CHARS",
    "check_customers",
    "check_einvoice",
    "check_invoices",
    "check_payments",
    "stream_customers",
    "stream_invoices",
    "stream_payments",
    "stream_table",
]

T = TypeVar("T")
_ADDRESS_PARTS = ("address", "address2", "postcode", "city")
# A stored item holds a few of a row's cells; these bounds keep the largest row far below DynamoDB's
# 400 KB item (a character is at most 4 bytes of UTF-8) and keep the report of a rejected row readable.
MAX_CELL_CHARS = 4_000
MAX_ROW_CHARS = 32_000

CustomerOutcome = CustomerFields | Rejection | RowWarning
InvoiceOutcome = InvoiceFields | Rejection | RowWarning
PaymentOutcome = PaymentFields | Rejection | RowWarning


@dataclass
class _Row:
    """One raw row being read: its values by field, the problems found so far and what is worth a look."""

    raw: RawRow
    values: Mapping[str, str]
    columns: ColumnMap
    kind: FileKind
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def has_column(self, field: str) -> bool:
        return field in self.columns.fields.values()

    def cell(self, field: str) -> str:
        return self.values.get(field, "").strip()

    def required(self, field: str) -> str | None:
        value = self.cell(field)
        if value:
            return value
        if self.has_column(field):
            self.problems.append(f"missing {field}")
        else:
            accepted = ", ".join(ALIASES[self.kind][field][:4])
            self.problems.append(f"missing {field}: the file has no column for it (name one {accepted}, ...)")
        return None

    def read(self, parse: Callable[[str, str], T], field: str, text: str | None = None) -> T | None:
        """The parsed value, or None with the problem noted; an absent required value is noted once."""
        raw = self.cell(field) if text is None else text
        try:
            return parse(field, raw)
        except FieldError as exc:
            self.problems.append(str(exc))
            return None

    def note(self, warning: str | None) -> None:
        if warning:
            self.notes.append(warning)

    def text(self, field: str, text: str | None = None, *, name: bool = False) -> str | None:
        """Free text: invisible and bidi characters removed (with a warning), a formula start noted."""
        value = self.read(parse_name if name else parse_text, field, text)
        if not value:
            return value
        value, warning = without_invisible(field, value)
        self.note(warning)
        self.note(formula_warning(field, value))
        return value

    def key(self, field: str, text: str | None = None) -> str | None:
        value = self.read(parse_id, field, text)
        if value:
            self.note(formula_warning(field, value))
        return value

    def date(self, field: str, text: str | None) -> date | None:
        if not text:
            return None
        return self.read(lambda name, raw: check_year(name, parse_date(name, raw), raw), field, text)

    def rejection(self) -> Rejection:
        return Rejection(line=self.raw.line, reason="; ".join(self.problems), values=_shown(self.raw))

    def warnings(self) -> Iterator[RowWarning]:
        return (RowWarning(self.raw.line, note) for note in self.notes)


class _FirstSeen:
    """The line each key first appeared on: a later row with the same key is a duplicate of it."""

    def __init__(self) -> None:
        self._lines: dict[Hashable, int] = {}

    def check(self, row: _Row, key: Hashable | None, field: str, text: str | None) -> None:
        if key is None:
            return
        first = self._lines.setdefault(key, row.raw.line)
        if first == row.raw.line:
            return
        reason = f"duplicate of line {first}"
        if text is not None and text != key:
            reason += (
                f" ({field} {shown(text)} is {shown(str(key))} once its spaces and accents are normalized)"
            )
        row.problems.insert(0, reason)


def _shown(raw: RawRow) -> dict[str, str]:
    """The row as the file wrote it, for the report; markers of malformed rows are renamed for people."""
    shown = {key: cut(value) for key, value in raw.cells.items() if key not in (EXTRA_CELLS, NOT_AN_OBJECT)}
    if EXTRA_CELLS in raw.cells:
        shown["(extra cells)"] = cut(raw.cells[EXTRA_CELLS])
    if NOT_AN_OBJECT in raw.cells:
        shown["(item)"] = cut(raw.cells[NOT_AN_OBJECT])
    return shown


def _size_problems(raw: RawRow) -> list[str]:
    problems = []
    total = 0
    for header, value in raw.cells.items():
        total += len(value)
        if len(value) > MAX_CELL_CHARS:
            label = "(extra cells)" if header == EXTRA_CELLS else header
            problems.append(
                f"the cell {label!r} holds {len(value):,} characters; a cell holds at most "
                f"{MAX_CELL_CHARS:,}".replace(",", " ")
            )
    if not problems and total > MAX_ROW_CHARS:
        problems.append(
            f"the row holds {total:,} characters; a row holds at most {MAX_ROW_CHARS:,}".replace(",", " ")
        )
    return problems


def _read_rows(table: Table, kind: FileKind) -> Iterator[_Row | Rejection | RowWarning]:
    """The rows worth reading field by field; malformed and oversized rows are rejected here."""
    columns = map_columns(table.headers, kind)
    if columns.ignored:
        yield RowWarning(line=None, message=f"columns not read (unknown names): {', '.join(columns.ignored)}")
    for raw in table.rows:
        if NOT_AN_OBJECT in raw.cells:
            yield Rejection(raw.line, "this item is not an object with named fields", _shown(raw))
            continue
        too_big = _size_problems(raw)
        if too_big:
            # Not read further: every message would quote the cell.
            yield Rejection(raw.line, "; ".join(too_big), _shown(raw))
            continue
        values = {field: raw.cells.get(header, "") for header, field in columns.fields.items()}
        row = _Row(raw=raw, values=values, columns=columns, kind=kind)
        if EXTRA_CELLS in raw.cells:
            row.problems.append(
                "the row has more cells than the header has columns "
                "(an unquoted decimal comma in a comma-separated file?)"
            )
        yield row


def _given(columns: ColumnMap, kind: FileKind) -> frozenset[str]:
    """The fields the file speaks for: only these are compared with (and written over) the stored item."""
    present = set(columns.fields.values())
    if present & set(_ADDRESS_PARTS):
        present -= set(_ADDRESS_PARTS)
        present.add("address")
    return frozenset(present & (set(ALIASES[kind]) - {"address2", "postcode", "city"}))


def stream_table(
    kind: FileKind, table: Table, *, policies: Collection[str], today: date | None = None
) -> Iterator[CustomerOutcome | InvoiceOutcome | PaymentOutcome]:
    """The stream for the file's kind: what the service iterates, storing accepted rows in chunks."""
    if kind is FileKind.CUSTOMERS:
        return stream_customers(table, policies)
    if kind is FileKind.INVOICES:
        return stream_invoices(table)
    if kind is FileKind.PAYMENTS:
        return stream_payments(table, today=today)
    raise ValueError(f"no table validation for {kind.value} files")


# Customers


def check_customers(table: Table, policies: Collection[str]) -> Checked[CustomerFields]:
    return collect(stream_customers(table, policies))


def stream_customers(table: Table, policies: Collection[str]) -> Iterator[CustomerOutcome]:
    seen = _FirstSeen()
    given: frozenset[str] | None = None
    for row in _read_rows(table, FileKind.CUSTOMERS):
        if not isinstance(row, _Row):
            yield row
            continue
        given = given if given is not None else _given(row.columns, FileKind.CUSTOMERS)
        id_text = row.required("customer_id")
        name = row.required("name")
        email = row.required("email")
        customer_id = row.key("customer_id", id_text) if id_text else None
        seen.check(row, customer_id, "customer_id", id_text)
        name = row.text("name", name, name=True) if name else None
        email = row.read(parse_email, "email", email) if email else None
        cc = row.read(parse_email_list, "cc")
        language = row.read(parse_language, "language")
        kind = row.read(parse_customer_kind, "kind")
        address = _address(row)
        country = row.read(parse_country, "country")
        siren = row.read(parse_siren, "siren")
        manager = row.cell("account_manager_email")
        manager_email = row.read(parse_email, "account_manager_email") if manager else None
        policy = row.read(lambda field, text: parse_policy(field, text, policies), "policy")
        waive = row.read(parse_flag, "waive_penalties")
        do_not_dun = row.read(parse_flag, "do_not_dun")
        contract_rate = row.read(parse_rate, "contract_rate") if row.cell("contract_rate") else None
        phone = row.read(parse_phone, "phone")
        legal_form = row.text("legal_form")
        merchant = row.read(parse_flag, "merchant") if row.cell("merchant") else None
        if row.problems or not (customer_id and name and email and language and kind and country):
            yield row.rejection()
            continue
        yield from row.warnings()
        yield CustomerFields(
            line=row.raw.line,
            customer_id=customer_id,
            name=name,
            email=email,
            given=given,
            cc=cc or (),
            language=language,
            kind=kind,
            address=address or (),
            country=country,
            siren=siren,
            account_manager_email=manager_email,
            policy=policy,
            waive_penalties=bool(waive),
            do_not_dun=bool(do_not_dun),
            contract_rate=contract_rate,
            legal_form=legal_form or None,
            merchant=merchant,
            phone=phone,
            values=_shown(row.raw),
        )


def _address(row: _Row) -> tuple[str, ...] | None:
    """Street lines, then "postcode city" as a French envelope puts them."""
    lines = []
    for part in ("address", "address2"):
        for line in row.read(address_lines, part) or ():
            clean, warning = without_invisible(part, line)
            row.note(warning)
            row.note(formula_warning(part, clean))
            if clean:
                lines.append(clean)
    town = " ".join(part for part in (row.cell("postcode"), row.cell("city")) if part)
    town_line = row.text("city", town) if town else None
    return (*lines, *((town_line,) if town_line else ()))


# Invoices


def check_invoices(table: Table) -> Checked[InvoiceFields]:
    return collect(stream_invoices(table))


def stream_invoices(table: Table) -> Iterator[InvoiceOutcome]:
    seen = _FirstSeen()
    given: frozenset[str] | None = None
    for row in _read_rows(table, FileKind.INVOICES):
        if not isinstance(row, _Row):
            yield row
            continue
        given = given if given is not None else _given(row.columns, FileKind.INVOICES)
        invoice_text = row.required("invoice_id")
        customer_text = row.required("customer_id")
        invoice_id = row.key("invoice_id", invoice_text) if invoice_text else None
        seen.check(row, invoice_id, "invoice_id", invoice_text)
        customer_id = row.key("customer_id", customer_text) if customer_text else None
        issue_date = row.date("issue_date", row.required("issue_date"))
        due_date = row.date("due_date", row.required("due_date"))
        currency = row.read(parse_currency, "currency")
        total_text = row.required("total")
        total = (
            row.read(
                lambda field, text, currency=currency: parse_money(field, text, currency or "EUR"),
                "total",
                total_text,
            )
            if total_text
            else None
        )
        amount_paid = (
            row.read(
                lambda field, text, currency=currency: parse_money(
                    field, text, currency or "EUR", allow_zero=True
                ),
                "amount_paid",
            )
            if row.cell("amount_paid")
            else None
        )
        payment_link = row.read(parse_link, "payment_link")
        purchase_order = row.text("purchase_order")
        status = row.read(parse_status, "status")
        contract_rate = row.read(parse_rate, "contract_rate") if row.cell("contract_rate") else None
        if issue_date and due_date and due_date < issue_date:
            row.problems.append(
                f"due_date {due_date.isoformat()} is before issue_date {issue_date.isoformat()}"
            )
        if row.problems or not (
            invoice_id and customer_id and issue_date and due_date and currency and total
        ):
            yield row.rejection()
            continue
        if amount_paid is not None and amount_paid > total:
            row.note(f"amount_paid {amount_paid} is more than the total {total} {currency}")
        yield from row.warnings()
        yield InvoiceFields(
            line=row.raw.line,
            invoice_id=invoice_id,
            customer_id=customer_id,
            issue_date=issue_date,
            due_date=due_date,
            currency=currency,
            total=total,
            given=given - ({"amount_paid"} if amount_paid is None else set()),
            amount_paid=amount_paid,
            payment_link=payment_link,
            purchase_order=purchase_order or None,
            status=status,
            contract_rate=contract_rate,
            values=_shown(row.raw),
        )


# Payments


def check_payments(table: Table, today: date | None = None) -> Checked[PaymentFields]:
    return collect(stream_payments(table, today=today))


def stream_payments(table: Table, *, today: date | None = None) -> Iterator[PaymentOutcome]:
    """Amounts are checked against the invoice's currency later, once the invoice is found.

    `today` (the business date of the import) makes a payment dated after it a warning; without it,
    the machine's date is used.
    """
    today = today or datetime.now(UTC).date()
    seen = _FirstSeen()
    occurrences: Counter[tuple[str, date, Decimal]] = Counter()
    for row in _read_rows(table, FileKind.PAYMENTS):
        if not isinstance(row, _Row):
            yield row
            continue
        invoice_text = row.required("invoice_id")
        invoice_id = row.key("invoice_id", invoice_text) if invoice_text else None
        paid_on = row.date("paid_on", row.required("paid_on"))
        amount_text = row.required("amount")
        amount = row.read(parse_bounded_amount, "amount", amount_text) if amount_text else None
        currency = row.read(parse_currency, "currency") if row.cell("currency") else None
        payment_text = row.cell("payment_id")
        payment_id = row.key("payment_id", payment_text) if payment_text else None
        customer_id = row.key("customer_id") if row.cell("customer_id") else None
        # A bank reference may pay several invoices (one row each): the pair is the payment.
        if payment_id and invoice_id:
            seen.check(row, (payment_id, invoice_id), "payment_id", None)
        if row.problems or not (invoice_id and paid_on and amount):
            yield row.rejection()
            continue
        if paid_on > today:
            row.note(f"paid_on {paid_on.isoformat()} is after today ({today.isoformat()}): stored as given")
        occurrence = 1
        if payment_id is None:
            occurrences[(invoice_id, paid_on, amount)] += 1
            occurrence = occurrences[(invoice_id, paid_on, amount)]
        yield from row.warnings()
        yield PaymentFields(
            line=row.raw.line,
            invoice_id=invoice_id,
            paid_on=paid_on,
            amount=amount,
            payment_id=payment_id,
            customer_id=customer_id,
            currency=currency,
            occurrence=occurrence,
            values=_shown(row.raw),
        )
