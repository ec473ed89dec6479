"""Which files dropped under incoming/payments/ or incoming/bank/ are bank statements, and which kind."""

from __future__ import annotations

import codecs

import pytest

from relance.ingest.bank import sniff_bank_statement

from .conftest import FIXTURES


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("samples/genkgo-camt053.v8.xml", "camt.053"),
        ("samples/betterplace-sepa_snippet.sta", "mt940"),
        ("samples/jejik-rabobank-iban.sta", "mt940"),
        ("bank/camt053-v02-book.xml", "camt.053"),
        ("bank/camt054-v04-usd.xml", "camt.054"),
        ("bank/mt940-fr-crlf.sta", "mt940"),
        # Not statements: e-invoices stay with the e-invoice reader.
        ("samples/ubl-tc434-example1.xml", None),
        ("samples/factur-x-basic.xml", None),
        ("samples/CII_example2.xml", None),
    ],
)
def test_sniffing_the_fixtures(path, kind):
    assert sniff_bank_statement(path.split("/")[-1], (FIXTURES / path).read_bytes()) == kind


def test_a_payments_csv_is_no_statement():
    body = b"invoice_id;paid_on;amount\nF2026-0104;12/03/2026;1250,00\n"

    assert sniff_bank_statement("incoming/payments/mars.csv", body) is None


def test_a_camt_with_a_bom_or_in_utf16_is_still_a_camt():
    body = (FIXTURES / "bank" / "camt053-v02-book.xml").read_bytes()

    assert sniff_bank_statement("a.xml", codecs.BOM_UTF8 + body) == "camt.053"
    utf16 = body.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert sniff_bank_statement("a.xml", utf16) == "camt.053"


def test_an_mt940_cut_before_its_balances_is_known_by_its_name_only():
    body = b":20:STMT1\n:25:FR7630004000031234567890143\n:28C:1/1\n"

    assert sniff_bank_statement("releve.sta", body) == "mt940"
    assert sniff_bank_statement("releve.txt", body) is None


def test_a_camt052_intraday_report_is_not_claimed():
    body = b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"/>'

    assert sniff_bank_statement("report.xml", body) is None
