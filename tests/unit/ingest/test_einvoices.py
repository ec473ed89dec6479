"""The sample e-invoices (tests/fixtures/samples, see SOURCES.md) read as Relance rows."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfWriter

from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.reading import read_upload
from relance.ingest.rows import EInvoiceRows, Rejection
from relance.ingest.validation import check_einvoice


def rows_of(name: str, sample: type) -> tuple[EInvoiceRows | None, Rejection | None]:
    upload = read_upload(f"incoming/{name}", sample.read(name))
    assert upload.kind is FileKind.EINVOICE
    assert upload.einvoice is not None
    rows, rejection, _ = check_einvoice(upload.einvoice)
    return rows, rejection


def test_a_ubl_invoice_becomes_an_invoice_and_its_buyer(sample: type):
    rows, rejection = rows_of("ubl-tc434-example1.xml", sample)

    assert rejection is None
    assert rows is not None
    assert rows.invoice is not None
    invoice = rows.invoice
    assert (invoice.invoice_id, invoice.issue_date, invoice.due_date) == (
        "12115118",
        date(2015, 1, 9),
        date(2015, 1, 9),
    )
    assert (invoice.currency, invoice.total) == ("EUR", Decimal("250.33"))
    assert invoice.amount_paid is None  # no prepayment stated: a payment recorded later is not "lowered"
    assert "amount_paid" not in invoice.given
    assert rows.buyer.candidate_ids == ("10202", "ODIN 59")
    assert rows.buyer.name == "ODIN 59"
    assert rows.buyer.email is None
    assert rows.buyer.address == ("POSTBUS 367", "1960 AJ HEEMSKERK")
    assert rows.buyer.country == "NL"


def test_a_prepaid_amount_stays_paid_so_the_balance_is_the_amount_due(sample: type):
    rows, _ = rows_of("ubl-tc434-example2.xml", sample)

    assert rows is not None
    assert rows.invoice is not None
    assert (rows.invoice.currency, rows.invoice.total, rows.invoice.amount_paid) == (
        "NOK",
        Decimal("1801.78"),
        Decimal("1000.00"),
    )
    assert rows.invoice.purchase_order == "123"
    assert rows.buyer.email == "john@buyercompany.no"
    # the buyer's own id first, then its VAT and legal numbers, then its name
    assert rows.buyer.candidate_ids == ("3456789012098", "NO987654321MVA", "987654321", "The Buyercompany")


def test_the_cii_version_of_the_same_invoice_gives_the_same_rows(sample: type):
    ubl, _ = rows_of("ubl-tc434-example2.xml", sample)
    cii, _ = rows_of("CII_example2.xml", sample)

    assert ubl is not None
    assert cii is not None
    assert cii.invoice == ubl.invoice
    assert cii.buyer == ubl.buyer


@pytest.mark.parametrize(
    "name", ["factur-x-basic.xml", "factur-x-en16931.xml", "akretion_invoice_EN16931.pdf"]
)
def test_factur_x_xml_with_a_bom_and_the_pdf_carrying_it_give_invoice_f20260023(name: str, sample: type):
    rows, rejection = rows_of(name, sample)

    assert rejection is None
    assert rows is not None
    assert rows.invoice is not None
    invoice = rows.invoice
    assert (invoice.invoice_id, invoice.issue_date, invoice.due_date) == (
        "F20260023",
        date(2026, 1, 31),
        date(2026, 3, 2),
    )
    assert (invoice.total, invoice.currency, invoice.purchase_order) == (
        Decimal("104.90"),
        "EUR",
        "PO201925478",
    )
    # a typed-380 invoice's reference to an earlier invoice is no credit
    assert rows.credit is None
    assert rows.buyer.candidate_ids[:3] == ("3654789851", "FR05987654321", "987654321")
    assert rows.buyer.name == "LE CLIENT"
    assert rows.buyer.address[-1] == "06000 MA VILLE"


def test_the_contact_email_is_preferred_to_the_generic_electronic_address(sample: type):
    en16931, _ = rows_of("factur-x-en16931.xml", sample)
    basic, _ = rows_of("factur-x-basic.xml", sample)

    assert en16931 is not None
    assert basic is not None
    assert en16931.buyer.email == "buyer@buyer.com"
    assert basic.buyer.email == "me@buyer.com"  # BASIC has no contact: the buyer's own address


def test_an_einvoice_without_due_date_is_rejected_quoting_its_payment_terms(sample: type):
    rows, rejection = rows_of("EN16931_Einfach.pdf", sample)

    assert rows is None
    assert rejection is not None
    assert rejection.reason.startswith(
        "the e-invoice gives no due date (BT-9); its payment terms say 'Zahlbar"
    )
    assert "add invoice 471102 to an invoices CSV with its due date" in rejection.reason
    assert rejection.values["number"] == "471102"


def test_an_avoir_typed_380_with_negative_totals_is_a_credit_on_the_invoice_it_references(sample: type):
    rows, rejection = rows_of("validAvoir_FR_type380_BASICWL.pdf", sample)

    assert rejection is None
    assert rows is not None
    assert rows.invoice is None
    assert rows.credit is not None
    credit = rows.credit
    assert (credit.invoice_id, credit.amount, credit.currency) == ("FA-2017-0010", Decimal("233.47"), "EUR")
    assert credit.paid_on == date(2017, 11, 16)  # the credit note's issue date
    assert credit.payment_id == "credit-note:AV-2017-0005"
    assert rows.buyer.name == "Ma jolie boutique"


def test_a_credit_note_without_reference_is_rejected_with_that_reason(sample: type):
    rows, rejection = rows_of("ubl-tc434-creditnote1.xml", sample)

    assert rows is None
    assert rejection is not None
    assert rejection.reason.startswith("credit note 018304 / 28865 references no invoice")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<Invoice><cbc:ID>1</Invoice>", "the XML is broken"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "DOCTYPE"),
        (b"<html><body>facture</body></html>", "root element html is not an e-invoice"),
        (b"%PDF-1.4\nnot really a pdf", "the PDF cannot be read|carries no Factur-X"),
    ],
)
def test_xml_and_pdf_that_cannot_be_used_say_why(body: bytes, reason: str):
    with pytest.raises(UnreadableFile, match=reason):
        read_upload("incoming/invoices/x.xml", body)


def test_a_plain_pdf_without_factur_x_attachment_is_refused():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    plain = io.BytesIO()
    writer.write(plain)

    with pytest.raises(
        UnreadableFile, match=r"carries no Factur-X invoice \(no factur-x.xml attachment; attachments: none\)"
    ):
        read_upload("incoming/invoices/scan.pdf", plain.getvalue())
