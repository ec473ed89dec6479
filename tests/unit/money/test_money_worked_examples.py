"""The worked examples of shared/reference/late-payment-law.md, to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from relance.domain.money import Jurisdiction, RateMode, compute_claim

D = Decimal


def test_france_b2b_example_split_at_1_july_gives_830_09_plus_40(book):
    # 12,000.00 EUR incl. VAT, due 2025-03-15, paid in full 2025-09-30.
    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("12000.00"),
        currency="EUR",
        due=date(2025, 3, 15),
        as_of=date(2025, 9, 30),
        payments=[(date(2025, 9, 30), D("12000.00"))],
        rates=book,
    )

    assert [(p.start, p.end, p.days, p.rate, p.interest) for p in claim.periods] == [
        (date(2025, 3, 16), date(2025, 6, 30), 107, D("13.15"), D("462.59")),
        (date(2025, 7, 1), date(2025, 9, 30), 92, D("12.15"), D("367.50")),
    ]
    assert sum(p.days for p in claim.periods) == (date(2025, 9, 30) - date(2025, 3, 15)).days == 199
    assert claim.interest == D("830.09")
    assert claim.indemnity == D("40.00")
    assert claim.principal_due == D("0.00")
    assert claim.total_claim == D("870.09")
    assert claim.currency == "EUR"
    assert claim.warnings == ()


def test_france_b2b_example_with_the_rate_fixed_at_2025_h1_gives_860_33(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("12000.00"),
        currency="EUR",
        due=date(2025, 3, 15),
        as_of=date(2025, 9, 30),
        payments=[(date(2025, 9, 30), D("12000.00"))],
        rate_mode=RateMode.FIXED,
        rates=book,
    )

    assert [(p.start, p.end, p.days, p.rate) for p in claim.periods] == [
        (date(2025, 3, 16), date(2025, 9, 30), 199, D("13.15")),
    ]
    assert claim.interest == D("860.33")
    assert claim.indemnity == D("40.00")


def test_france_b2c_example_runs_from_the_formal_notice_at_the_legal_rate_182_28(book):
    claim = compute_claim(
        Jurisdiction.FR_B2C,
        amount=D("12000.00"),
        currency="EUR",
        due=date(2025, 3, 15),
        as_of=date(2025, 9, 30),
        payments=[(date(2025, 9, 30), D("12000.00"))],
        notice_date=date(2025, 4, 10),
        rates=book,
    )

    assert claim.interest_from == date(2025, 4, 11)
    assert [(p.start, p.end, p.days, p.rate, p.interest) for p in claim.periods] == [
        (date(2025, 4, 11), date(2025, 6, 30), 81, D("3.71"), D("98.80")),
        (date(2025, 7, 1), date(2025, 9, 30), 92, D("2.76"), D("83.48")),
    ]
    assert claim.interest == D("182.28")
    assert claim.indemnity == D("0.00")
    assert claim.total_claim == D("182.28")
