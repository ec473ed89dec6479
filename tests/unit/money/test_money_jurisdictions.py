"""Rules per jurisdiction: which rate, from when, fixed or split, which indemnity, which legal basis."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.money import (
    ClaimError,
    Jurisdiction,
    LegalBasis,
    RateMode,
    Waiver,
    WaiverScope,
    compute_claim,
)

D = Decimal
EASY = D("36500.00")  # r% over d days on 36,500.00 is exactly r x d


def claim_for(jurisdiction, book, **overrides):
    arguments = {
        "amount": EASY,
        "currency": "GBP" if jurisdiction is Jurisdiction.UK else "EUR",
        "due": date(2025, 3, 15),
        "as_of": date(2025, 9, 30),
        "rates": book,
    }
    arguments.update(overrides)
    return compute_claim(jurisdiction, **arguments)


# France B2B: contractual rate and its floor


def test_a_contractual_rate_replaces_the_statutory_rate_for_the_whole_delay(book):
    claim = claim_for(Jurisdiction.FR, book, contract_rate=D("15.00"))

    assert [(p.start, p.end, p.rate) for p in claim.periods] == [
        (date(2025, 3, 16), date(2025, 9, 30), D("15.00"))
    ]
    assert claim.interest == D("2985.00")  # 15 x 199
    assert claim.contract_rate == D("15.00")
    assert claim.warnings == ()


def test_a_contractual_rate_below_three_times_the_legal_rate_is_flagged_per_half_year(book):
    # Floors: 2025-H1 3 x 3.71 = 11.13; 2025-H2 3 x 2.76 = 8.28.
    claim = claim_for(Jurisdiction.FR, book, contract_rate=D("10.00"))

    assert claim.interest == D("1990.00")  # still claimed at the agreed rate; the warning is for a human
    assert len(claim.warnings) == 1
    assert "below the legal floor of 11.13% for 2025-H1" in claim.warnings[0]


def test_a_contractual_rate_on_the_floor_is_not_flagged(book):
    claim = claim_for(Jurisdiction.FR, book, contract_rate=D("11.13"))

    assert claim.warnings == ()


@pytest.mark.parametrize(
    "jurisdiction", [Jurisdiction.FR_B2C, Jurisdiction.DE, Jurisdiction.DE_B2C, Jurisdiction.UK]
)
def test_a_contractual_rate_is_refused_outside_france_b2b(book, jurisdiction):
    with pytest.raises(ClaimError, match="contractual rate is only supported for France B2B"):
        claim_for(jurisdiction, book, contract_rate=D("12.00"), notice_date=date(2025, 4, 1))


@pytest.mark.parametrize(
    ("jurisdiction", "mode"),
    [
        (Jurisdiction.DE, RateMode.FIXED),
        (Jurisdiction.FR_B2C, RateMode.FIXED),
        (Jurisdiction.UK, RateMode.SPLIT),
    ],
)
def test_a_rate_mode_the_law_does_not_allow_is_refused(book, jurisdiction, mode):
    with pytest.raises(ClaimError, match=f"rate mode {mode} does not apply to {jurisdiction}"):
        claim_for(jurisdiction, book, rate_mode=mode)


def test_fixed_mode_takes_the_half_year_in_which_lateness_began_not_the_due_dates(book):
    # Due 30 June: late from 1 July, so the whole delay carries the 2025-H2 rate.
    claim = claim_for(
        Jurisdiction.FR, book, due=date(2025, 6, 30), as_of=date(2025, 12, 31), rate_mode=RateMode.FIXED
    )

    assert [(p.start, p.rate) for p in claim.periods] == [(date(2025, 7, 1), D("12.15"))]


# France B2C


def test_french_consumer_claims_carry_no_interest_without_a_formal_notice(book):
    claim = claim_for(Jurisdiction.FR_B2C, book)

    assert claim.periods == ()
    assert claim.interest == D("0.00")
    assert claim.interest_from is None
    assert any("no formal notice date" in w for w in claim.warnings)


def test_french_consumer_claims_carry_no_recovery_indemnity(book):
    claim = claim_for(Jurisdiction.FR_B2C, book, notice_date=date(2025, 4, 10))

    assert claim.indemnity == D("0.00")
    assert claim.basis == ("Code civil, art. 1344-1", "Code monétaire et financier, art. L313-2")


def test_a_formal_notice_sent_before_the_due_date_does_not_start_interest_early(book):
    claim = claim_for(Jurisdiction.FR_B2C, book, notice_date=date(2025, 3, 1))

    assert claim.interest_from == date(2025, 3, 16)


def test_a_formal_notice_after_the_as_of_date_gives_no_interest_yet(book):
    claim = claim_for(Jurisdiction.FR_B2C, book, notice_date=date(2025, 9, 30))

    assert claim.periods == ()
    assert claim.interest_from == date(2025, 10, 1)
    assert any("no interest yet" in w for w in claim.warnings)


# Germany


def test_germany_b2b_is_base_rate_plus_9_with_the_40_eur_flat_fee(book):
    claim = claim_for(Jurisdiction.DE, book)

    assert [(p.days, p.rate) for p in claim.periods] == [(107, D("11.27")), (92, D("10.27"))]
    assert claim.interest == D("11.27") * 107 + D("10.27") * 92
    assert claim.indemnity == D("40.00")
    assert claim.basis == ("BGB § 288(2)", "BGB § 247", "BGB § 288(5)")


def test_germany_consumer_is_base_rate_plus_5_without_the_flat_fee(book):
    # A reminder before the due date: default, and interest, begin the day after the due date.
    claim = claim_for(Jurisdiction.DE_B2C, book, notice_date=date(2025, 3, 1))

    assert [(p.days, p.rate) for p in claim.periods] == [(107, D("7.27")), (92, D("6.27"))]
    assert claim.indemnity == D("0.00")
    assert "BGB § 288(5)" not in claim.basis


def test_a_german_consumer_owes_interest_only_from_the_reminder_that_put_them_in_default(book):
    # § 286(1) BGB: the due date alone does not put a consumer in default unless agreed by the calendar.
    without_notice = claim_for(Jurisdiction.DE_B2C, book)
    from_notice = claim_for(Jurisdiction.DE_B2C, book, notice_date=date(2025, 6, 30))

    assert without_notice.periods == ()
    assert any("BGB § 286(1)" in warning for warning in without_notice.warnings)
    assert [(p.start, p.days, p.rate) for p in from_notice.periods] == [(date(2025, 7, 1), 92, D("6.27"))]
    assert "BGB § 286(1)" in from_notice.basis


# United Kingdom


def test_uk_rate_is_fixed_by_the_half_year_the_debt_became_late_in(book):
    # Late from 30 June 2025 (2025-H1): Bank Rate on 31 Dec 2024, 4.75 + 8, kept after 1 July.
    claim = claim_for(Jurisdiction.UK, book, due=date(2025, 6, 29), as_of=date(2025, 9, 30))

    assert [(p.start, p.end, p.rate) for p in claim.periods] == [
        (date(2025, 6, 30), date(2025, 9, 30), D("12.75"))
    ]


def test_uk_debt_late_from_1_july_takes_the_rate_in_force_on_30_june(book):
    # The table row "2025-H2 4.25" is Bank Rate on 30 June 2025, for debts that became late in 2025-H2.
    claim = claim_for(Jurisdiction.UK, book, due=date(2025, 6, 30), as_of=date(2026, 3, 31))

    assert [(p.start, p.end, p.rate) for p in claim.periods] == [
        (date(2025, 7, 1), date(2026, 3, 31), D("12.25"))
    ]
    assert claim.interest == D("12.25") * 274


@pytest.mark.parametrize(
    ("debt", "fixed_sum"),
    [
        (D("999.99"), D("40.00")),
        (D("1000.00"), D("70.00")),
        (D("9999.99"), D("70.00")),
        (D("10000.00"), D("100.00")),
    ],
)
def test_uk_fixed_sum_depends_on_the_size_of_the_debt(book, debt, fixed_sum):
    claim = claim_for(Jurisdiction.UK, book, amount=debt)

    assert claim.indemnity == fixed_sum


def test_a_fixed_indemnity_stays_in_the_currency_the_law_fixes_it_in(book):
    claim = claim_for(Jurisdiction.FR, book, currency="USD")

    # Interest in the invoice's currency, at the same rates; 40 EUR beside it, never converted.
    assert (claim.currency, claim.interest) == ("USD", D("13.15") * 107 + D("12.15") * 92)
    assert (claim.indemnity_currency, claim.indemnity) == ("EUR", D("40.00"))
    assert claim.totals == {"USD": EASY + claim.interest, "EUR": D("40.00")}
    assert claim.total_claim == EASY + claim.interest
    assert any("fixed in EUR" in warning and "never converted" in warning for warning in claim.warnings)


def test_a_uk_fixed_sum_band_is_never_guessed_through_a_conversion(book):
    claim = claim_for(Jurisdiction.UK, book, currency="EUR", amount=D("50000.00"))

    # The band depends on the debt in pounds: the lowest one is owed whatever the exchange rate.
    assert (claim.indemnity, claim.indemnity_currency) == (D("40.00"), "GBP")
    assert any("lowest band" in warning for warning in claim.warnings)


def test_a_claim_names_its_legal_basis(book):
    assert claim_for(Jurisdiction.UK, book).legal_basis == LegalBasis.UK_B2B
    assert claim_for(Jurisdiction.FR_B2C, book).as_dict()["legal_basis"] == "FR_B2C"


# Waivers


def test_a_waiver_zeroes_interest_and_indemnity_but_keeps_what_was_waived(book):
    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("12000.00"),
        currency="EUR",
        due=date(2025, 3, 15),
        as_of=date(2025, 9, 30),
        waiver=Waiver("good payer for 10 years", WaiverScope.POLICY),
        rates=book,
    )

    assert claim.waived
    assert (claim.interest, claim.indemnity) == (D("0.00"), D("0.00"))
    assert (claim.waived_interest, claim.waived_indemnity) == (D("830.09"), D("40.00"))
    assert [p.interest for p in claim.periods] == [D("462.59"), D("367.50")]
    assert claim.total_claim == D("12000.00")
    assert claim.as_dict()["waived"] == {
        "reason": "good payer for 10 years",
        "scope": "policy",
        "interest": "830.09",
        "indemnity": "40.00",
    }


def test_a_waiver_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        Waiver("  ")
