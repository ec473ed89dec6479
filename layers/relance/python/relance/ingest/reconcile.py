"""What a validated row changes on the stored item, decided without touching the store.

The rules keep the book safe from its own exports: a file speaks only for the columns it has, never
lowers an amount the payments recorded, never reopens a dispute, and never touches the dunning state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from relance.domain.amounts import ZERO, minor_unit, quantum
from relance.domain.models import InvoiceStatus
from relance.ingest.rows import CustomerFields, InvoiceFields, PaymentFields

CUSTOMER_FIELDS = (
    "name",
    "email",
    "cc",
    "language",
    "kind",
    "address",
    "country",
    "siren",
    "account_manager_email",
    "policy",
    "waive_penalties",
    "do_not_dun",
    "contract_rate",
    "phone",
    "legal_form",
    "merchant",
)
# A change to these can start, stop or re-pace the customer's reminders.
CUSTOMER_SCHEDULE_FIELDS = frozenset({"do_not_dun", "policy", "kind"})
INVOICE_FIELDS = (
    "issue_date",
    "due_date",
    "currency",
    "total",
    "amount_paid",
    "payment_link",
    "purchase_order",
    "status",
    "contract_rate",
)
INVOICE_SCHEDULE_FIELDS = frozenset({"due_date", "currency", "total", "amount_paid", "status"})
# A file may stop dunning (cancel, dispute); only a person reopens, in the console.
_FILE_STOPS = frozenset({InvoiceStatus.CANCELLED, InvoiceStatus.DISPUTED})
_FINAL = frozenset({InvoiceStatus.PAID, InvoiceStatus.WRITTEN_OFF})
_NOT_PAYABLE = frozenset({InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF})
_DAYS = Decimal("0.01")


class PaymentRefused(ValueError):
    """A payment that cannot be applied to the invoice found for it; the message is the reason."""


def customer_values(fields: CustomerFields) -> dict[str, Any]:
    """Every source field as the customers table stores it."""
    return {
        "name": fields.name,
        "email": fields.email,
        "cc": list(fields.cc),
        "language": fields.language,
        "kind": fields.kind.value,
        "address": list(fields.address),
        "country": fields.country,
        "siren": fields.siren,
        "account_manager_email": fields.account_manager_email,
        "policy": fields.policy,
        "waive_penalties": fields.waive_penalties,
        "do_not_dun": fields.do_not_dun,
        "contract_rate": fields.contract_rate,
        "phone": fields.phone,
        "legal_form": fields.legal_form,
        "merchant": fields.merchant,
    }


def customer_changes(stored: Mapping[str, Any], fields: CustomerFields) -> dict[str, Any]:
    """The fields the file gives that differ from the stored customer; empty when nothing changed."""
    wanted = customer_values(fields)
    given = {"name", "email"} | set(fields.given)
    return {
        name: wanted[name]
        for name in CUSTOMER_FIELDS
        if name in given and _comparable(stored.get(name)) != _comparable(wanted[name])
    }


def _comparable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    if value == "":
        return None
    return value


@dataclass(frozen=True)
class InvoicePlan:
    """Attributes to set (None removes one), and what a person should know about the choice made."""

    values: Mapping[str, Any]
    warnings: tuple[str, ...] = ()

    @property
    def reschedule(self) -> bool:
        return bool(INVOICE_SCHEDULE_FIELDS & set(self.values))


def new_invoice(fields: InvoiceFields) -> InvoicePlan:
    paid = fields.amount_paid or ZERO
    status = fields.status or InvoiceStatus.OPEN
    if status is InvoiceStatus.OPEN and fields.total - paid <= 0:
        # Paid in full before Relance ever saw it: nothing to chase, and not an open invoice in the aging.
        status = InvoiceStatus.PAID
    values = {
        "issue_date": fields.issue_date,
        "due_date": fields.due_date,
        "currency": fields.currency,
        "total": fields.total,
        "amount_paid": paid,
        "payment_link": fields.payment_link,
        "purchase_order": fields.purchase_order,
        "status": status.value,
        "contract_rate": fields.contract_rate,
    }
    return InvoicePlan(values=values)


def invoice_changes(stored: Mapping[str, Any], fields: InvoiceFields) -> InvoicePlan:
    """The stored invoice's source fields the file changes, with the safe-side rules for paid and status."""
    warnings: list[str] = []
    values: dict[str, Any] = {}
    plain = {
        "issue_date": fields.issue_date,
        "due_date": fields.due_date,
        "currency": fields.currency,
        "total": fields.total,
        "payment_link": fields.payment_link,
        "purchase_order": fields.purchase_order,
        "contract_rate": fields.contract_rate,
    }
    for name, value in plain.items():
        if name in fields.given and _comparable(stored.get(name)) != _comparable(value):
            values[name] = value
    stored_paid: Decimal = stored.get("amount_paid") or ZERO
    if fields.amount_paid is not None and fields.amount_paid != stored_paid:
        if fields.amount_paid > stored_paid:
            values["amount_paid"] = fields.amount_paid
        else:
            warnings.append(
                f"amount_paid {fields.amount_paid} in the file is below the {stored_paid} already recorded "
                "(payments files); kept the recorded amount"
            )
    stored_status = InvoiceStatus(stored.get("status") or InvoiceStatus.OPEN.value)
    if fields.status in _FILE_STOPS and fields.status is not stored_status:
        if stored_status in _FINAL:
            warnings.append(
                f"the file says {fields.status.value} but the invoice is {stored_status.value}; kept"
            )
        else:
            values["status"] = fields.status.value
    elif fields.status is InvoiceStatus.OPEN and stored_status in _FILE_STOPS:
        warnings.append(
            f"the file says open but the invoice is {stored_status.value}; a file never reopens an invoice "
            "(use the console)"
        )
    total = values.get("total", stored.get("total"))
    paid = values.get("amount_paid", stored_paid)
    status = InvoiceStatus(values.get("status", stored_status.value))
    if "amount_paid" in values and total - paid <= 0 and status not in _FINAL | _NOT_PAYABLE:
        values["status"] = InvoiceStatus.PAID.value
    return InvoicePlan(values=values, warnings=tuple(warnings))


@dataclass(frozen=True)
class PaymentOutcome:
    amount_paid: Decimal
    status: InvoiceStatus
    paid_on: date | None
    balance: Decimal
    became_paid: bool
    warnings: tuple[str, ...] = ()


def apply_payment(
    *,
    total: Decimal,
    amount_paid: Decimal,
    currency: str,
    status: InvoiceStatus,
    paid_on: date | None,
    payment: PaymentFields,
) -> PaymentOutcome:
    """The invoice after one payment: paid when nothing is left (an overpayment is kept and flagged)."""
    if payment.currency and payment.currency != currency:
        raise PaymentRefused(
            f"the payment is in {payment.currency} but invoice {payment.invoice_id} is in {currency}"
        )
    if payment.amount != payment.amount.quantize(quantum(currency)):
        raise PaymentRefused(
            f"amount {payment.amount} has more decimals than {currency} allows ({minor_unit(currency)})"
        )
    new_paid = amount_paid + payment.amount
    balance = total - new_paid
    warnings: list[str] = []
    if status is InvoiceStatus.PAID:
        warnings.append(f"invoice {payment.invoice_id} was already paid")
    if balance < 0:
        warnings.append(f"overpaid by {-balance} {currency}")
    if status in _NOT_PAYABLE:
        warnings.append(f"invoice {payment.invoice_id} is {status.value}; payment recorded, status kept")
        return PaymentOutcome(new_paid, status, paid_on, balance, became_paid=False, warnings=tuple(warnings))
    if balance <= 0:
        became_paid = status is not InvoiceStatus.PAID
        return PaymentOutcome(
            new_paid,
            InvoiceStatus.PAID,
            payment.paid_on if became_paid else paid_on,
            balance,
            became_paid=became_paid,
            warnings=tuple(warnings),
        )
    return PaymentOutcome(new_paid, status, paid_on, balance, became_paid=False, warnings=tuple(warnings))


def payment_key(payment: PaymentFields) -> str:
    """The same payment always gets the same key, whichever file brings it and however often.

    With a reference, the reference and the invoice make it (one transfer may settle several invoices);
    without, the invoice, date, amount and its rank among identical rows of the file.
    """
    if payment.payment_id:
        basis = f"ref\x00{payment.invoice_id}\x00{payment.payment_id}"
    else:
        amount = format(payment.amount.normalize(), "f")
        fields = (payment.invoice_id, payment.paid_on.isoformat(), amount, str(payment.occurrence))
        basis = "row\x00" + "\x00".join(fields)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def payment_behaviour(
    late_invoices: int, average_days_late: Decimal, due_date: date, paid_on: date
) -> tuple[int, Decimal] | None:
    """The customer's late count and average delay once an invoice is paid; None when it was on time.

    The average is over the late invoices, so it reads "when they pay late, it is by N days".
    """
    days_late = (paid_on - due_date).days
    if days_late <= 0:
        return None
    count = late_invoices + 1
    average = (average_days_late * late_invoices + days_late) / count
    return count, average.quantize(_DAYS, rounding=ROUND_HALF_UP)
