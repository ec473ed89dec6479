"""OASIS UBL 2.1 Invoice and CreditNote (EN 16931, Peppol BIS Billing 3)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from relance.ingest.einvoice.document import EInvoice, Party
from relance.ingest.einvoice.xmltree import first, text, texts

INVOICE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
CREDIT_NOTE_ROOT = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def read_ubl(root: ET.Element) -> EInvoice:
    credit_note = root.tag == CREDIT_NOTE_ROOT
    party = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    totals = root.find("cac:LegalMonetaryTotal", NS)
    return EInvoice(
        syntax="UBL CreditNote" if credit_note else "UBL Invoice",
        number=text(root, "cbc:ID", NS),
        type_code=first(root, ("cbc:CreditNoteTypeCode", "cbc:InvoiceTypeCode"), NS),
        issue_date=text(root, "cbc:IssueDate", NS),
        # BT-9 sits at the root of an Invoice, in PaymentMeans in a CreditNote (and in UBL 2.0).
        due_date=first(root, ("cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate"), NS),
        currency=text(root, "cbc:DocumentCurrencyCode", NS),
        payable=text(totals, "cbc:PayableAmount", NS),
        prepaid=text(totals, "cbc:PrepaidAmount", NS),
        buyer=_buyer(party),
        purchase_order=text(root, "cac:OrderReference/cbc:ID", NS),
        referenced_invoice=text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", NS),
        payment_terms=text(root, "cac:PaymentTerms/cbc:Note", NS),
        credit_note_document=credit_note,
    )


def _buyer(party: ET.Element | None) -> Party:
    identifiers = texts(
        party,
        (
            "cac:PartyIdentification/cbc:ID",
            "cac:PartyTaxScheme/cbc:CompanyID",
            "cac:PartyLegalEntity/cbc:CompanyID",
        ),
        NS,
    )
    address = party.find("cac:PostalAddress", NS) if party is not None else None
    lines = texts(address, ("cbc:StreetName", "cbc:AdditionalStreetName", "cac:AddressLine/cbc:Line"), NS)
    town = " ".join(
        part for part in (text(address, "cbc:PostalZone", NS), text(address, "cbc:CityName", NS)) if part
    )
    return Party(
        identifiers=tuple(identifiers),
        name=first(party, ("cac:PartyLegalEntity/cbc:RegistrationName", "cac:PartyName/cbc:Name"), NS),
        email=text(party, "cac:Contact/cbc:ElectronicMail", NS),
        address=(*lines, town) if town else tuple(lines),
        country=text(address, "cac:Country/cbc:IdentificationCode", NS),
    )
