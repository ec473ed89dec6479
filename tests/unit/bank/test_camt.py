"""camt.053 and camt.054 statements: every version's namespace, batches split, hostile XML refused."""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal

import pytest

from relance.ingest.bank import BankStatementError, Direction, ReferenceKind, read_bank_statement
from relance.ingest.bank.camt import read_camt
from relance.ingest.errors import UnreadableFile

from .conftest import FIXTURES, statement


def test_a_french_camt053_v02_reads_into_one_entry_per_transaction():
    book = statement("bank", "camt053-v02-book.xml")

    assert book.format == "camt.053"
    assert [(e.direction, e.amount) for e in book.entries] == [
        (Direction.CREDIT, Decimal("1250.00")),
        (Direction.CREDIT, Decimal("300.00")),  # the batch of 700.00, split by transaction
        (Direction.CREDIT, Decimal("400.00")),
        (Direction.DEBIT, Decimal("80.00")),
        (Direction.CREDIT, Decimal("50.00")),
        (Direction.CREDIT, Decimal("99.00")),
        (Direction.CREDIT, Decimal("1000.00")),
    ]
    assert [e.position for e in book.entries] == list(range(1, 8))
    assert book.warnings == ()  # the balances add up


def test_the_first_entry_carries_payer_remittance_and_the_bank_reference():
    first = statement("bank", "camt053-v02-book.xml").entries[0]

    assert first.statement_id == "STMT-2026-03-12"
    assert first.account == "FR7630004000031234567890143"
    assert first.booking_date == first.value_date == date(2026, 3, 12)
    assert first.currency == "EUR"
    assert (first.reference, first.reference_kind) == ("BQ-20260312-0001", ReferenceKind.BANK)
    assert first.end_to_end_id == "ACME-PAY-778"
    assert first.remittance == "Facture F 2026 0104"
    assert first.payer_name == "ACME SARL"
    assert first.payer_iban == "FR7630001007941234567890185"  # spaces removed
    assert first.transaction_code == "PMNT/RCDT/ESCT"
    assert first.is_payment
    assert first.line == 30


def test_a_batch_gives_each_transaction_its_own_payer_and_reference():
    _, dupont, martin = statement("bank", "camt053-v02-book.xml").entries[:3]

    assert (dupont.payer_name, dupont.remittance) == ("Boulangerie Dupont", "C004 F2026-0110")
    # No transaction reference: the entry's, numbered; "NOTPROVIDED" is no end-to-end id.
    assert dupont.reference == "BQ-20260312-0002/1"
    assert dupont.end_to_end_id is None
    assert martin.reference == "BQ-20260312-0002-B"
    assert martin.remittance == "REGLEMENT f20260120"  # two Ustrd lines as one
    assert dupont.key != martin.key


def test_debits_reversals_and_pending_credits_are_read_but_are_not_payments():
    entries = statement("bank", "camt053-v02-book.xml").entries
    fees, reversal, pending = entries[3], entries[4], entries[5]

    assert not fees.is_credit
    assert fees.payer_name is None
    assert fees.remittance == "FRAIS TENUE DE COMPTE"  # from AddtlNtryInf
    assert (reversal.is_credit, reversal.reversal, reversal.is_payment) == (True, True, False)
    assert (pending.is_credit, pending.booked, pending.is_payment) == (True, False, False)
    assert [e.is_payment for e in entries] == [True, True, True, False, False, False, True]


def test_a_structured_creditor_reference_is_kept_and_a_content_hash_stands_in_for_missing_references():
    last = statement("bank", "camt053-v02-book.xml").entries[-1]

    assert last.structured_remittance == ("RF47F20260130",)
    assert last.reference_kind is ReferenceKind.CONTENT
    again = statement("bank", "camt053-v02-book.xml").entries[-1]
    assert (again.reference, again.key) == (last.reference, last.key)


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_every_version_from_001_02_to_001_08_reads_alike(version):
    body = (FIXTURES / "bank" / "camt053-v02-book.xml").read_bytes()
    body = body.replace(b"camt.053.001.02", f"camt.053.001.{version}".encode())

    entries = read_camt("statement.xml", body).entries

    assert len(entries) == 7
    assert entries[0].payer_name == "ACME SARL"


def test_version_08_reads_parties_under_pty_and_status_under_cd():
    body = (FIXTURES / "bank" / "camt053-v02-book.xml").read_bytes()
    body = body.replace(b"camt.053.001.02", b"camt.053.001.08")
    body = body.replace(b"<Dbtr><Nm>ACME SARL</Nm></Dbtr>", b"<Dbtr><Pty><Nm>ACME SARL</Nm></Pty></Dbtr>")
    body = body.replace(b"<Sts>PDNG</Sts>", b"<Sts><Cd>PDNG</Cd></Sts>")

    entries = read_camt("statement.xml", body).entries

    assert entries[0].payer_name == "ACME SARL"
    assert not entries[5].booked


def test_a_camt054_notification_in_dollars():
    (entry,) = statement("bank", "camt054-v04-usd.xml").entries

    assert (entry.format, entry.statement_id) == ("camt.054", "NTF-2026-03-12-USD")
    assert (entry.amount, entry.currency) == (Decimal("2400.50"), "USD")
    assert entry.booking_date == date(2026, 3, 12)  # from a DtTm
    assert entry.payer_name == "Northwind Traders Inc."
    assert entry.payer_iban is None  # a US account number is no IBAN


def test_balances_that_do_not_add_up_are_a_warning_not_a_refusal():
    body = (FIXTURES / "bank" / "camt053-v02-book.xml").read_bytes().replace(b"12920.00", b"12900.00")

    read = read_camt("statement.xml", body)

    assert len(read.entries) == 7
    assert read.warnings == (
        "statement STMT-2026-03-12: opening balance 10000.00 EUR and the booked entries give 12920.00, "
        "but the closing balance is 12900.00; entries may be missing",
    )


@pytest.mark.parametrize(
    "name", ["hostile-xxe.xml", "hostile-billion-laughs.xml", "hostile-external-dtd.xml"]
)
def test_hostile_xml_is_refused_before_any_entity_is_expanded_or_fetched(name):
    with pytest.raises(BankStatementError, match="DTD or entities") as refused:
        statement("bank", name)

    assert refused.value.file == name
    assert refused.value.line == 2
    # The ingest service already reports any UnreadableFile as a file error.
    assert isinstance(refused.value, UnreadableFile)


@pytest.mark.parametrize(
    ("change", "reason", "element", "line"),
    [
        (
            (b'<Amt Ccy="EUR">1250.00</Amt>', b'<Amt Ccy="EUR">1 250,00</Amt>'),
            "amount '1 250,00' is not a positive decimal amount",
            "BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt",
            31,
        ),
        (
            (b'<Amt Ccy="EUR">80.00</Amt>', b'<Amt Ccy="euro">80.00</Amt>'),
            "currency 'euro' is not an ISO 4217 code",
            "BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt",
            80,
        ),
        (
            (b"<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>", b"<CdtDbtInd>DEBIT</CdtDbtInd>\n        <Sts>"),
            "CdtDbtInd is 'DEBIT', expected CRDT or DBIT",
            "BkToCstmrStmt/Stmt[1]/Ntry[3]/CdtDbtInd",
            81,
        ),
        (
            (b"<Dt>2026-03-13</Dt>", b"<Dt>2026-02-30</Dt>"),
            "date '2026-02-30' does not exist",
            "BkToCstmrStmt/Stmt[1]/Ntry[5]/ValDt",
            104,
        ),
    ],
)
def test_a_bad_value_is_refused_naming_file_line_and_element(change, reason, element, line):
    body = (FIXTURES / "bank" / "camt053-v02-book.xml").read_bytes().replace(*change)

    with pytest.raises(BankStatementError) as refused:
        read_camt("mars.xml", body)

    assert (refused.value.reason, refused.value.element, refused.value.line) == (reason, element, line)
    assert str(refused.value) == f"mars.xml, line {line}, {element}: {reason}"


def test_broken_xml_says_where():
    with pytest.raises(BankStatementError, match="the XML is broken") as refused:
        read_camt("cut.xml", b"<Document>\n<Stmt>\n</Document>")

    assert refused.value.line == 3


def test_an_xml_file_that_is_no_camt_statement_is_refused_by_its_root():
    body = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>'

    with pytest.raises(BankStatementError, match=r"is not a camt\.053 or camt\.054 Document"):
        read_camt("virements.xml", body)


def test_a_file_that_is_no_statement_at_all_is_refused():
    with pytest.raises(BankStatementError, match=r"neither a camt\.053"):
        read_bank_statement("paiements.csv", b"invoice_id;amount\nF1;10,00\n")


def test_the_bank_readers_parse_xml_only_through_defusedxml():
    """Element and TreeBuilder build the tree; parsing itself (fromstring, XMLParser...) is defusedxml's."""
    package = FIXTURES.parents[1] / "layers" / "relance" / "python" / "relance" / "ingest" / "bank"
    imported = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(("xml", "lxml")):
                imported |= {f"{node.module}.{alias.name}" for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names if alias.name.startswith(("xml", "lxml"))}

    assert imported == {
        "xml.etree.ElementTree.Element",
        "xml.etree.ElementTree.ParseError",
        "xml.etree.ElementTree.TreeBuilder",
    }


def test_a_utf16_statement_reads_like_its_utf8_original():
    body = (FIXTURES / "bank" / "camt053-v02-book.xml").read_bytes()
    utf16 = body.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    assert read_bank_statement("a.xml", utf16).entries == read_bank_statement("a.xml", body).entries
