"""A file's encoding is told from its bytes before any row is read: the rows are the same in any of them."""

from __future__ import annotations

import codecs
import gzip

import pytest

from relance.ingest.errors import UnreadableFile
from relance.ingest.reading import read_upload

CUSTOMERS = (
    "Code client;Raison sociale;Email\r\nC1;Société Générale;compta@sg.example\r\nC2;Ça va SA;a@b.example\r\n"
)


def rows(body: bytes) -> list[dict[str, str]]:
    upload = read_upload("incoming/customers/clients.csv", body)
    assert upload.table is not None
    return [dict(row.cells) for row in upload.table.rows]


EXPECTED = [
    {"Code client": "C1", "Raison sociale": "Société Générale", "Email": "compta@sg.example"},
    {"Code client": "C2", "Raison sociale": "Ça va SA", "Email": "a@b.example"},
]


@pytest.mark.parametrize(
    ("label", "body"),
    [
        ("UTF-8", CUSTOMERS.encode("utf-8")),
        ("UTF-8 BOM", codecs.BOM_UTF8 + CUSTOMERS.encode("utf-8")),
        ("UTF-16 BOM", CUSTOMERS.encode("utf-16")),
        ("UTF-16LE without BOM", CUSTOMERS.encode("utf-16-le")),
        ("UTF-16BE without BOM", CUSTOMERS.encode("utf-16-be")),
        ("UTF-32 BOM", CUSTOMERS.encode("utf-32")),
        ("Windows-1252", CUSTOMERS.encode("cp1252")),
    ],
)
def test_the_same_rows_come_out_of_every_encoding_excel_and_accounting_tools_write(label: str, body: bytes):
    assert rows(body) == EXPECTED


def test_the_upload_names_the_encoding_it_read():
    upload = read_upload("incoming/customers/clients.csv", CUSTOMERS.encode("utf-16-le"))

    assert upload.encoding == "UTF-16LE (no BOM)"
    assert upload.table is not None
    assert len(upload.table.rows) == 2  # not one row per NUL byte


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (bytes(range(256)) * 8, "not a text file"),
        (b"\x00\x01\x02\x03garbage\x00\xff\xfe" * 50, "not a text file"),
        (
            "C1;Société\r\n".encode() + b"C2;Soci\xe9t\xe9\r\n",
            "mixes encodings: its text is UTF-8 up to byte",
        ),
        (gzip.compress(CUSTOMERS.encode()), "gzip archive"),
        (codecs.BOM_UTF16_LE + CUSTOMERS.encode("utf-16-le") + b"\x00", "is not UTF-16"),
        (codecs.BOM_UTF16_LE + "a;b\r\n".encode("utf-16-le") + b"\x00\xd8a\x00", "is not UTF-16"),
    ],
)
def test_bytes_that_are_no_text_relance_reads_stop_the_file_with_the_reason(body: bytes, reason: str):
    with pytest.raises(UnreadableFile, match=reason):
        read_upload("incoming/customers/clients.csv", body)


def test_a_stray_control_character_in_one_cell_is_not_mistaken_for_a_binary_file():
    body = b"customer_id;name;email\nC1;Dupont\x1a;a@b.example\nC2;Martin;m@b.example\n"

    assert len(rows(body)) == 2
