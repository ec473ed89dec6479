"""The third-party statements (tests/fixtures/samples, see SOURCES.md): all read, and matched against books
written here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relance.domain.matching import KnownPayer, MatchRule, Outcome, match_credits

from .conftest import invoice, statement


@pytest.mark.parametrize(
    ("name", "entries", "credits", "payments"),
    [
        # One credit of 8.85 EUR, paid with a SCOR creditor reference.
        ("genkgo-camt053.v8.xml", 1, 1, 1),
        # Two statements: 8 credits of which 3 are RETOURE (returned transfers), and 3 debits.
        ("betterplace-sepa_snippet.sta", 11, 8, 5),
        # Two statements of two debits each: nothing to match.
        ("jejik-rabobank-iban.sta", 4, 0, 0),
    ],
)
def test_every_sample_statement_reads(name, entries, credits, payments):
    read = statement("samples", name)

    assert (len(read.entries), len(read.credits), len(read.payments)) == (entries, credits, payments)
    assert len({entry.key for entry in read.entries}) == entries


def test_the_genkgo_credit_in_detail():
    (entry,) = statement("samples", "genkgo-camt053.v8.xml").entries

    assert (entry.amount, entry.currency, entry.reference) == (
        Decimal("8.85"),
        "EUR",
        "AAAASESS-FP-CN_98765/01",
    )
    assert entry.structured_remittance == ("4654654654654654",)
    assert (entry.end_to_end_id, entry.payer_name, entry.payer_iban) == (
        "MUELL/FINP/RA12345",
        "NAME NAME",
        "NL56AGDH9619008421",
    )
    # The balances are in four currencies (a synthetic file): no check applies, no warning.
    assert statement("samples", "genkgo-camt053.v8.xml").warnings == ()


# A book for the genkgo statement: the company prints its invoice number as the SCOR reference.
GENKGO_BOOK = [
    invoice("4654654654654654", "NL-MUELLER", "8.85", due="2014-12-15"),
    invoice("4654654654654655", "NL-MUELLER", "8.85", due="2014-12-31"),
    invoice("2014-0077", "NL-FINP", "8.85", due="2014-12-20"),
]


def test_the_genkgo_credit_matches_its_scor_reference_and_the_payer_is_learnt():
    entries = statement("samples", "genkgo-camt053.v8.xml").entries

    report = match_credits(entries, GENKGO_BOOK)

    # 1 credit, 1 applied: the SCOR reference is invoice 4654654654654654's number. Two other open invoices
    # are of the same 8.85 EUR; the reference, not the amount, decided.
    (match,) = report.matches
    assert (match.outcome, match.rule) == (Outcome.APPLIED, MatchRule.INVOICE_NUMBER)
    assert [(a.invoice_id, a.amount) for a in match.allocations] == [("4654654654654654", Decimal("8.85"))]
    assert report.payers_to_remember == (
        KnownPayer("NL-MUELLER", iban="NL56AGDH9619008421", name="NAME NAME"),
    )


def test_without_its_invoice_in_the_book_the_genkgo_credit_is_not_guessed():
    book = [i for i in GENKGO_BOOK if i.invoice_id != "4654654654654654"]
    entries = statement("samples", "genkgo-camt053.v8.xml").entries

    unknown_payer = match_credits(entries, book).matches[0]
    known_payer = match_credits(entries, book, [KnownPayer("NL-MUELLER", iban="NL56AGDH9619008421")]).matches[
        0
    ]

    assert unknown_payer.outcome is Outcome.UNMATCHED
    assert "is not known for any customer" in unknown_payer.reason
    # The payer is known for NL-MUELLER, which has one open invoice of exactly 8.85 left: rule 3.
    assert known_payer.rule is MatchRule.KNOWN_PAYER_AMOUNT
    assert [a.invoice_id for a in known_payer.allocations] == ["4654654654654655"]


# A book for the betterplace statements, written from what their payers wrote.
BETTERPLACE_BOOK = [
    invoice("30030004", "K-QUAST", "154551.93", due="2007-08-31"),
    invoice("50050004", "K-KAUFMANN", "200000.00", due="2007-08-15"),
    invoice("F-2007-0907", "K-KAUFMANN", "50990.05", due="2007-08-20"),
    invoice("TF20005", "K-RICHTER", "125004.88", due="2007-08-01"),
    invoice("TF20001", "K-RICHTER", "15000.05", due="2007-08-01"),
]


def test_the_betterplace_credits_against_a_book():
    entries = statement("samples", "betterplace-sepa_snippet.sta").entries
    known = [KnownPayer("K-KAUFMANN", iban="DE14 5088 0050 0194 7850 00")]

    report = match_credits(entries, BETTERPLACE_BOOK, known)

    outcomes = [(m.entry.amount, m.outcome, m.rule) for m in report.matches if m.entry.is_credit]
    assert outcomes == [
        # KARL KAUFMANN quotes no invoice, but his IBAN is known for K-KAUFMANN: one invoice of that amount.
        (Decimal("50990.05"), Outcome.APPLIED, MatchRule.KNOWN_PAYER_AMOUNT),
        # "Verwendungszweck 30030004": the invoice number.
        (Decimal("154551.93"), Outcome.APPLIED, MatchRule.INVOICE_NUMBER),
        # "Verwendungszweck 50050004": a partial payment of a 200000.00 invoice.
        (Decimal("154551.93"), Outcome.APPLIED, MatchRule.INVOICE_NUMBER),
        # Three RETOURE: transfers of ours coming back, not payments.
        (Decimal("335.33"), Outcome.NOT_A_PAYMENT, None),
        (Decimal("15000.0"), Outcome.NOT_A_PAYMENT, None),
        # "TFNr 20001" is not TF20001 ("Nr" in between), and Richter Renate is not yet a known payer.
        (Decimal("15000.05"), Outcome.UNMATCHED, None),
        # "TO13 TF20005 MINT": the invoice number.
        (Decimal("125004.88"), Outcome.APPLIED, MatchRule.INVOICE_NUMBER),
        (Decimal("915311.55"), Outcome.NOT_A_PAYMENT, None),
    ]
    assert report.matches[2].allocations[0].amount == Decimal("154551.93")  # 45448.07 still owed
    # Learnt for later uploads, from the reference matches: Kaufmann's IBAN was known, his name was not.
    assert [(p.customer_id, p.iban, p.name) for p in report.payers_to_remember] == [
        ("K-QUAST", "DE03508800500194791600", "Quentin Quast"),
        ("K-KAUFMANN", "DE14508800500194785000", "Karl Kaufmann"),
        ("K-RICHTER", "DE42100100100043921105", "Richter Renate 70 Zeichen Beginn Fuellzeichen xxxxxxxx"),
    ]


def test_once_learnt_richter_renate_pays_by_amount_on_the_next_upload():
    entries = statement("samples", "betterplace-sepa_snippet.sta").entries
    first = match_credits(entries, BETTERPLACE_BOOK)
    applied = {m.entry.key for m in first.with_outcome(Outcome.APPLIED)}
    still_open = [i for i in BETTERPLACE_BOOK if i.invoice_id == "TF20001"]

    again = match_credits(entries, still_open, first.payers_to_remember, seen=applied)

    (richter,) = [m for m in again.matches if m.entry.amount == Decimal("15000.05")]
    assert richter.rule is MatchRule.KNOWN_PAYER_AMOUNT
    assert [a.invoice_id for a in richter.allocations] == ["TF20001"]
    assert len(again.with_outcome(Outcome.ALREADY_SEEN)) == len(applied)


def test_the_second_betterplace_statement_does_not_add_up_and_says_so():
    read = statement("samples", "betterplace-sepa_snippet.sta")

    assert read.warnings == (
        "statement T089414096000001/00004/00001: opening balance -1970431.87 EUR and the entries give "
        "-4472349.17, but the closing balance is -4472049.09; entries may be missing",
    )
