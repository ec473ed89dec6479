"""Matching credits to open invoices: each rule, splits, partials, overpayments, and what is never guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relance.domain.matching import (
    KnownPayer,
    MatchRule,
    Outcome,
    allocation_key,
    fold_name,
    match_credits,
)
from relance.ingest.bank import Direction

from .conftest import credit, invoice

BOOK = [
    invoice("F2026-0104", "C004", "1250.00", due="2026-02-10"),
    invoice("F2026-0110", "C004", "300.00", due="2026-02-20"),
    invoice("F2026-0120", "C007", "400.00", due="2026-02-28"),
]


def _one(entry, invoices=BOOK, payers=()):
    (match,) = match_credits([entry], invoices, payers).matches
    return match


def _applied(match):
    return [(a.invoice_id, a.amount) for a in match.allocations]


# -- rule 1: invoice numbers in the remittance


@pytest.mark.parametrize(
    "written",
    [
        "F2026-0104",
        "Facture F 2026 0104",
        "f20260104",
        "FACT.F2026.0104 MERCI",
        "Rechnung F2026-104",
        "F2026-00104",
    ],
)
def test_an_invoice_number_is_found_however_it_is_written(written):
    match = _one(credit("1250.00", written))

    assert (match.outcome, match.rule) == (Outcome.APPLIED, MatchRule.INVOICE_NUMBER)
    assert _applied(match) == [("F2026-0104", Decimal("1250.00"))]


def test_an_invoice_named_twice_in_one_remittance_is_paid_once_with_one_allocation():
    # Found by the property test: the customer id beside a number two customers share made the same
    # invoice chosen twice, and it got a second allocation of 0.00 under the same key.
    book = [
        invoice("F2026-0104", "C001", "0.00"),
        invoice("F2026-0104", "C002", "0.01"),
        invoice("F20260104", "C001", "0.01"),
    ]

    match = _one(credit("0.02", "VIREMENT F2026-0104 C002 F2026 0104"), book)

    assert match.outcome is Outcome.APPLIED
    assert [(a.customer_id, a.invoice_id, a.amount) for a in match.allocations] == [
        ("C002", "F2026-0104", Decimal("0.01"))
    ]
    assert match.unapplied == Decimal("0.01")


def test_a_number_written_twice_pays_its_invoice_once():
    match = _one(credit("1250.00", "F2026-0104 / facture F 2026 0104"))

    assert _applied(match) == [("F2026-0104", Decimal("1250.00"))]
    assert match.unapplied == 0


@pytest.mark.parametrize("written", ["F2026-01045", "F2026-01", "XF2026-0104", "F2027-0104"])
def test_a_longer_or_different_number_is_not_the_invoice(written):
    match = _one(credit("1250.00", written))

    assert match.outcome is Outcome.UNMATCHED
    assert match.allocations == ()


def test_structured_references_and_the_end_to_end_id_are_searched_too():
    by_scor = _one(credit("300.00", structured=("RF47F20260110",)))
    by_e2e = _one(credit("300.00", end_to_end_id="F2026-0110"))

    assert _applied(by_scor) == _applied(by_e2e) == [("F2026-0110", Decimal("300.00"))]


def test_a_number_is_not_read_across_two_fields():
    # "F2026" closes the remittance and "0104" opens the end-to-end id: no invoice is named.
    match = _one(credit("1250.00", "Ref F2026", end_to_end_id="0104"))

    assert match.outcome is Outcome.UNMATCHED


def test_leading_zeros_settle_on_the_closest_invoice_and_a_true_tie_is_not_guessed():
    book = [invoice("F2026-0104", "C001", "100.00"), invoice("F2026-104", "C002", "100.00")]

    assert _applied(_one(credit("100.00", "F2026104"), book)) == [("F2026-104", Decimal("100.00"))]
    assert _applied(_one(credit("100.00", "F20260104"), book)) == [("F2026-0104", Decimal("100.00"))]
    tie = _one(credit("100.00", "F2026 00104"), book)
    assert tie.outcome is Outcome.UNMATCHED
    assert tie.candidates == ("F2026-0104", "F2026-104")
    assert "more than one open invoice" in tie.reason


def test_invoices_of_two_customers_without_a_customer_id_are_left_to_a_person():
    match = _one(credit("1650.00", "F2026-0104 F2026-0120"))

    assert match.outcome is Outcome.UNMATCHED
    assert (
        match.reason
        == "the remittance names invoices of several customers (C004: F2026-0104; C007: F2026-0120)"
    )
    assert match.candidates == ("F2026-0104", "F2026-0120")


# -- rule 2: the reference Relance prints, "<customer_id> <invoice_id>..."


def test_the_customer_id_of_the_relance_reference_settles_invoices_of_several_customers():
    match = _one(credit("1250.00", "C004 F2026-0104 F2026-0120"))

    assert (match.outcome, match.rule) == (Outcome.APPLIED, MatchRule.PAYMENT_REFERENCE)
    assert _applied(match) == [("F2026-0104", Decimal("1250.00"))]


def test_an_invoice_number_two_customers_share_is_settled_by_the_customer_id():
    book = [invoice("1001", "C001", "80.00"), invoice("1001", "C002", "80.00")]

    assert _one(credit("80.00", "facture 1001"), book).candidates == ("1001",)
    assert _one(credit("80.00", "facture 1001"), book).outcome is Outcome.UNMATCHED
    match = _one(credit("80.00", "C002 1001"), book)
    assert [(a.customer_id, a.invoice_id) for a in match.allocations] == [("C002", "1001")]
    assert match.rule is MatchRule.PAYMENT_REFERENCE


def test_short_invoice_numbers_count_only_beside_their_customer_id():
    book = [
        invoice("17", "C004", "50.00", due="2026-01-31"),
        invoice("18", "C004", "70.00", due="2026-02-28"),
    ]

    alone = _one(credit("120.00", "Virement du 17/03"), book)
    with_reference = _one(credit("120.00", "C004 17 18"), book)

    assert alone.outcome is Outcome.UNMATCHED
    assert with_reference.rule is MatchRule.PAYMENT_REFERENCE
    assert _applied(with_reference) == [("17", Decimal("50.00")), ("18", Decimal("70.00"))]


def test_a_customer_id_without_any_of_its_open_invoices_lists_them_as_candidates():
    match = _one(credit("999.00", "C004 facture de mars"))

    assert match.outcome is Outcome.UNMATCHED
    assert match.candidates == ("F2026-0104", "F2026-0110")
    assert "names customer C004" in match.reason


# -- rule 3: an exact amount, once the payer is known


def test_a_known_payer_iban_and_a_unique_exact_amount_apply_without_any_reference():
    payers = [KnownPayer("C004", iban="FR76 3000 1007 9412 3456 7890 185")]

    match = _one(credit("300.00", "VIREMENT", iban="FR7630001007941234567890185"), payers=payers)

    assert (match.outcome, match.rule) == (Outcome.APPLIED, MatchRule.KNOWN_PAYER_AMOUNT)
    assert _applied(match) == [("F2026-0110", Decimal("300.00"))]


def test_a_known_payer_name_counts_when_the_iban_is_not_known():
    payers = [KnownPayer("C004", name="Société Générale d'Équipement")]

    match = _one(credit("300.00", payer="SOCIETE GENERALE D EQUIPEMENT", iban="FR7699999"), payers=payers)

    assert match.rule is MatchRule.KNOWN_PAYER_AMOUNT


def test_an_unknown_payer_with_the_right_amount_is_not_guessed():
    match = _one(credit("300.00", "VIREMENT", payer="ACME SARL", iban="FR7630001007941234567890185"))

    assert match.outcome is Outcome.UNMATCHED
    assert match.reason == (
        "no invoice number or Relance reference in the remittance, and the payer (ACME SARL, "
        "FR7630001007941234567890185) is not known for any customer"
    )


def test_two_open_invoices_of_the_same_amount_are_candidates_not_a_choice():
    book = [*BOOK, invoice("F2026-0111", "C004", "300.00", due="2026-02-25")]
    payers = [KnownPayer("C004", iban="FR7630001007941234567890185")]

    match = _one(credit("300.00", iban="FR7630001007941234567890185"), book, payers)

    assert match.outcome is Outcome.UNMATCHED
    assert match.candidates == ("F2026-0110", "F2026-0111")
    assert match.reason == "the payer is known for C004, and 2 of its open invoices are of exactly 300.00 EUR"


def test_no_open_invoice_of_that_amount_lists_the_payers_open_invoices():
    payers = [KnownPayer("C004", iban="FR7630001007941234567890185")]

    match = _one(credit("299.99", iban="FR7630001007941234567890185"), payers=payers)

    assert match.outcome is Outcome.UNMATCHED
    assert match.candidates == ("F2026-0104", "F2026-0110")


# -- splits, partials, overpayments


def test_one_transfer_for_several_invoices_pays_the_oldest_due_first_and_the_last_partly():
    book = [
        invoice("F-3001", "C1", "100.00", due="2026-03-01"),
        invoice("F-3002", "C1", "200.00", due="2026-01-01"),
        invoice("F-3003", "C1", "300.00", due="2026-02-01"),
    ]

    match = _one(credit("450.00", "F-3001 F-3002 F-3003"), book)

    assert _applied(match) == [("F-3002", Decimal("200.00")), ("F-3003", Decimal("250.00"))]
    assert match.unapplied == Decimal("0")


def test_partial_payments_add_up_within_one_upload_and_the_excess_is_reported():
    first = credit("100.00", "F2026-0110")
    second = credit("250.00", "F2026-0110")

    report = match_credits([first, second], BOOK)

    assert [_applied(m) for m in report.matches] == [
        [("F2026-0110", Decimal("100.00"))],
        [("F2026-0110", Decimal("200.00"))],
    ]
    assert report.matches[1].overpayment == Decimal("50.00")
    assert report.matches[1].reason == (
        "invoice number: applied to F2026-0110 (200.00 EUR); 50.00 EUR more than their balances (overpayment)"
    )


def test_a_transfer_for_an_invoice_already_settled_in_this_upload_is_left_to_a_person():
    report = match_credits([credit("300.00", "F2026-0110"), credit("300.00", "F2026-0110")], BOOK)

    second = report.matches[1]
    assert second.outcome is Outcome.UNMATCHED
    assert second.unapplied == Decimal("300.00")
    assert "settled by earlier entries of this upload" in second.reason


def test_a_transfer_naming_an_invoice_no_longer_owed_says_so_and_lists_the_customer_s_open_invoices():
    """F2026-0090 was paid last month: a second transfer for it is a double payment or a wrong number, for
    a person to refund or allocate; the report must not say that no invoice number was found."""
    (match,) = match_credits(
        [credit("980.00", "VIR FACT F2026-0090")], BOOK, settled=[("F2026-0090", "C004")]
    ).matches

    assert (match.outcome, match.allocations) == (Outcome.UNMATCHED, ())
    assert "names F2026-0090, no longer owed" in match.reason
    assert match.candidates == ("F2026-0104", "F2026-0110")


# -- what is not a payment, currencies, idempotence


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (credit("1250.00", "F2026-0104", direction=Direction.DEBIT), "a debit: money paid out"),
        (
            credit("1250.00", "RETOURE F2026-0104", reversal=True),
            "a return or reversal of an earlier transfer, not a customer's payment",
        ),
        (
            credit("1250.00", "F2026-0104", booked=False),
            "not booked by the bank yet (pending or information only)",
        ),
        (credit("0.00", "F2026-0104"), "a credit of zero"),
    ],
)
def test_debits_reversals_pending_and_zero_entries_are_not_payments(entry, reason):
    match = _one(entry)

    assert (match.outcome, match.reason, match.allocations) == (Outcome.NOT_A_PAYMENT, reason, ())


def test_the_currency_must_match():
    usd = _one(credit("1250.00", "F2026-0104", currency="USD"))
    payers = [KnownPayer("C004", iban="FR7630001007941234567890185")]
    by_amount = _one(credit("300.00", currency="USD", iban="FR7630001007941234567890185"), payers=payers)

    assert usd.outcome is Outcome.UNMATCHED
    assert usd.reason == "the credit is in USD but F2026-0104 is in EUR"
    assert by_amount.outcome is Outcome.UNMATCHED


def test_a_credit_in_another_currency_pays_an_invoice_in_that_currency():
    book = [invoice("F2026-0140", "C009", "2400.50", currency="USD")]

    match = _one(credit("2400.50", "Invoice F2026-0140", currency="USD"), book)

    assert _applied(match) == [("F2026-0140", Decimal("2400.50"))]


def test_allocation_keys_come_from_the_bank_reference_so_a_reupload_gives_the_same_keys():
    entry = credit("1250.00", "F2026-0104", reference="BQ-1")
    reread = credit("1250.00", "F2026-0104", reference="BQ-1")

    (first,) = match_credits([entry], BOOK).allocations
    (second,) = match_credits([reread], BOOK).allocations

    assert first.key == second.key == allocation_key(entry.key, "C004", "F2026-0104")
    assert (
        first.key
        != match_credits([credit("1250.00", "F2026-0104", reference="BQ-2")], BOOK).allocations[0].key
    )


def test_entries_already_applied_are_reported_and_not_applied_again():
    entry = credit("1250.00", "F2026-0104", reference="BQ-1")

    earlier = match_credits([entry], BOOK, seen={entry.key}).matches[0]
    twice = match_credits([entry, entry], BOOK).matches

    assert (earlier.outcome, earlier.allocations) == (Outcome.ALREADY_SEEN, ())
    assert [m.outcome for m in twice] == [Outcome.APPLIED, Outcome.ALREADY_SEEN]


# -- payers learnt


def test_payers_are_learnt_from_reference_matches_only_and_only_when_new():
    known = [KnownPayer("C004", iban="FR7630001007941234567890185", name="ACME SARL")]
    entries = [
        credit("1250.00", "F2026-0104", payer="ACME SARL", iban="FR7630001007941234567890185"),  # known
        credit("300.00", "C004 F2026-0110", payer="Boulangerie Dupont", iban="FR7610107001011234567890129"),
        credit("400.00", "F2026-0120", payer="Garage Martin"),
        credit("400.00", "VIREMENT", payer="Garage Martin"),  # unmatched: nothing to learn
    ]

    report = match_credits(entries, BOOK, known)

    assert report.payers_to_remember == (
        KnownPayer("C004", iban="FR7610107001011234567890129", name="Boulangerie Dupont"),
        KnownPayer("C007", iban=None, name="Garage Martin"),
    )


def test_rule_3_matches_teach_nothing():
    payers = [KnownPayer("C004", iban="FR7630001007941234567890185")]

    report = match_credits(
        [credit("300.00", payer="Someone Else", iban="FR7630001007941234567890185")], BOOK, payers
    )

    assert report.matches[0].rule is MatchRule.KNOWN_PAYER_AMOUNT
    assert report.payers_to_remember == ()


def test_names_fold_accents_case_and_punctuation():
    assert fold_name("  Société  Générale, S.A. ") == "societe generale s a"
    assert fold_name("") is None
