"""JSON files: a list of objects, or the list wrapped under its kind."""

from __future__ import annotations

import pytest

from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.reading import read_upload
from relance.ingest.tabular import NOT_AN_OBJECT


def test_a_plain_list_of_objects_is_a_table_whose_numbers_keep_their_exact_digits():
    body = b'[{"invoice_id": "F-1", "customer_id": "C1", "total": 1234.10, "amount_paid": 0}]'

    upload = read_upload("incoming/invoices/f.json", body)

    assert upload.format == "json"
    assert upload.table is not None
    assert next(iter(upload.table.rows)).cells == {
        "invoice_id": "F-1",
        "customer_id": "C1",
        "total": "1234.10",  # read as Decimal, never as the float 1234.1
        "amount_paid": "0",
    }
    assert next(iter(upload.table.rows)).line == 1


@pytest.mark.parametrize(
    ("wrapper", "kind"),
    [("customers", FileKind.CUSTOMERS), ("invoices", FileKind.INVOICES), ("payments", FileKind.PAYMENTS)],
)
def test_a_wrapped_list_announces_its_kind_whatever_the_file_name(wrapper: str, kind: FileKind):
    body = f'{{"{wrapper}": [{{"x": "1"}}]}}'.encode()

    upload = read_upload("incoming/export.json", body)

    assert upload.kind is kind


def test_a_wrapper_that_contradicts_the_folder_is_refused():
    with pytest.raises(UnreadableFile, match="under incoming/invoices/ but holds a list of payments"):
        read_upload("incoming/invoices/x.json", b'{"payments": []}')


def test_lists_inside_a_record_become_lines_and_null_becomes_empty():
    body = b'{"customers": [{"customer_id": "C1", "cc": ["a@x.example", "b@x.example"], "siren": null}]}'

    upload = read_upload("incoming/c.json", body)

    assert upload.table is not None
    assert next(iter(upload.table.rows)).cells["cc"] == "a@x.example\nb@x.example"
    assert next(iter(upload.table.rows)).cells["siren"] == ""


def test_an_item_that_is_not_an_object_is_kept_to_be_rejected():
    upload = read_upload("incoming/invoices/f.json", b'[{"invoice_id": "F-1"}, "F-2"]')

    assert upload.table is not None
    assert list(upload.table.rows)[1].cells == {NOT_AN_OBJECT: "F-2"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'[{"invoice_id": "F-1",}]', "JSON is broken at line 1"),
        (b'{"rows": []}', 'exactly one list under "customers"'),
        (b'{"customers": [], "invoices": []}', "exactly one list"),
        (b'{"customers": {"C1": {}}}', "exactly one list"),
    ],
)
def test_json_that_cannot_be_used_says_why(body: bytes, reason: str):
    with pytest.raises(UnreadableFile, match=reason):
        read_upload("incoming/invoices/f.json", body)
