"""Every row becomes typed fields or a rejection that says which field is wrong and why.

A row with several problems gets them all in one reason, so the person fixing the file fixes it once.
Checks that need the book (is this customer known? this invoice?) are made later, in `reconcile`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from relance.domain.amounts import AmountError, check_currency, parse_amount, round_money
from relance.ingest.einvoice.document import EInvoice
from relance.ingest.errors import FieldError
from relance.ingest.fields import (
    address_lines,
    parse_country,
    parse_currency,
    parse_customer_kind,
    parse_date,
    parse_email,
    parse_email_list,
    parse_flag,
    parse_language,
    parse_link,
    parse_money,
    parse_policy,
    parse_rate,
    parse_siren,
    parse_status,
    parse_text,
)
from relance.ingest.headers import ALIASES, ColumnMap, map_columns
from relance.ingest.kinds import FileKind
from relance.ingest.rows import (
    BuyerFields,
    Checked,
    CustomerFields,
    EInvoiceRows,
    InvoiceFields,
    PaymentFields,
    RawRow,
    Rejection,
    RowWarning,
    Table,
)
from relance.ingest.tabular import EXTRA_CELLS, NOT_AN_OBJECT

T = TypeVar("T")
_ADDRESS_PARTS = ("address", "address2", "postcode", "city")


@dataclass
class _Row:
    """One raw row being read: its values by field, and the problems found so far."""

    raw: RawRow
    values: Mapping[str, str]
    columns: ColumnMap
    kind: FileKind
    problems: list[str]

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

    def rejection(self) -> Rejection:
        return Rejection(line=self.raw.line, reason="; ".join(self.problems), values=_shown(self.raw))


def _shown(raw: RawRow) -> dict[str, str]:
    """The row as the file wrote it, for the report; markers of malformed rows are renamed for people."""
    shown = {key: value for key, value in raw.cells.items() if key not in (EXTRA_CELLS, NOT_AN_OBJECT)}
    if EXTRA_CELLS in raw.cells:
        shown["(extra cells)"] = raw.cells[EXTRA_CELLS]
    if NOT_AN_OBJECT in raw.cells:
        shown["(item)"] = raw.cells[NOT_AN_OBJECT]
    return shown


def _rows(table: Table, kind: FileKind, key_field: str, checked: Checked[Any]) -> list[_Row]:
    """The rows worth reading field by field: malformed rows and later duplicates are rejected here."""
    columns = map_columns(table.headers, kind)
    if columns.ignored:
        checked.warnings.append(
            RowWarning(line=None, message=f"columns not read (unknown names): {', '.join(columns.ignored)}")
        )
    first_line: dict[str, int] = {}
    rows = []
    for raw in table.rows:
        if NOT_AN_OBJECT in raw.cells:
            checked.rejected.append(
                Rejection(raw.line, "this item is not an object with named fields", _shown(raw))
            )
            continue
        values = {field: raw.cells.get(header, "") for header, field in columns.fields.items()}
        row = _Row(raw=raw, values=values, columns=columns, kind=kind, problems=[])
        if EXTRA_CELLS in raw.cells:
            row.problems.append(
                "the row has more cells than the header has columns "
                "(an unquoted decimal comma in a comma-separated file?)"
            )
        key = _duplicate_key(row, kind, key_field)
        if key is not None and key in first_line:
            row.problems.insert(0, f"duplicate of line {first_line[key]}")
        elif key is not None:
            first_line[key] = raw.line
        rows.append(row)
    return rows


def _duplicate_key(row: _Row, kind: FileKind, key_field: str) -> str | None:
    """Customers and invoices by their id; payments only when they carry a reference, per invoice."""
    key = row.cell(key_field)
    if not key:
        return None
    if kind is FileKind.PAYMENTS:
        reference = row.cell("payment_id")
        return f"{reference}\x00{key}" if reference else None
    return key


def check_customers(table: Table, policies: Collection[str]) -> Checked[CustomerFields]:
    checked: Checked[CustomerFields] = Checked()
    for row in _rows(table, FileKind.CUSTOMERS, "customer_id", checked):
        customer_id = row.required("customer_id")
        name = row.required("name")
        email = row.required("email")
        customer_id = row.read(parse_text, "customer_id", customer_id) if customer_id else None
        name = row.read(parse_text, "name", name) if name else None
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
        if row.problems or not (customer_id and name and email and language and kind and country):
            checked.rejected.append(row.rejection())
            continue
        checked.accepted.append(
            CustomerFields(
                line=row.raw.line,
                customer_id=customer_id,
                name=name,
                email=email,
                given=_given(row, FileKind.CUSTOMERS),
                cc=cc or (),
                language=language,
                kind=kind,
                address=address,
                country=country,
                siren=siren,
                account_manager_email=manager_email,
                policy=policy,
                waive_penalties=bool(waive),
                do_not_dun=bool(do_not_dun),
                contract_rate=contract_rate,
            )
        )
    return checked


def _address(row: _Row) -> tuple[str, ...] | None:
    """Street lines, then "postcode city" as a French envelope puts them."""
    lines = row.read(address_lines, "address") or ()
    more = row.read(address_lines, "address2") or ()
    town = " ".join(part for part in (row.cell("postcode"), row.cell("city")) if part)
    town_line = row.read(parse_text, "city", town) if town else None
    return (*lines, *more, *((town_line,) if town_line else ()))


def _given(row: _Row, kind: FileKind) -> frozenset[str]:
    """The fields the file speaks for: only these are compared with (and written over) the stored item."""
    present = set(row.columns.fields.values())
    if present & set(_ADDRESS_PARTS):
        present -= set(_ADDRESS_PARTS)
        present.add("address")
    return frozenset(present & (set(ALIASES[kind]) - {"address2", "postcode", "city"}))


def check_invoices(table: Table) -> Checked[InvoiceFields]:
    checked: Checked[InvoiceFields] = Checked()
    for row in _rows(table, FileKind.INVOICES, "invoice_id", checked):
        invoice_id = row.required("invoice_id")
        customer_id = row.required("customer_id")
        invoice_id = row.read(parse_text, "invoice_id", invoice_id) if invoice_id else None
        customer_id = row.read(parse_text, "customer_id", customer_id) if customer_id else None
        issue_date = _required_date(row, "issue_date")
        due_date = _required_date(row, "due_date")
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
        paid_text = row.cell("amount_paid")
        amount_paid = (
            row.read(
                lambda field, text, currency=currency: parse_money(
                    field, text, currency or "EUR", allow_zero=True
                ),
                "amount_paid",
            )
            if paid_text
            else None
        )
        payment_link = row.read(parse_link, "payment_link")
        purchase_order = row.read(parse_text, "purchase_order")
        status = row.read(parse_status, "status")
        contract_rate = row.read(parse_rate, "contract_rate") if row.cell("contract_rate") else None
        if issue_date and due_date and due_date < issue_date:
            row.problems.append(
                f"due_date {due_date.isoformat()} is before issue_date {issue_date.isoformat()}"
            )
        if row.problems or not (
            invoice_id and customer_id and issue_date and due_date and currency and total
        ):
            checked.rejected.append(row.rejection())
            continue
        if amount_paid is not None and amount_paid > total:
            checked.warnings.append(
                RowWarning(
                    row.raw.line, f"amount_paid {amount_paid} is more than the total {total} {currency}"
                )
            )
        checked.accepted.append(
            InvoiceFields(
                line=row.raw.line,
                invoice_id=invoice_id,
                customer_id=customer_id,
                issue_date=issue_date,
                due_date=due_date,
                currency=currency,
                total=total,
                given=_given(row, FileKind.INVOICES) - ({"amount_paid"} if amount_paid is None else set()),
                amount_paid=amount_paid,
                payment_link=payment_link,
                purchase_order=purchase_order or None,
                status=status,
                contract_rate=contract_rate,
            )
        )
    return checked


def _required_date(row: _Row, field: str) -> date | None:
    text = row.required(field)
    return row.read(parse_date, field, text) if text else None


def check_payments(table: Table) -> Checked[PaymentFields]:
    """Amounts are checked against the invoice's currency later, once the invoice is found."""
    checked: Checked[PaymentFields] = Checked()
    occurrences: Counter[tuple[str, date, Decimal]] = Counter()
    for row in _rows(table, FileKind.PAYMENTS, "invoice_id", checked):
        invoice_id = row.required("invoice_id")
        invoice_id = row.read(parse_text, "invoice_id", invoice_id) if invoice_id else None
        paid_on = _required_date(row, "paid_on")
        amount_text = row.required("amount")
        amount = row.read(_positive_amount, "amount", amount_text) if amount_text else None
        currency_text = row.cell("currency")
        currency = row.read(parse_currency, "currency") if currency_text else None
        payment_id = row.read(parse_text, "payment_id") or None
        customer_id = row.read(parse_text, "customer_id") or None
        if row.problems or not (invoice_id and paid_on and amount):
            checked.rejected.append(row.rejection())
            continue
        occurrence = 1
        if payment_id is None:
            occurrences[(invoice_id, paid_on, amount)] += 1
            occurrence = occurrences[(invoice_id, paid_on, amount)]
        checked.accepted.append(
            PaymentFields(
                line=row.raw.line,
                invoice_id=invoice_id,
                paid_on=paid_on,
                amount=amount,
                payment_id=payment_id,
                customer_id=customer_id,
                currency=currency,
                occurrence=occurrence,
            )
        )
    return checked


def _positive_amount(field: str, text: str) -> Decimal:
    try:
        value = parse_amount(text)
    except AmountError as exc:
        raise FieldError(f"{field}: {exc}") from None
    if value < 0:
        raise FieldError(f"{field} {text!r} is negative; amounts must be positive")
    if value == 0:
        raise FieldError(f"{field} {text!r} is zero")
    return value


def check_einvoice(document: EInvoice) -> tuple[EInvoiceRows | None, Rejection | None, list[RowWarning]]:
    """The invoice (or the credit) and the buyer of one e-invoice, or the reason it cannot be used."""
    warnings: list[RowWarning] = []
    values = _einvoice_values(document)
    problems: list[str] = []
    number = document.number
    if not number:
        problems.append("the e-invoice has no number (BT-1)")
    issue_date = _einvoice_date(problems, "issue date (BT-2)", document.issue_date, required=True)
    currency = _einvoice_currency(problems, document.currency)
    payable = _einvoice_amount(problems, "amount due (BT-115)", document.payable, required=True)
    prepaid = _einvoice_amount(problems, "paid amount (BT-113)", document.prepaid, required=False)
    buyer, buyer_problem, buyer_warning = _buyer(document)
    if buyer_problem:
        problems.append(buyer_problem)
    if buyer_warning:
        warnings.append(RowWarning(1, buyer_warning))
    if problems or not (number and issue_date and currency and payable is not None and buyer):
        return None, Rejection(1, "; ".join(problems), values), warnings
    if document.is_credit:
        rows, rejection = _credit(document, number, issue_date, currency, payable, buyer, values)
        return rows, rejection, warnings
    due_date = _einvoice_date(problems, "due date (BT-9)", document.due_date, required=False)
    if due_date is None and not problems:
        terms = f"; its payment terms say {document.payment_terms!r}" if document.payment_terms else ""
        problems.append(
            f"the e-invoice gives no due date (BT-9){terms}: add invoice {number} to an invoices CSV "
            "with its due date"
        )
    if payable == 0:
        problems.append(f"invoice {number} has nothing to pay (amount due 0)")
    if due_date and due_date < issue_date:
        problems.append(f"due date {due_date.isoformat()} is before issue date {issue_date.isoformat()}")
    paid = prepaid if prepaid is not None and prepaid > 0 else Decimal(0)
    # BT-115 is what remains after BT-113: the invoice's total is their sum, and what was paid stays paid.
    total = payable + paid
    decimals = _decimals_problem(total, currency) or _decimals_problem(paid, currency)
    if decimals:
        problems.append(decimals)
    else:
        total, paid = round_money(total, currency), round_money(paid, currency)
    if problems:
        return None, Rejection(1, "; ".join(problems), values), warnings
    assert due_date
    # The e-invoice speaks for these fields, not for a payment link or a status of Relance's own; for the
    # amount paid only when it states a prepayment (a later payment recorded here must not look lowered).
    given = {"invoice_id", "customer_id", "issue_date", "due_date", "currency", "total", "purchase_order"}
    invoice = InvoiceFields(
        line=1,
        invoice_id=number,
        customer_id=buyer.candidate_ids[0],
        issue_date=issue_date,
        due_date=due_date,
        currency=currency,
        total=total,
        given=frozenset(given | ({"amount_paid"} if paid else set())),
        amount_paid=paid or None,
        purchase_order=document.purchase_order,
    )
    return EInvoiceRows(buyer=buyer, invoice=invoice), None, warnings


def _credit(
    document: EInvoice,
    number: str,
    issue_date: date,
    currency: str,
    payable: Decimal,
    buyer: BuyerFields,
    values: dict[str, str],
) -> tuple[EInvoiceRows | None, Rejection | None]:
    """A credit note lowers what its invoice still owes, like a payment dated the day it was issued."""
    if not document.referenced_invoice:
        return None, Rejection(
            1,
            f"credit note {number} references no invoice (BillingReference / InvoiceReferencedDocument), "
            "so there is nothing to apply it to: record it against the invoice by hand",
            values,
        )
    amount = abs(payable)
    problem = "credit note amount is 0" if amount == 0 else _decimals_problem(amount, currency)
    if problem:
        return None, Rejection(1, problem, values)
    credit = PaymentFields(
        line=1,
        invoice_id=document.referenced_invoice,
        paid_on=issue_date,
        amount=amount,
        payment_id=f"credit-note:{number}",
        currency=currency,
        credit_note=number,
    )
    return EInvoiceRows(buyer=buyer, credit=credit), None


def _decimals_problem(amount: Decimal, currency: str) -> str | None:
    try:
        parse_money("amount", str(amount), currency, allow_zero=True)
    except FieldError as exc:
        return str(exc)
    return None


def _einvoice_date(problems: list[str], label: str, text: str | None, *, required: bool) -> date | None:
    if not text:
        if required:
            problems.append(f"the e-invoice has no {label}")
        return None
    try:
        return parse_date(label, text)
    except FieldError as exc:
        problems.append(str(exc))
        return None


def _einvoice_currency(problems: list[str], text: str | None) -> str | None:
    if not text:
        problems.append("the e-invoice has no currency (BT-5)")
        return None
    try:
        return check_currency(text)
    except AmountError as exc:
        problems.append(str(exc))
        return None


def _einvoice_amount(problems: list[str], label: str, text: str | None, *, required: bool) -> Decimal | None:
    """A plain XML decimal: a comma or a thousands separator here means the document is malformed."""
    if not text:
        if required:
            problems.append(f"the e-invoice has no {label}")
        return None
    try:
        value = Decimal(text)
    except ArithmeticError:
        problems.append(f"{label} {text!r} is not a number")
        return None
    if not value.is_finite():
        problems.append(f"{label} {text!r} is not a number")
        return None
    return value


def _buyer(document: EInvoice) -> tuple[BuyerFields | None, str | None, str | None]:
    party = document.buyer
    # Spaces inside a VAT or registration number ("FR 05 987 654 321") are layout, not part of the id.
    identifiers = ["".join(identifier.split()) for identifier in party.identifiers]
    candidates = tuple(dict.fromkeys([*identifiers, *([party.name] if party.name else [])]))
    if not candidates:
        return None, "the buyer has neither an identifier nor a name", None
    try:
        name = parse_text("buyer name", party.name or candidates[0])
        address = tuple(parse_text("buyer address", line) for line in party.address)
    except FieldError as exc:
        return None, str(exc), None
    email, warning = None, None
    if party.email:
        try:
            email = parse_email("buyer email", party.email)
        except FieldError as exc:
            warning = f"{exc}; not used"
    try:
        country = parse_country("buyer country", party.country or "")
    except FieldError:
        country = "FR"
    return BuyerFields(candidates, name, email, address, country), None, warning


def _einvoice_values(document: EInvoice) -> dict[str, str]:
    values = {
        "syntax": document.syntax,
        "number": document.number,
        "type_code": document.type_code,
        "issue_date": document.issue_date,
        "due_date": document.due_date,
        "currency": document.currency,
        "amount_due": document.payable,
        "buyer": document.buyer.name,
        "referenced_invoice": document.referenced_invoice,
    }
    return {key: value for key, value in values.items() if value}
