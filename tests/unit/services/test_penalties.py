"""What a notice claims beyond the balance: the law of the creditor's country, the customer's terms."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from relance.domain.models import CustomerKind
from relance.policies import get_policy
from relance.services.penalties import DatedPayment, claim_for, policy_waiver
from tests.unit.domain.builders import customer, invoice

DUE = date(2025, 3, 15)


def worked_example(**changes: object):
    """The reference's worked example: 12,000.00 EUR due 15 March 2025, priced on 30 September 2025."""
    return invoice(due=DUE, total="12000.00", **changes)


def test_a_french_business_debtor_owes_statutory_interest_per_half_year_and_40_euros():
    claim = claim_for("FR", customer(), worked_example(), date(2025, 9, 30))

    assert claim.interest == Decimal("830.09")
    assert claim.indemnity == Decimal("40.00")
    assert [period.interest for period in claim.periods] == [Decimal("462.59"), Decimal("367.50")]


def test_the_fixed_rate_setting_keeps_the_first_half_years_rate():
    claim = claim_for("FR", customer(), worked_example(), date(2025, 9, 30), rate_mode="fixed")

    assert claim.interest == Decimal("860.33")


def test_a_contractual_rate_replaces_the_statutory_one_and_the_invoices_own_terms_win():
    on_customer = claim_for("FR", customer(contract_rate=Decimal("15")), worked_example(), date(2025, 9, 30))
    on_invoice = claim_for(
        "FR",
        customer(contract_rate=Decimal("15")),
        worked_example(contract_rate=Decimal("20")),
        date(2025, 9, 30),
    )

    assert {period.rate for period in on_customer.periods} == {Decimal("15")}
    assert {period.rate for period in on_invoice.periods} == {Decimal("20")}


def test_a_contractual_rate_below_three_times_the_legal_rate_is_used_with_a_warning():
    claim = claim_for("FR", customer(contract_rate=Decimal("5")), worked_example(), date(2025, 9, 30))

    assert {period.rate for period in claim.periods} == {Decimal("5")}
    assert claim.note is not None
    assert "below" in claim.note


def test_a_consumer_owes_legal_interest_only_from_the_formal_notice_and_no_indemnity():
    claim = claim_for(
        "FR",
        customer(kind=CustomerKind.CONSUMER, contract_rate=Decimal("15")),
        worked_example(),
        date(2025, 9, 30),
        notice_date=date(2025, 4, 10),
    )

    assert claim.interest == Decimal("182.28")
    assert claim.indemnity == Decimal("0.00")


def test_part_payments_lower_the_balance_from_the_day_after_they_arrive():
    paid_half = worked_example(amount_paid=Decimal("6000.00"))
    payments = [DatedPayment("F1", date(2025, 6, 30), Decimal("6000.00"))]

    claim = claim_for("FR", customer(), paid_half, date(2025, 9, 30), payments)

    assert [(p.balance, p.interest) for p in claim.periods] == [
        (Decimal("12000.00"), Decimal("462.59")),
        (Decimal("6000.00"), Decimal("183.75")),
    ]


def test_a_rate_not_yet_published_leaves_interest_to_be_computed_but_keeps_the_indemnity():
    claim = claim_for("FR", customer(), worked_example(), date(2026, 9, 30))

    assert claim.interest is None
    assert claim.indemnity == Decimal("40.00")
    assert claim.note is not None
    assert "2026-H2" in claim.note


def test_a_waiver_records_what_was_given_up():
    claim = claim_for("FR", customer(waive_penalties=True), worked_example(), date(2025, 9, 30))

    assert claim.waived
    assert (claim.interest, claim.indemnity) == (Decimal("0.00"), Decimal("0.00"))
    assert (claim.waived_interest, claim.waived_indemnity) == (Decimal("830.09"), Decimal("40.00"))


def test_a_country_without_rules_says_so_instead_of_inventing_them():
    claim = claim_for("ES", customer(), worked_example(), date(2025, 9, 30))

    assert claim.interest is None
    assert claim.note is not None
    assert "ES" in claim.note


def test_an_invoice_in_another_currency_keeps_its_interest_and_the_indemnity_stays_in_euros():
    claim = claim_for("FR", customer(), replace(worked_example(), currency="USD"), date(2025, 9, 30))

    assert (claim.interest, claim.currency) == (Decimal("830.09"), "USD")
    assert (claim.indemnity, claim.indemnity_currency) == (Decimal("40.00"), "EUR")
    assert claim.totals == {"USD": Decimal("830.09"), "EUR": Decimal("40.00")}
    assert claim.note is not None
    assert "never converted" in claim.note


def test_a_good_payers_policy_waives_penalties_for_everyone_it_applies_to():
    gentle, standard = get_policy("gentle"), get_policy("fr-b2b-standard")

    waived = claim_for("FR", customer(), worked_example(), date(2025, 9, 30), waiver=policy_waiver(gentle))
    claimed = claim_for("FR", customer(), worked_example(), date(2025, 9, 30), waiver=policy_waiver(standard))

    assert waived.waived
    assert (waived.interest, waived.waived_interest) == (Decimal("0.00"), Decimal("830.09"))
    assert not claimed.waived
    assert claimed.interest == Decimal("830.09")
