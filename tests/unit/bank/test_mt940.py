"""MT940 statements: entries, the three :86: shapes, reversal marks, envelopes and line endings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.ingest.bank import BankStatementError, Direction, ReferenceKind
from relance.ingest.bank.mt940 import read_mt940
from relance.ingest.bank.narrative import read_narrative

from .conftest import statement

_STATEMENT = """:20:STMT1
:25:FR7630004000031234567890143
:28C:1/1
:60F:C260301EUR1000,00
{lines}
:62F:C260331EUR{closing}
-
"""


def _mt940(lines: str, closing: str = "1000,00") -> bytes:
    return _STATEMENT.format(lines=lines, closing=closing).encode()


def test_a_french_mt940_in_a_swift_envelope_with_crlf_line_ends():
    book = statement("bank", "mt940-fr-crlf.sta")

    assert book.format == "mt940"
    assert book.warnings == ()  # 10000 + 1250 - 80 + 50 + 300 = 11520, the closing balance
    assert [(e.direction, e.amount, e.reversal) for e in book.entries] == [
        (Direction.CREDIT, Decimal("1250.00"), False),
        (Direction.DEBIT, Decimal("80.00"), False),
        (Direction.CREDIT, Decimal("50.00"), True),  # RD: a debit reversed, money back, nobody paid
        (Direction.CREDIT, Decimal("300.00"), False),
    ]
    first = book.entries[0]
    assert first.statement_id == "STMT260313/00072/001"
    assert first.account == "FR7630004000031234567890143"
    assert (first.reference, first.reference_kind) == ("BQ-0312-0001", ReferenceKind.BANK)
    assert first.line == 6


def test_a_free_text_narrative_is_the_remittance_joined_across_full_width_lines():
    first = statement("bank", "mt940-fr-crlf.sta").entries[0]

    # The first line is 65 characters, cut by the width: "ACME-" and "PAY-778" are one word.
    assert first.remittance == "VIR SEPA RECU /DE ACME SARL /MOTIF Facture F 2026 0104 /REF ACME-PAY-778"
    assert first.payer_name is None


def test_a_slash_keyed_narrative_gives_end_to_end_id_payer_and_remittance():
    last = statement("bank", "mt940-fr-crlf.sta").entries[-1]

    assert last.end_to_end_id == "E2E-2025-12-31"
    assert last.payer_name == "Boulangerie Dupont"
    assert last.payer_iban == "FR7610107001011234567890129"
    assert last.remittance == "C004 F2026-0110"
    # No bank reference after //: the end-to-end id, which the key pairs with date and amount.
    assert last.reference_kind is ReferenceKind.END_TO_END


def test_the_entry_date_takes_the_year_nearest_the_value_date():
    last = statement("bank", "mt940-fr-crlf.sta").entries[-1]

    assert last.value_date == date(2025, 12, 31)
    assert last.booking_date == date(2026, 1, 2)


def test_a_german_narrative_splits_eref_svwz_name_and_iban_out_of_its_subfields():
    narrative = read_narrative(
        [
            "166?00GUTSCHRIFT?100399?20EREF+F2026-0104?21SVWZ+Rechnung F2026-0",
            "104 und F2026-0?22105?30DRESDEFF508?31DE14508800500194785000?32KARL",
            "?33 KAUFMANN",
        ]
    )

    assert narrative.end_to_end_id == "F2026-0104"
    # ?21 and ?22 are 27-character pieces cut mid-word, and the file's own line breaks too.
    assert narrative.remittance == "Rechnung F2026-0104 und F2026-0105"
    assert (narrative.name, narrative.iban) == ("KARL KAUFMANN", "DE14508800500194785000")
    assert not narrative.returned


def test_a_german_retoure_is_a_return():
    narrative = read_narrative(["159?00RETOURE?100399?20EREF+TFNR 44001 00001"])

    assert narrative.returned


def test_a_slash_structured_creditor_reference():
    narrative = read_narrative(
        [
            "/TRTP/SEPA OVERBOEKING/IBAN/NL70ABNA0987654321/BIC/ABNANL2A/NAME/ACME BV/R",
            "EMI/STRD/CUR/RF18539007547034/EREF/NOTPROVIDED",
        ]
    )

    assert narrative.structured == ("RF18539007547034",)
    assert narrative.end_to_end_id is None
    assert (narrative.name, narrative.iban) == ("ACME BV", "NL70ABNA0987654321")


@pytest.mark.parametrize(
    ("line", "direction", "reversal"),
    [
        (":61:2603020302C10,00NTRFNONREF//B1", Direction.CREDIT, False),
        (":61:2603020302D10,00NTRFNONREF//B1", Direction.DEBIT, False),
        (":61:2603020302CR10,00NTRFNONREF//B1", Direction.CREDIT, False),  # R: third letter of EUR
        (":61:2603020302RD10,00NTRFNONREF//B1", Direction.CREDIT, True),
        (":61:2603020302RC10,00NTRFNONREF//B1", Direction.DEBIT, True),
        (":61:260302RCR10,NTRFNONREF//B1", Direction.DEBIT, True),
    ],
)
def test_the_mark_gives_direction_and_reversal(line, direction, reversal):
    (entry,) = read_mt940("s.sta", _mt940(line)).entries

    assert (entry.direction, entry.reversal, entry.amount) == (direction, reversal, Decimal("10"))


def test_statement_lines_without_bank_reference_get_distinct_stable_content_references():
    lines = ":61:2603020302C10,00NTRFNONREF\n:86:VIREMENT\n:61:2603020302C10,00NTRFNONREF\n:86:VIREMENT"
    body = _mt940(lines, closing="1020,00")

    first, second = read_mt940("s.sta", body).entries

    assert first.reference_kind is second.reference_kind is ReferenceKind.CONTENT
    assert first.key != second.key  # same content, different rank: two real transfers
    assert [e.key for e in read_mt940("other-name.sta", body).entries] == [first.key, second.key]


def test_balances_that_do_not_add_up_are_a_warning():
    read = read_mt940("s.sta", _mt940(":61:2603020302C10,00NTRFNONREF//B1", closing="1000,00"))

    assert read.warnings == (
        "statement STMT1/1/1: opening balance 1000.00 EUR and the entries give 1010.00, but the closing "
        "balance is 1000.00; entries may be missing",
    )


@pytest.mark.parametrize(
    ("lines", "reason", "line", "element"),
    [
        (
            ":61:2603020302C10.00NTRFNONREF",
            "statement line '2603020302C10.00NTRFNONREF' is not value date, C/D mark, amount with a decimal "
            "comma, type and reference (e.g. 2603120312C1250,00NTRFNONREF//B123)",
            5,
            ":61:",
        ),
        (":61:2602300302C10,00NTRFNONREF", "date '260230' does not exist", 5, ":61:"),
        (":61:2603021332C10,00NTRFNONREF", "entry date '1332' does not exist", 5, ":61:"),
    ],
)
def test_a_bad_statement_line_is_refused_naming_file_line_and_field(lines, reason, line, element):
    with pytest.raises(BankStatementError) as refused:
        read_mt940("mars.sta", _mt940(lines))

    assert (refused.value.reason, refused.value.line, refused.value.element) == (reason, line, element)


def test_a_statement_without_account_or_opening_balance_is_refused():
    with pytest.raises(BankStatementError, match="has no :25: account"):
        read_mt940("s.sta", b":20:S1\n:60F:C260301EUR1,00\n:62F:C260301EUR1,00\n")
    with pytest.raises(BankStatementError, match="has no :60F: opening balance"):
        read_mt940("s.sta", b":20:S1\n:25:FR7630004000031234567890143\n:62F:C260301EUR1,00\n")


def test_a_csv_is_not_read_as_mt940():
    with pytest.raises(BankStatementError, match="is not an MT940 statement") as refused:
        read_mt940("paiements.csv", b"invoice_id;amount\nF1;10,00\n")

    assert refused.value.line == 1
