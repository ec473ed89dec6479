"""The digest's figures: what is owed by age, days sales outstanding by countback, the overdue trend."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.domain.aging import (
    Basis,
    Bucket,
    Direction,
    Snapshot,
    age_receivables,
    bucket_of,
    countback_dso,
    overdue_trend,
    scale,
)
from relance.domain.models import InvoiceStatus

from .builders import invoice

TODAY = date(2026, 5, 15)


def due_days_ago(days: int, total: str = "100.00", invoice_id: str = "F1", **changes: object):
    return invoice(invoice_id, due=TODAY - timedelta(days=days), total=total, **changes)


@pytest.mark.parametrize(
    ("days_overdue", "bucket"),
    [
        (-10, Bucket.NOT_DUE),
        (0, Bucket.NOT_DUE),  # due today is not late yet
        (1, Bucket.DAYS_1_30),
        (30, Bucket.DAYS_1_30),
        (31, Bucket.DAYS_31_60),
        (60, Bucket.DAYS_31_60),
        (61, Bucket.DAYS_61_90),
        (90, Bucket.DAYS_61_90),
        (91, Bucket.OVER_90),
        (400, Bucket.OVER_90),
    ],
)
def test_an_invoice_falls_in_the_bucket_of_its_days_past_due(days_overdue: int, bucket: Bucket):
    assert bucket_of(days_overdue) is bucket
    aging = age_receivables([due_days_ago(days_overdue, "250.00")], TODAY)["EUR"]
    assert aging.of(bucket).amount == Decimal("250.00")
    assert aging.of(bucket).count == 1
    assert aging.total == Decimal("250.00")


def test_only_what_is_still_owed_counts_and_a_part_payment_counts_for_its_balance():
    invoices = [
        due_days_ago(10, "1000.00", "PAID", status=InvoiceStatus.PAID, amount_paid=Decimal("1000.00")),
        due_days_ago(10, "500.00", "CANCELLED", status=InvoiceStatus.CANCELLED),
        due_days_ago(10, "300.00", "WRITTEN", status=InvoiceStatus.WRITTEN_OFF),
        due_days_ago(10, "800.00", "PART", amount_paid=Decimal("300.00")),
        due_days_ago(45, "200.00", "DISPUTED", status=InvoiceStatus.DISPUTED),
        due_days_ago(45, "150.00", "PLAN", status=InvoiceStatus.PLAN),
        due_days_ago(-5, "90.00", "NEXT", status=InvoiceStatus.PROMISED),
    ]

    aging = age_receivables(invoices, TODAY)["EUR"]

    assert aging.of(Bucket.DAYS_1_30).amount == Decimal("500.00")
    assert aging.of(Bucket.DAYS_31_60).amount == Decimal("350.00")
    assert aging.of(Bucket.NOT_DUE).amount == Decimal("90.00")
    assert (aging.total, aging.count) == (Decimal("940.00"), 4)
    assert (aging.overdue, aging.overdue_count) == (Decimal("850.00"), 3)


def test_currencies_are_never_added_together():
    invoices = [due_days_ago(5, "100.00", "E1"), due_days_ago(5, "70.00", "U1", currency="USD")]

    aging = age_receivables(invoices, TODAY)

    assert list(aging) == ["EUR", "USD"]
    assert aging["EUR"].overdue == Decimal("100.00")
    assert aging["USD"].overdue == Decimal("70.00")


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@given(st.lists(st.tuples(st.integers(-60, 400), amounts, amounts), max_size=30))
def test_the_buckets_share_out_every_open_balance_exactly_once(rows):
    invoices = [
        due_days_ago(days, str(total + paid), f"F{n}", amount_paid=paid)
        for n, (days, total, paid) in enumerate(rows)
    ]

    aging = age_receivables(invoices, TODAY)

    owed = [item for item in invoices if item.balance > 0]
    if not owed:
        assert aging == {}
        return
    assert aging["EUR"].total == sum(item.balance for item in owed)
    assert aging["EUR"].count == len(owed)
    assert aging["EUR"].overdue == sum(item.balance for item in owed if item.due_date < TODAY)


# ---------------------------------------------------------------- DSO


def issued(days_ago: int, total: str, invoice_id: str, paid: bool) -> object:
    day = TODAY - timedelta(days=days_ago)
    return invoice(
        invoice_id,
        due=day + timedelta(days=30),
        total=total,
        issue_date=day,
        status=InvoiceStatus.PAID if paid else InvoiceStatus.OPEN,
        amount_paid=Decimal(total) if paid else Decimal("0"),
    )


def test_with_steady_sales_countback_agrees_with_receivables_over_the_last_90_days_sales():
    # 1 000 invoiced every day for a year; customers pay 45 days after the invoice.
    invoices = [issued(days_ago, "1000.00", f"F{days_ago}", paid=days_ago >= 45) for days_ago in range(365)]
    receivables = sum(item.balance for item in invoices)
    sales_90 = sum(item.total for item in invoices if item.issue_date > TODAY - timedelta(days=90))

    dso = countback_dso(invoices, TODAY, "EUR")

    assert dso.receivables == receivables == Decimal("45000.00")
    assert dso.days == receivables / sales_90 * 90 == Decimal("45")


def test_a_quiet_last_quarter_pushes_the_count_back_instead_of_dividing_by_nothing():
    # Nothing invoiced for 90 days; 3 000 invoiced 90 to 119 days ago, half of it unpaid.
    invoices = [issued(90 + n, "100.00", f"F{n}", paid=n % 2 == 0) for n in range(30)]

    dso = countback_dso(invoices, TODAY, "EUR")

    # Three empty periods of 30 days, then half of the fourth: 90 + 15.
    assert dso.receivables == Decimal("1500.00")
    assert dso.days == Decimal("105.0")


def test_nothing_owed_is_zero_days_and_owing_more_than_was_ever_sold_is_no_figure():
    paid = [issued(10, "500.00", "F1", paid=True)]
    assert countback_dso(paid, TODAY, "EUR").days == Decimal("0")

    # An invoice dated after the day: owed, but not a sale of any period counted.
    future = [replace(issued(0, "500.00", "F2", paid=False), issue_date=TODAY + timedelta(days=3))]
    dso = countback_dso(future, TODAY, "EUR")
    assert dso.days is None
    assert dso.note is not None


def test_cancelled_invoices_are_not_sales():
    invoices = [
        issued(5, "1000.00", "F1", paid=False),
        replace(issued(5, "1000.00", "F2", paid=False), status=InvoiceStatus.CANCELLED),
    ]

    # 1 000 owed against 1 000 sold in the latest period: the whole period.
    assert countback_dso(invoices, TODAY, "EUR").days == Decimal("30.0")


# ---------------------------------------------------------------- trend


def test_the_overdue_total_is_compared_with_the_previous_digest_and_those_of_7_and_30_days_before():
    history = [
        Snapshot(TODAY - timedelta(days=1), {"EUR": Decimal("900.00")}),
        Snapshot(TODAY - timedelta(days=7), {"EUR": Decimal("1000.00")}),
        Snapshot(TODAY - timedelta(days=8), {"EUR": Decimal("5.00")}),
        Snapshot(TODAY - timedelta(days=32), {"EUR": Decimal("400.00")}),  # within the 3 days allowed
    ]

    [previous, week, month] = overdue_trend({"EUR": Decimal("950.00")}, TODAY, history)["EUR"]

    assert (previous.basis, previous.reference_on, previous.delta) == (
        Basis.PREVIOUS,
        TODAY - timedelta(days=1),
        Decimal("50.00"),
    )
    assert previous.direction is Direction.UP
    assert (week.reference_on, week.delta, week.direction) == (
        TODAY - timedelta(days=7),
        Decimal("-50.00"),
        Direction.DOWN,
    )
    assert (month.reference_on, month.delta) == (TODAY - timedelta(days=32), Decimal("550.00"))


def test_without_a_digest_near_the_day_there_is_no_comparison_and_a_cleared_currency_shows_at_zero():
    history = [Snapshot(TODAY - timedelta(days=12), {"USD": Decimal("80.00")})]

    trend = overdue_trend({"EUR": Decimal("10.00")}, TODAY, history)

    [previous, week, month] = trend["EUR"]
    assert previous.before == Decimal("0")  # no EUR overdue twelve days ago
    assert week.reference_on is None
    assert week.delta is None
    assert week.direction is None
    assert month.reference_on is None
    assert trend["USD"][0].after == Decimal("0")
    assert trend["USD"][0].delta == Decimal("-80.00")


# ---------------------------------------------------------------- charts


@given(st.lists(st.decimals(min_value=0, max_value=10**9, places=2), min_size=1, max_size=8))
def test_bars_are_proportional_to_the_amounts_and_the_longest_has_the_full_length(values):
    lengths = scale(values, 320)

    top = max(values)
    for value, length in zip(values, lengths, strict=True):
        if top == 0 or value == 0:
            assert length == 0
        else:
            assert abs(length - value * 320 / top) <= 1
            assert length >= 1
    if top > 0:
        assert max(lengths) == 320
