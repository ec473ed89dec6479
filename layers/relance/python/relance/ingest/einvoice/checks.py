"""An e-invoice's invoice (or credit note) and buyer, checked with the same rules as a CSV row.

One document is one row (line 1): it is accepted whole or rejected with every problem found.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from relance.domain.amounts import AmountError, check_currency, round_money
from relance.ingest.einvoice.document import EInvoice
from relance.ingest.errors import FieldError
from relance.ingest.fields import (
    MAX_AMOUNT,
    character_names,
    check_year,
    cut,
    parse_country,
    parse_date,
    parse_email,
    parse_id,
    parse_money,
    parse_name,
    parse_text,
    shown,
    without_invisible,
)
from relance.ingest.rows import BuyerFields, EInvoiceRows, InvoiceFields, PaymentFields, Rejection, RowWarning
from relance.rendering.mime import INVISIBLE


def check_einvoice(document: EInvoice) -> tuple[EInvoiceRows | None, Rejection | None, list[RowWarning]]:
    """The invoice (or the credit) and the buyer of one e-invoice, or the reason it cannot be used."""
    warnings: list[RowWarning] = []
    values = _einvoice_values(document)
    problems: list[str] = []
    number = _einvoice_number(problems, document.number)
    issue_date = _einvoice_date(problems, "issue date (BT-2)", document.issue_date, required=True)
    currency = _einvoice_currency(problems, document.currency)
    payable = _einvoice_amount(problems, "amount due (BT-115)", document.payable, required=True)
    prepaid = _einvoice_amount(problems, "paid amount (BT-113)", document.prepaid, required=False)
    buyer, buyer_problem, buyer_warnings = _buyer(document)
    if buyer_problem:
        problems.append(buyer_problem)
    warnings.extend(RowWarning(1, warning) for warning in buyer_warnings)
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
        values=values,
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
        values=values,
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
        return check_year(label, parse_date(label, text), text)
    except FieldError as exc:
        problems.append(str(exc))
        return None


def _einvoice_number(problems: list[str], text: str | None) -> str | None:
    if not text:
        problems.append("the e-invoice has no number (BT-1)")
        return None
    try:
        return parse_id("invoice number (BT-1)", text)
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
        problems.append(f"{label} {shown(text)} is not a number")
        return None
    if not value.is_finite():
        problems.append(f"{label} {shown(text)} is not a number")
        return None
    if abs(value) >= MAX_AMOUNT:
        problems.append(f"{label} {shown(text)} is too large: amounts must stay below 1 000 000 000 000")
        return None
    return value


def _buyer(document: EInvoice) -> tuple[BuyerFields | None, str | None, list[str]]:
    party = document.buyer
    # Spaces inside a VAT or registration number ("FR 05 987 654 321") are layout, not part of the id.
    identifiers = ["".join(identifier.split()) for identifier in party.identifiers]
    hidden = [char for identifier in identifiers for char in INVISIBLE.findall(identifier)]
    if hidden:
        return None, f"a buyer identifier holds an invisible character ({character_names(hidden)})", []
    candidates = tuple(dict.fromkeys([*identifiers, *([party.name] if party.name else [])]))
    if not candidates:
        return None, "the buyer has neither an identifier nor a name", []
    warnings: list[str] = []
    try:
        ids = tuple(parse_id("buyer identifier", candidate) for candidate in candidates[: len(identifiers)])
        name, warning = without_invisible("buyer name", parse_name("buyer name", party.name or candidates[0]))
        address = tuple(parse_text("buyer address", line) for line in party.address)
    except FieldError as exc:
        return None, str(exc), []
    if warning:
        warnings.append(warning)
    if not ids:
        try:
            parse_id("buyer name, its only identifier", name)
        except FieldError as exc:
            return None, str(exc), []
    # The name is the last candidate id: it is matched as the file gave it, once cleaned.
    candidates = tuple(dict.fromkeys([*ids, *([name] if party.name else [])]))
    email = None
    if party.email:
        try:
            email = parse_email("buyer email", party.email)
        except FieldError as exc:
            warnings.append(f"{exc}; not used")
    try:
        country = parse_country("buyer country", party.country or "")
    except FieldError:
        country = "FR"
    return BuyerFields(candidates, name, email, address, country), None, warnings


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
    return {key: cut(value) for key, value in values.items() if value}
