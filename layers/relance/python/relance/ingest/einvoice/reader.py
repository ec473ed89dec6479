"""Which syntax an e-invoice is in, and the XML inside a Factur-X PDF."""

from __future__ import annotations

import io

from relance.ingest.einvoice.cii import ROOT as CII_ROOT
from relance.ingest.einvoice.cii import read_cii
from relance.ingest.einvoice.document import EInvoice
from relance.ingest.einvoice.ubl import CREDIT_NOTE_ROOT, INVOICE_ROOT, read_ubl
from relance.ingest.einvoice.xmltree import parse_xml
from relance.ingest.errors import UnreadableFile

# Factur-X names its attachment factur-x.xml; ZUGFeRD 2.0 used zugferd-invoice.xml, XRechnung xrechnung.xml.
_EMBEDDED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml", "ZUGFeRD-invoice.xml")


# A Factur-X PDF is a page or two and its XML; a scan of fifty pages is not one Relance can read anyway.
MAX_PDF_BYTES = 20 * 1024 * 1024


def read_einvoice_xml(body: bytes | str) -> EInvoice:
    """Bytes as dropped (expat decodes them), or text for a file that had to be decoded as Windows-1252."""
    root = parse_xml(body)
    if root.tag in (INVOICE_ROOT, CREDIT_NOTE_ROOT):
        return read_ubl(root)
    if root.tag == CII_ROOT:
        return read_cii(root)
    raise UnreadableFile(
        f"the XML root element {root.tag} is not an e-invoice Relance reads "
        "(UBL 2.1 Invoice or CreditNote, UN/CEFACT CII / Factur-X)"
    )


def embedded_xml(pdf: bytes) -> bytes:
    """The invoice XML attached to a Factur-X / ZUGFeRD PDF."""
    if len(pdf) > MAX_PDF_BYTES:
        raise UnreadableFile(
            f"the PDF is {len(pdf) / 1024 / 1024:.1f} MB; a Factur-X PDF Relance reads is at most "
            f"{MAX_PDF_BYTES // 1024 // 1024} MB"
        )
    # pypdf is only needed for PDFs; importing it here keeps it off the path of every CSV.
    try:
        from pypdf import PdfReader
    except ImportError:
        raise UnreadableFile(
            "Factur-X PDFs cannot be read here (pypdf is not installed); drop the XML"
        ) from None

    try:
        attachments = PdfReader(io.BytesIO(pdf)).attachments
    # A damaged PDF can fail anywhere inside pypdf, with many exception types; all mean the same here.
    except Exception as exc:
        raise UnreadableFile(f"the PDF cannot be read: {exc}") from None
    for name in _EMBEDDED_NAMES:
        if attachments.get(name):
            return attachments[name][0]
    names = ", ".join(sorted(attachments)) or "none"
    raise UnreadableFile(
        "the PDF carries no Factur-X invoice (no factur-x.xml attachment; attachments: "
        f"{names}); a plain PDF cannot be read, send the invoice as CSV or Factur-X"
    )


def read_facturx_pdf(body: bytes) -> EInvoice:
    """The embedded XML goes through the same defusedxml parser as a dropped XML file."""
    xml = embedded_xml(body)
    try:
        return read_einvoice_xml(xml)
    except UnreadableFile as exc:
        raise UnreadableFile(f"the PDF's Factur-X attachment cannot be used: {exc}") from None
