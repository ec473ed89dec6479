"""Properties that hold for any invoice, due date, payments and as-of date the rate tables cover."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from relance.domain.money import Jurisdiction, RateMode, compute_claim, load_rate_book

BOOK = load_rate_book()
# The packaged tables cover 2023-H1 to 2026-H1 in every jurisdiction.
FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2026, 6, 30)

money = st.integers(min_value=1, max_value=10**9).map(lambda cents: Decimal(cents).scaleb(-2))
days = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)
rules = st.sampled_from(
    [
        (Jurisdiction.FR, None),
        (Jurisdiction.FR, RateMode.FIXED),
        (Jurisdiction.FR_B2C, None),
        (Jurisdiction.DE, None),
        (Jurisdiction.DE_B2C, None),
        (Jurisdiction.UK, None),
    ]
)


def claim(jurisdiction, mode, amount, due, as_of, payments=()):
    return compute_claim(
        jurisdiction,
        amount=amount,
        currency="GBP" if jurisdiction is Jurisdiction.UK else "EUR",
        due=due,
        as_of=as_of,
        payments=payments,
        notice_date=due,
        rate_mode=mode,
        rates=BOOK,
    )


@st.composite
def invoices(draw):
    jurisdiction, mode = draw(rules)
    amount = draw(money)
    due = draw(st.dates(min_value=FIRST_DAY, max_value=LAST_DAY - timedelta(days=2)))
    as_of = draw(st.dates(min_value=due, max_value=LAST_DAY))
    shares = draw(
        st.lists(st.tuples(st.dates(min_value=due - timedelta(days=30), max_value=as_of), money), max_size=4)
    )
    payments, left = [], amount
    for day, share in shares:
        paid = min(share, left)
        if paid > 0:
            payments.append((day, paid))
            left -= paid
    return jurisdiction, mode, amount, due, as_of, payments


@settings(max_examples=200, deadline=None)
@given(invoices(), st.integers(min_value=0, max_value=400))
def test_interest_never_decreases_as_the_as_of_date_moves_later(invoice, extra_days):
    jurisdiction, mode, amount, due, as_of, payments = invoice
    later = min(as_of + timedelta(days=extra_days), LAST_DAY)

    earlier_claim = claim(jurisdiction, mode, amount, due, as_of, payments)
    later_claim = claim(jurisdiction, mode, amount, due, later, payments)

    assert later_claim.interest >= earlier_claim.interest


@settings(max_examples=200, deadline=None)
@given(invoices(), st.data())
def test_splitting_a_payment_in_two_on_the_same_day_changes_nothing(invoice, data):
    jurisdiction, mode, amount, due, as_of, payments = invoice
    if not payments:
        payments = [(as_of, amount)]
    index = data.draw(st.integers(min_value=0, max_value=len(payments) - 1))
    day, paid = payments[index]
    first_part = Decimal(data.draw(st.integers(min_value=0, max_value=int(paid * 100)))).scaleb(-2)
    split = [*payments[:index], (day, first_part), (day, paid - first_part), *payments[index + 1 :]]
    split = [(d, a) for d, a in split if a > 0]

    whole = claim(jurisdiction, mode, amount, due, as_of, payments)
    halves = claim(jurisdiction, mode, amount, due, as_of, split)

    assert halves.periods == whole.periods
    assert (halves.interest, halves.indemnity, halves.total_claim) == (
        whole.interest,
        whole.indemnity,
        whole.total_claim,
    )


@settings(max_examples=300, deadline=None)
@given(invoices())
def test_periods_are_contiguous_and_sum_to_the_interest_claimed(invoice):
    jurisdiction, mode, amount, due, as_of, payments = invoice

    result = claim(jurisdiction, mode, amount, due, as_of, payments)

    assert result.interest == sum((p.interest for p in result.periods), Decimal("0.00"))
    assert result.total_claim == result.principal_due + result.interest + result.indemnity
    for period in result.periods:
        assert period.days == (period.end - period.start).days + 1 > 0
        assert due < period.start <= period.end <= as_of
        assert period.balance > 0
        # Each period rounded half-up to the cent from the exact Actual/365 amount.
        exact = period.balance * period.rate * period.days / Decimal(36500)
        assert abs(period.interest - exact) <= Decimal("0.005")
    # No gap: once part payments clear the balance, it cannot come back.
    for earlier, later in itertools.pairwise(result.periods):
        assert later.start == earlier.end + timedelta(days=1)
    if result.principal_due > 0 and result.periods:
        assert result.periods[-1].end == as_of
