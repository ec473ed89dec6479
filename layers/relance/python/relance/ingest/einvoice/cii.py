"""UN/CEFACT Cross Industry Invoice D16B: the XML of Factur-X and ZUGFeRD 2."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from relance.ingest.einvoice.document import EInvoice, Party
from relance.ingest.einvoice.xmltree import first, text, texts

ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_TRANSACTION = "rsm:SupplyChainTradeTransaction"


def read_cii(root: ET.Element) -> EInvoice:
    document = root.find("rsm:ExchangedDocument", NS)
    agreement = root.find(f"{_TRANSACTION}/ram:ApplicableHeaderTradeAgreement", NS)
    settlement = root.find(f"{_TRANSACTION}/ram:ApplicableHeaderTradeSettlement", NS)
    totals = (
        settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
        if settlement is not None
        else None
    )
    return EInvoice(
        syntax="CII",
        number=text(document, "ram:ID", NS),
        type_code=text(document, "ram:TypeCode", NS),
        issue_date=text(document, "ram:IssueDateTime/udt:DateTimeString", NS),
        due_date=text(
            settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString", NS
        ),
        currency=text(settlement, "ram:InvoiceCurrencyCode", NS),
        payable=text(totals, "ram:DuePayableAmount", NS),
        prepaid=text(totals, "ram:TotalPrepaidAmount", NS),
        buyer=_buyer(agreement.find("ram:BuyerTradeParty", NS) if agreement is not None else None),
        purchase_order=text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID", NS),
        referenced_invoice=text(settlement, "ram:InvoiceReferencedDocument/ram:IssuerAssignedID", NS),
        payment_terms=text(settlement, "ram:SpecifiedTradePaymentTerms/ram:Description", NS),
    )


def _buyer(party: ET.Element | None) -> Party:
    identifiers = texts(
        party,
        (
            "ram:ID",
            "ram:GlobalID",
            "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']",
            "ram:SpecifiedLegalOrganization/ram:ID",
        ),
        NS,
    )
    address = party.find("ram:PostalTradeAddress", NS) if party is not None else None
    lines = texts(address, ("ram:LineOne", "ram:LineTwo", "ram:LineThree"), NS)
    town = " ".join(
        part for part in (text(address, "ram:PostcodeCode", NS), text(address, "ram:CityName", NS)) if part
    )
    return Party(
        identifiers=tuple(identifiers),
        name=text(party, "ram:Name", NS),
        # The contact's address (BT-58) reaches the person who pays; the buyer's electronic address (BT-49)
        # is often a generic inbox.
        email=first(
            party,
            (
                "ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID",
                "ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']",
            ),
            NS,
        ),
        address=(*lines, town) if town else tuple(lines),
        country=text(address, "ram:CountryID", NS),
    )
