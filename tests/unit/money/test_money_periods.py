"""How a delay is cut into periods: at each half-year rate change and each change of the balance owed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.money import ClaimError, Jurisdiction, compute_claim

D = Decimal
# 36,500.00 a year at r% over d days is exactly r x d: keeps hand-checked expectations readable.
EASY = D("36500.00")


def periods(claim):
    return [(p.start, p.end, p.days, p.rate, p.balance, p.interest) for p in claim.periods]


def test_a_delay_across_31_december_is_split_with_each_half_year_rate(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("10000.00"),
        currency="EUR",
        due=date(2024, 12, 20),
        as_of=date(2025, 1, 10),
        rates=book,
    )

    assert periods(claim) == [
        # 10,000 x 14.25% x 11 / 365 = 42.945... -> 42.95 (half-up)
        (date(2024, 12, 21), date(2024, 12, 31), 11, D("14.25"), D("10000.00"), D("42.95")),
        # 10,000 x 13.15% x 10 / 365 = 36.027... -> 36.03
        (date(2025, 1, 1), date(2025, 1, 10), 10, D("13.15"), D("10000.00"), D("36.03")),
    ]
    assert claim.interest == D("78.98")


def test_a_delay_across_30_june_is_split_at_1_july_in_germany(book):
    claim = compute_claim(
        Jurisdiction.DE,
        amount=D("5000.00"),
        currency="EUR",
        due=date(2024, 6, 25),
        as_of=date(2024, 7, 5),
        rates=book,
    )

    assert periods(claim) == [
        # base rate 3.62 + 9 points, then 3.37 + 9 points
        (date(2024, 6, 26), date(2024, 6, 30), 5, D("12.62"), D("5000.00"), D("8.64")),
        (date(2024, 7, 1), date(2024, 7, 5), 5, D("12.37"), D("5000.00"), D("8.47")),
    ]
    assert claim.indemnity == D("40.00")


def test_leap_years_still_count_365_days_a_year_and_29_february_is_a_day_late(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=EASY,
        currency="EUR",
        due=date(2024, 2, 27),
        as_of=date(2024, 3, 2),
        rates=book,
    )

    # 28 Feb, 29 Feb, 1 Mar, 2 Mar at 14.50%: 36,500 x 14.50% x 4 / 365 = 58.00 (Actual/366 would give 57.84).
    assert periods(claim) == [(date(2024, 2, 28), date(2024, 3, 2), 4, D("14.50"), EASY, D("58.00"))]


def test_a_whole_leap_half_year_has_182_days_over_365(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=EASY,
        currency="EUR",
        due=date(2023, 12, 31),
        as_of=date(2024, 6, 30),
        rates=book,
    )

    assert periods(claim) == [(date(2024, 1, 1), date(2024, 6, 30), 182, D("14.50"), EASY, D("2639.00"))]


def test_a_delay_spanning_four_half_years_has_one_period_per_half_year(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=EASY,
        currency="EUR",
        due=date(2023, 5, 31),
        as_of=date(2024, 10, 15),
        rates=book,
    )

    assert periods(claim) == [
        (date(2023, 6, 1), date(2023, 6, 30), 30, D("12.50"), EASY, D("375.00")),
        (date(2023, 7, 1), date(2023, 12, 31), 184, D("14.00"), EASY, D("2576.00")),
        (date(2024, 1, 1), date(2024, 6, 30), 182, D("14.50"), EASY, D("2639.00")),
        (date(2024, 7, 1), date(2024, 10, 15), 107, D("14.25"), EASY, D("1524.75")),
    ]
    assert claim.interest == D("7114.75")
    assert claim.total_claim == EASY + D("7114.75") + D("40.00")


def test_a_part_payment_on_30_june_counts_from_1_july_so_one_cut_serves_both_changes(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=EASY,
        currency="EUR",
        due=date(2025, 5, 31),
        as_of=date(2025, 7, 31),
        payments=[(date(2025, 6, 30), D("18250.00"))],
        rates=book,
    )

    assert periods(claim) == [
        (date(2025, 6, 1), date(2025, 6, 30), 30, D("13.15"), EASY, D("394.50")),
        # 18,250 x 12.15% x 31 / 365 = 188.325 -> 188.33 (half-up)
        (date(2025, 7, 1), date(2025, 7, 31), 31, D("12.15"), D("18250.00"), D("188.33")),
    ]
    assert claim.principal_due == D("18250.00")


def test_a_part_payment_on_1_july_leaves_the_old_balance_accruing_that_day(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=EASY,
        currency="EUR",
        due=date(2025, 5, 31),
        as_of=date(2025, 7, 31),
        payments=[(date(2025, 7, 1), D("18250.00"))],
        rates=book,
    )

    assert periods(claim) == [
        (date(2025, 6, 1), date(2025, 6, 30), 30, D("13.15"), EASY, D("394.50")),
        (date(2025, 7, 1), date(2025, 7, 1), 1, D("12.15"), EASY, D("12.15")),
        (date(2025, 7, 2), date(2025, 7, 31), 30, D("12.15"), D("18250.00"), D("182.25")),
    ]


def test_a_part_payment_on_31_december_counts_from_1_january(book):
    claim = compute_claim(
        Jurisdiction.DE,
        amount=EASY,
        currency="EUR",
        due=date(2024, 12, 30),
        as_of=date(2025, 1, 2),
        payments=[(date(2024, 12, 31), D("36000.00"))],
        rates=book,
    )

    assert [(p.start, p.end, p.balance) for p in claim.periods] == [
        (date(2024, 12, 31), date(2024, 12, 31), EASY),
        (date(2025, 1, 1), date(2025, 1, 2), D("500.00")),
    ]


def test_credit_notes_and_payments_on_the_same_day_lower_the_balance_together(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=EASY,
        currency="EUR",
        due=date(2025, 3, 31),
        as_of=date(2025, 4, 30),
        payments=[(date(2025, 4, 10), D("10000.00")), (date(2025, 4, 10), D("6500.00"))],
        rates=book,
    )

    assert [(p.start, p.end, p.balance) for p in claim.periods] == [
        (date(2025, 4, 1), date(2025, 4, 10), EASY),
        (date(2025, 4, 11), date(2025, 4, 30), D("20000.00")),
    ]


def test_interest_stops_once_part_payments_clear_the_balance(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("1000.00"),
        currency="EUR",
        due=date(2025, 3, 31),
        as_of=date(2025, 6, 30),
        payments=[(date(2025, 4, 10), D("400.00")), (date(2025, 4, 20), D("600.00"))],
        rates=book,
    )

    assert [(p.start, p.end, p.balance) for p in claim.periods] == [
        (date(2025, 4, 1), date(2025, 4, 10), D("1000.00")),
        (date(2025, 4, 11), date(2025, 4, 20), D("600.00")),
    ]
    assert claim.principal_due == D("0.00")
    assert claim.indemnity == D("40.00")


def test_a_payment_before_the_due_date_lowers_the_balance_that_becomes_late(book):
    claim = compute_claim(
        Jurisdiction.UK,
        amount=D("12000.00"),
        currency="GBP",
        due=date(2025, 3, 31),
        as_of=date(2025, 4, 30),
        payments=[(date(2025, 3, 1), D("2500.00"))],
        rates=book,
    )

    assert [p.balance for p in claim.periods] == [D("9500.00")]
    assert claim.indemnity == D("70.00")  # the late debt is 9,500, not the 12,000 invoiced


def test_payments_dated_after_as_of_are_not_counted_and_say_so(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("1000.00"),
        currency="EUR",
        due=date(2025, 3, 31),
        as_of=date(2025, 4, 30),
        payments=[(date(2025, 5, 15), D("1000.00"))],
        rates=book,
    )

    assert claim.principal_due == D("1000.00")
    assert [p.end for p in claim.periods] == [date(2025, 4, 30)]
    assert any("2025-05-15" in w and "not counted" in w for w in claim.warnings)


def test_nothing_is_owed_before_or_on_the_due_date(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("1000.00"),
        currency="EUR",
        due=date(2025, 3, 31),
        as_of=date(2025, 3, 31),
        rates=book,
    )

    assert claim.periods == ()
    assert (claim.interest, claim.indemnity) == (D("0.00"), D("0.00"))
    assert claim.total_claim == D("1000.00")
    assert any("not late" in w for w in claim.warnings)


def test_an_invoice_paid_on_its_due_date_owes_no_interest_and_no_indemnity(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("1000.00"),
        currency="EUR",
        due=date(2025, 3, 31),
        as_of=date(2025, 5, 31),
        payments=[(date(2025, 3, 31), D("1000.00"))],
        rates=book,
    )

    assert claim.periods == ()
    assert claim.total_claim == D("0.00")


def test_payments_above_the_invoice_amount_are_refused(book):
    with pytest.raises(ClaimError, match=r"1000\.01.*more than the invoice amount 1000\.00"):
        compute_claim(
            Jurisdiction.FR,
            amount=D("1000.00"),
            currency="EUR",
            due=date(2025, 3, 31),
            as_of=date(2025, 5, 31),
            payments=[(date(2025, 4, 1), D("1000.00")), (date(2025, 4, 2), D("0.01"))],
            rates=book,
        )


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (D("0.00"), "must be positive"),
        (D("-5.00"), "must be positive"),
        (D("10.005"), "more decimals than EUR allows"),
    ],
)
def test_amounts_that_are_not_money_are_refused(book, amount, message):
    with pytest.raises(ClaimError, match=message):
        compute_claim(
            Jurisdiction.FR,
            amount=amount,
            currency="EUR",
            due=date(2025, 3, 31),
            as_of=date(2025, 5, 31),
            rates=book,
        )
