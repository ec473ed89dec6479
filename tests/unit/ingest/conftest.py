"""Shared helpers of the ingest unit tests: the sample e-invoices and files built from text."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"


@pytest.fixture
def sample() -> type[_Samples]:
    return _Samples


class _Samples:
    @staticmethod
    def read(name: str) -> bytes:
        return (SAMPLES / name).read_bytes()


def ubl_invoice(
    *,
    number: str = "F-2026-001",
    issue: str = "2026-03-02",
    due: str = "2026-04-01",
    amount: str = "120.00",
    buyer: str = "Dupont SARL",
    buyer_id: str = "C1",
    doctype: str = "",
    declaration: str = '<?xml version="1.0" encoding="UTF-8"?>',
) -> str:
    """The smallest UBL 2.1 invoice Relance reads fully, as text to encode as a test needs."""
    return f"""{declaration}
{doctype}<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>{issue}</cbc:IssueDate>
  <cbc:DueDate>{due}</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyIdentification><cbc:ID>{buyer_id}</cbc:ID></cac:PartyIdentification>
    <cac:PartyName><cbc:Name>{buyer}</cbc:Name></cac:PartyName>
    <cac:Contact><cbc:ElectronicMail>compta@dupont.example</cbc:ElectronicMail></cac:Contact>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal>
    <cbc:PayableAmount currencyID="EUR">{amount}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
</Invoice>
"""
