"""CSV files as French and English accounting tools export them."""

from __future__ import annotations

import codecs

import pytest

from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.reading import read_upload
from relance.ingest.tabular import EXTRA_CELLS, sniff_separator

FRENCH_EXPORT = (
    "N° Facture;Code client;Date;Échéance;Montant TTC;Devise\r\n"
    "F-001;C1;15/03/2026;14/04/2026;1\u00a0234,56;EUR\r\n"
    "F-002;C1;2026-03-16;15.04.2026;99,90;EUR\r\n"
)


def test_a_french_excel_export_with_bom_semicolons_and_decimal_commas_is_read():
    body = codecs.BOM_UTF8 + FRENCH_EXPORT.encode("utf-8")

    upload = read_upload("incoming/invoices/mars.csv", body)

    assert upload.format == "csv"
    assert upload.kind is FileKind.INVOICES
    assert upload.table is not None
    assert upload.table.headers[0] == "N° Facture"  # the BOM is not part of the first header
    first = next(iter(upload.table.rows))
    assert first.line == 2
    assert first.cells["Montant TTC"] == "1\u00a0234,56"
    assert first.cells["Échéance"] == "14/04/2026"


def test_a_windows_1252_file_from_excel_is_read_with_its_accents():
    body = "Code client;Raison sociale;Email\r\nC1;Société Générale Éts;compta@sg.example\r\n".encode(
        "cp1252"
    )

    upload = read_upload("incoming/customers/clients.csv", body)

    assert upload.table is not None
    assert next(iter(upload.table.rows)).cells["Raison sociale"] == "Société Générale Éts"


def test_bytes_that_are_neither_utf8_nor_windows_1252_make_the_file_unreadable():
    body = b"Code client;Nom;Email\r\nC1;Caf\x81;a@b.example\r\n"  # 0x81 is undefined in cp1252

    with pytest.raises(UnreadableFile, match=r"neither UTF-8 .* nor Windows-1252"):
        read_upload("incoming/customers/clients.csv", body)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a;b;c", ";"),
        ("a,b,c", ","),
        ("a\tb\tc", "\t"),
        ('"nom, prénom";email;langue', ";"),
        ("single", ";"),
    ],
)
def test_the_separator_is_the_one_that_splits_the_header(header: str, expected: str):
    assert sniff_separator(header) == expected


def test_comma_and_tab_separated_files_are_read_too():
    comma = read_upload(
        "incoming/payments/p.csv", b'invoice_number,paid_on,amount\nF-1,2026-03-01,"1,234.50"\n'
    )
    tab = read_upload(
        "incoming/payments/p.tsv", b"invoice_number\tpaid_on\tamount\nF-1\t2026-03-01\t1234.50\n"
    )

    assert comma.table is not None
    assert tab.table is not None
    assert next(iter(comma.table.rows)).cells["amount"] == "1,234.50"
    assert next(iter(tab.table.rows)).cells["amount"] == "1234.50"


def test_excels_sep_directive_names_the_separator_and_is_not_the_header():
    upload = read_upload(
        "incoming/payments/p.csv", b"sep=;\r\nfacture;date;montant\r\nF-1;01/03/2026;10,00\r\n"
    )

    assert upload.table is not None
    assert upload.table.headers == ("facture", "date", "montant")
    assert next(iter(upload.table.rows)).line == 3


def test_a_row_keeps_the_line_it_starts_on_even_after_a_multiline_cell_and_blank_lines():
    text = 'customer_id;name;email;address\nC1;A;a@a.example;"1 rue A\nBât. B"\n\nC2;B;b@b.example;2 rue B\n'

    upload = read_upload("incoming/customers/c.csv", text.encode())

    assert upload.table is not None
    assert [row.line for row in upload.table.rows] == [2, 5]
    assert next(iter(upload.table.rows)).cells["address"] == "1 rue A\nBât. B"


def test_cells_beyond_the_header_are_kept_so_the_row_can_be_rejected():
    upload = read_upload("incoming/invoices/f.csv", b"invoice_id,customer_id,total\nF-1,C1,1234,56\n")

    assert upload.table is not None
    assert next(iter(upload.table.rows)).cells[EXTRA_CELLS] == "56"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"  \r\n ", "empty"),
        (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
        (b'a;b\n"unterminated;x\n', "cannot be read"),
    ],
)
def test_files_that_cannot_be_read_say_why(body: bytes, reason: str):
    with pytest.raises(UnreadableFile, match=reason):
        read_upload("incoming/invoices/f.csv", body)
