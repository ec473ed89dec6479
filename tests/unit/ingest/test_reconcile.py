"""What a row changes on the stored item: only the file's own fields, and never on the unsafe side."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from relance.domain.models import CustomerKind, InvoiceStatus
from relance.ingest.reconcile import (
    PaymentRefused,
    apply_payment,
    customer_changes,
    invoice_changes,
    new_invoice,
    payment_behaviour,
    payment_key,
)
from relance.ingest.rows import CustomerFields, InvoiceFields, PaymentFields

STORED_CUSTOMER: dict[str, Any] = {
    "name": "ACME",
    "email": "compta@acme.example",
    "cc": [],
    "language": "fr",
    "kind": "business",
    "address": ["1 rue A", "69001 Lyon"],
    "country": "FR",
    "siren": None,
    "account_manager_email": None,
    "policy": None,
    "waive_penalties": False,
    "do_not_dun": True,
}


def customer(**fields: Any) -> CustomerFields:
    values: dict[str, Any] = {
        "line": 2,
        "customer_id": "C1",
        "name": "ACME",
        "email": "compta@acme.example",
        "given": frozenset({"customer_id", "name", "email", "address"}),
        "address": ("1 rue A", "69001 Lyon"),
    }
    values.update(fields)
    return CustomerFields(**values)


def test_a_customer_as_stored_has_no_change():
    assert customer_changes(STORED_CUSTOMER, customer()) == {}


def test_only_the_columns_of_the_file_are_compared():
    # do_not_dun is True in the table; a file without that column must not reset it to False
    assert customer_changes(STORED_CUSTOMER, customer(do_not_dun=False)) == {}
    assert customer_changes(
        STORED_CUSTOMER, customer(do_not_dun=False, given=frozenset({"name", "email", "do_not_dun"}))
    ) == {"do_not_dun": False}


def test_changed_fields_are_returned_as_stored_values():
    changes = customer_changes(
        STORED_CUSTOMER,
        customer(
            email="ap@acme.example",
            kind=CustomerKind.CONSUMER,
            given=frozenset({"name", "email", "kind", "address"}),
        ),
    )

    assert changes == {"email": "ap@acme.example", "kind": "consumer"}


def invoice(**fields: Any) -> InvoiceFields:
    values: dict[str, Any] = {
        "line": 2,
        "invoice_id": "F-1",
        "customer_id": "C1",
        "issue_date": date(2026, 2, 1),
        "due_date": date(2026, 3, 3),
        "currency": "EUR",
        "total": Decimal("1200.00"),
        "given": frozenset({"invoice_id", "customer_id", "issue_date", "due_date", "currency", "total"}),
    }
    values.update(fields)
    return InvoiceFields(**values)


STORED_INVOICE: dict[str, Any] = {
    "issue_date": date(2026, 2, 1),
    "due_date": date(2026, 3, 3),
    "currency": "EUR",
    "total": Decimal("1200.00"),
    "amount_paid": Decimal("200.00"),
    "payment_link": "https://pay.example/F-1",
    "purchase_order": None,
    "status": "open",
}


def test_a_new_invoice_is_open_with_nothing_paid_unless_the_file_says_otherwise():
    plan = new_invoice(invoice())

    assert plan.values["status"] == "open"
    assert plan.values["amount_paid"] == Decimal("0")


def test_a_new_invoice_already_paid_in_full_is_stored_paid():
    plan = new_invoice(invoice(amount_paid=Decimal("1200.00")))

    assert plan.values["status"] == "paid"


def test_an_invoice_as_stored_has_no_change_even_with_decimals_written_differently():
    assert invoice_changes(STORED_INVOICE, invoice(total=Decimal("1200.0"))).values == {}


def test_a_new_due_date_is_a_change_that_reschedules():
    plan = invoice_changes(STORED_INVOICE, invoice(due_date=date(2026, 3, 31)))

    assert plan.values == {"due_date": date(2026, 3, 31)}
    assert plan.reschedule


def test_a_new_purchase_order_is_a_change_that_leaves_the_schedule_alone():
    plan = invoice_changes(
        STORED_INVOICE, invoice(purchase_order="PO-1", given=invoice().given | {"purchase_order"})
    )

    assert plan.values == {"purchase_order": "PO-1"}
    assert not plan.reschedule


def test_the_file_never_lowers_the_amount_the_payments_recorded():
    plan = invoice_changes(
        STORED_INVOICE, invoice(amount_paid=Decimal("0.00"), given=invoice().given | {"amount_paid"})
    )

    assert plan.values == {}
    assert plan.warnings == (
        "amount_paid 0.00 in the file is below the 200.00 already recorded (payments files); "
        "kept the recorded amount",
    )


def test_a_higher_amount_paid_is_taken_and_marks_the_invoice_paid_when_nothing_is_left():
    plan = invoice_changes(
        STORED_INVOICE, invoice(amount_paid=Decimal("1200.00"), given=invoice().given | {"amount_paid"})
    )

    assert plan.values == {"amount_paid": Decimal("1200.00"), "status": "paid"}


def test_a_file_can_dispute_an_invoice_but_never_reopen_one():
    disputed = invoice_changes(STORED_INVOICE, invoice(status=InvoiceStatus.DISPUTED))
    reopened = invoice_changes(STORED_INVOICE | {"status": "disputed"}, invoice(status=InvoiceStatus.OPEN))

    assert disputed.values == {"status": "disputed"}
    assert reopened.values == {}
    assert "never reopens" in reopened.warnings[0]


def test_a_paid_invoice_is_not_cancelled_by_a_file():
    plan = invoice_changes(STORED_INVOICE | {"status": "paid"}, invoice(status=InvoiceStatus.CANCELLED))

    assert plan.values == {}
    assert plan.warnings == ("the file says cancelled but the invoice is paid; kept",)


def payment(**fields: Any) -> PaymentFields:
    values: dict[str, Any] = {
        "line": 2,
        "invoice_id": "F-1",
        "paid_on": date(2026, 3, 10),
        "amount": Decimal("300"),
    }
    values.update(fields)
    return PaymentFields(**values)


def pay(
    amount: str,
    *,
    paid: str = "0",
    status: InvoiceStatus = InvoiceStatus.OPEN,
    currency: str = "EUR",
    **fields: Any,
):
    return apply_payment(
        total=Decimal("1000.00"),
        amount_paid=Decimal(paid),
        currency=currency,
        status=status,
        paid_on=None,
        payment=payment(amount=Decimal(amount), **fields),
    )


def test_a_partial_payment_lowers_the_balance_and_keeps_the_invoice_open():
    outcome = pay("300")

    assert (outcome.amount_paid, outcome.balance, outcome.status) == (
        Decimal("300"),
        Decimal("700.00"),
        InvoiceStatus.OPEN,
    )
    assert not outcome.became_paid
    assert outcome.paid_on is None


def test_the_payment_that_settles_the_invoice_marks_it_paid_on_its_date():
    outcome = pay("700", paid="300")

    assert outcome.status is InvoiceStatus.PAID
    assert outcome.paid_on == date(2026, 3, 10)
    assert outcome.became_paid


def test_an_overpayment_is_accepted_marked_paid_and_flagged():
    outcome = pay("1000.50")

    assert outcome.status is InvoiceStatus.PAID
    assert outcome.warnings == ("overpaid by 0.50 EUR",)


def test_a_payment_on_a_cancelled_invoice_is_recorded_without_reopening_it():
    outcome = pay("1000", status=InvoiceStatus.CANCELLED)

    assert outcome.status is InvoiceStatus.CANCELLED
    assert "is cancelled; payment recorded, status kept" in outcome.warnings[0]


@pytest.mark.parametrize(
    ("amount", "currency", "payment_currency", "reason"),
    [
        ("10.5", "JPY", None, "more decimals than JPY allows"),
        ("10", "EUR", "USD", "the payment is in USD but invoice F-1 is in EUR"),
    ],
)
def test_a_payment_that_does_not_fit_its_invoice_is_refused(
    amount: str, currency: str, payment_currency: str | None, reason: str
):
    with pytest.raises(PaymentRefused, match=reason):
        apply_payment(
            total=Decimal("1000.00"),
            amount_paid=Decimal("0"),
            currency=currency,
            status=InvoiceStatus.OPEN,
            paid_on=None,
            payment=payment(amount=Decimal(amount), currency=payment_currency),
        )


def test_the_payment_key_is_the_same_for_the_same_payment_in_any_file():
    assert payment_key(payment(payment_id="VIR-1", line=2)) == payment_key(
        payment(payment_id="VIR-1", line=40)
    )
    assert payment_key(payment(amount=Decimal("300.00"))) == payment_key(payment(amount=Decimal("300")))


def test_the_payment_key_tells_apart_what_is_really_another_payment():
    keys = {
        payment_key(payment()),
        payment_key(payment(occurrence=2)),
        payment_key(payment(amount=Decimal("301"))),
        payment_key(payment(paid_on=date(2026, 3, 11))),
        payment_key(payment(invoice_id="F-2")),
        payment_key(payment(payment_id="VIR-1")),
        payment_key(payment(payment_id="VIR-1", invoice_id="F-2")),
    }

    assert len(keys) == 7


def test_a_late_payment_updates_the_count_and_the_average_delay_of_late_invoices():
    assert payment_behaviour(0, Decimal("0"), date(2026, 3, 1), date(2026, 3, 11)) == (1, Decimal("10.00"))
    assert payment_behaviour(2, Decimal("10.00"), date(2026, 3, 1), date(2026, 3, 6)) == (3, Decimal("8.33"))


def test_a_payment_on_time_leaves_the_behaviour_alone():
    assert payment_behaviour(2, Decimal("10.00"), date(2026, 3, 1), date(2026, 3, 1)) is None
