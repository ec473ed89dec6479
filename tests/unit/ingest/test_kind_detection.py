"""What a file holds, told by where it was dropped, its name, or its columns."""

from __future__ import annotations

import pytest

from relance.ingest.detection import kind_from_columns, kind_from_key
from relance.ingest.headers import map_columns
from relance.ingest.kinds import FileKind
from relance.ingest.reading import read_upload


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("incoming/customers/2026-03.csv", FileKind.CUSTOMERS),
        ("incoming/invoices/export.csv", FileKind.INVOICES),
        ("incoming/payments/releve.csv", FileKind.PAYMENTS),
        ("incoming/Clients mars.csv", FileKind.CUSTOMERS),
        ("incoming/factures-2026-03.csv", FileKind.INVOICES),
        ("incoming/invoices-march.json", FileKind.INVOICES),
        ("incoming/règlements.csv", FileKind.PAYMENTS),
        ("incoming/paiements_semaine_10.csv", FileKind.PAYMENTS),
        ("incoming/customers.csv", FileKind.CUSTOMERS),
        ("incoming/factures_clients.csv", FileKind.UNKNOWN),  # names two kinds: the columns decide
        ("incoming/export.csv", FileKind.UNKNOWN),
    ],
)
def test_the_key_tells_the_kind_by_folder_then_by_file_name(key: str, kind: FileKind):
    assert kind_from_key(key) is kind


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        (["Code client", "Raison sociale", "E-mail", "Langue"], FileKind.CUSTOMERS),
        (["N° facture", "Client", "Date", "Échéance", "Montant TTC"], FileKind.INVOICES),
        (["invoice_number", "customer_id", "issue_date", "due_date", "total"], FileKind.INVOICES),
        (["Facture", "Date de règlement", "Montant", "Référence"], FileKind.PAYMENTS),
        (["colonne", "autre"], FileKind.UNKNOWN),
    ],
)
def test_the_columns_tell_the_kind_when_the_key_does_not(headers: list[str], kind: FileKind):
    assert kind_from_columns(headers) is kind


def test_a_file_of_unknown_kind_is_read_but_flagged_unknown():
    upload = read_upload("incoming/export.csv", b"colonne;autre\n1;2\n")

    assert upload.kind is FileKind.UNKNOWN


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("numero", "invoice_id"),
        ("N° facture", "invoice_id"),
        ("Numéro de facture", "invoice_id"),
        ("invoice_number", "invoice_id"),
        ("échéance", "due_date"),
        ("Date d'échéance", "due_date"),
        ("due_date", "due_date"),
        ("montant", "total"),
        ("Montant TTC", "total"),
        ("total_ttc", "total"),
        ("Total", "total"),
        ("amount", "total"),
        ("client", "customer_id"),
        ("Code client", "customer_id"),
        ("customer_id", "customer_id"),
    ],
)
def test_invoice_headers_in_french_or_english_map_to_their_field(header: str, field: str):
    assert map_columns([header], FileKind.INVOICES).fields == {header: field}


def test_the_same_word_means_the_amount_received_in_a_payments_file():
    assert map_columns(["Montant"], FileKind.PAYMENTS).fields == {"Montant": "amount"}


def test_a_second_column_with_the_same_meaning_is_ignored_not_merged():
    columns = map_columns(["Montant TTC", "Total", "Commentaire"], FileKind.INVOICES)

    assert columns.fields == {"Montant TTC": "total"}
    assert columns.ignored == ("Total", "Commentaire")
