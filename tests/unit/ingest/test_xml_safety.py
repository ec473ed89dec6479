"""XML is hostile until defusedxml has parsed it, in whatever encoding it arrives, inside a PDF or not."""

from __future__ import annotations

import codecs
import io

import pytest
from pypdf import PdfWriter

from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.reading import read_upload
from relance.ingest.validation import check_einvoice

from .conftest import ubl_invoice

ENTITY = '<!DOCTYPE Invoice [<!ENTITY e "EXPANDED">]>\n'
LAUGHS = (
    '<!DOCTYPE Invoice [<!ENTITY l0 "ha">'
    + "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    + "]>\n"
)
XXE = '<!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
EXTERNAL_DTD = '<!DOCTYPE Invoice SYSTEM "http://evil.example/invoice.dtd">\n'


def utf16_declared(doctype: str) -> str:
    return ubl_invoice(
        doctype=doctype,
        buyer="&e;" if "ENTITY e " in doctype else "Dupont SARL",
        declaration='<?xml version="1.0" encoding="UTF-16"?>',
    )


@pytest.mark.parametrize(
    ("label", "body"),
    [
        ("UTF-8", ubl_invoice(doctype=ENTITY, buyer="&e;").encode("utf-8")),
        ("UTF-16LE without BOM", utf16_declared(ENTITY).encode("utf-16-le")),
        ("UTF-16BE without BOM", utf16_declared(ENTITY).encode("utf-16-be")),
        ("UTF-16 with BOM", utf16_declared(ENTITY).encode("utf-16")),
        ("UTF-8 BOM", codecs.BOM_UTF8 + ubl_invoice(doctype=ENTITY, buyer="&e;").encode("utf-8")),
        ("billion laughs", ubl_invoice(doctype=LAUGHS, buyer="&l9;").encode("utf-8")),
        (
            "billion laughs in UTF-16",
            utf16_declared(LAUGHS).replace("Dupont SARL", "&l9;").encode("utf-16-le"),
        ),
        ("external entity", ubl_invoice(doctype=XXE, buyer="&x;").encode("utf-8")),
        ("external DTD", ubl_invoice(doctype=EXTERNAL_DTD).encode("utf-8")),
    ],
)
def test_a_doctype_is_refused_by_the_parser_whatever_the_encoding_so_no_entity_ever_expands(
    label: str, body: bytes
):
    with pytest.raises(UnreadableFile, match="DOCTYPE"):
        read_upload("incoming/invoices/facture.xml", body)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-8"])
def test_a_clean_einvoice_in_utf16_is_read_like_its_utf8_twin(encoding: str):
    declaration = f'<?xml version="1.0" encoding="{"UTF-8" if encoding == "utf-8" else "UTF-16"}"?>'
    body = ubl_invoice(buyer="Société Générale", declaration=declaration).encode(encoding)

    upload = read_upload("incoming/invoices/facture.xml", body)

    assert upload.kind is FileKind.EINVOICE
    assert upload.einvoice is not None
    rows, rejection, _ = check_einvoice(upload.einvoice)
    assert rejection is None
    assert rows is not None
    assert rows.buyer.name == "Société Générale"
    assert rows.invoice is not None
    assert rows.invoice.invoice_id == "F-2026-001"


def test_a_windows_1252_einvoice_without_declared_encoding_is_read():
    body = ubl_invoice(buyer="Société Générale", declaration="").encode("cp1252")

    upload = read_upload("incoming/invoices/facture.xml", body)

    assert upload.einvoice is not None
    assert upload.einvoice.buyer.name == "Société Générale"


def test_an_xml_nesting_elements_deeper_than_an_invoice_ever_does_is_refused():
    body = ("<Invoice>" + "<a>" * 100 + "</a>" * 100 + "</Invoice>").encode()

    with pytest.raises(UnreadableFile, match="nests elements more than 64 deep"):
        read_upload("incoming/invoices/deep.xml", body)


def test_an_xml_larger_than_any_einvoice_is_refused_before_it_is_parsed():
    padding = "<!--" + "x" * (11 * 1024 * 1024) + "-->"
    body = ubl_invoice().replace("<cbc:ID>", padding + "<cbc:ID>", 1).encode()

    with pytest.raises(UnreadableFile, match=r"is 11\.\d MB; an e-invoice Relance reads is at most 10 MB"):
        read_upload("incoming/invoices/huge.xml", body)


def facturx_pdf(xml: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (
            ubl_invoice(doctype=LAUGHS, buyer="&l9;").encode(),
            "attachment cannot be used: the XML declares a DOCTYPE",
        ),
        (utf16_declared(ENTITY).encode("utf-16-le"), "attachment cannot be used: the XML declares a DOCTYPE"),
        (ubl_invoice().encode()[:-40], "attachment cannot be used: the XML is broken"),
    ],
)
def test_the_xml_inside_a_factur_x_pdf_goes_through_the_same_parser(xml: bytes, reason: str):
    with pytest.raises(UnreadableFile, match=reason):
        read_upload("incoming/invoices/facture.pdf", facturx_pdf(xml))
