"""Big files are read one row at a time: counted up front, validated as a stream, never held whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.reading import read_upload
from relance.ingest.rows import CustomerFields, RawRow, Rejection, Table
from relance.ingest.tabular import CsvRows
from relance.ingest.validation import check_customers, stream_customers, stream_table

BODY = b"customer_id;name;email\nC1;A;a@a.example\n\nC2;B;not-an-email\nC3;C;c@c.example\n"


class Exploding:
    """Rows that fail loudly if read past the first: proves a consumer got its answer from row one."""

    def __len__(self) -> int:
        return 2

    def __iter__(self) -> Iterator[RawRow]:
        yield RawRow(2, {"customer_id": "C1", "name": "A", "email": "a@a.example"})
        raise AssertionError("the second row was read before the first one's outcome was used")


def test_a_csv_table_is_counted_when_opened_and_read_lazily_as_often_as_needed():
    upload = read_upload("incoming/customers/c.csv", BODY)

    assert upload.table is not None
    assert isinstance(upload.table.rows, CsvRows)
    assert len(upload.table.rows) == 3  # the blank line is no row
    first = [(row.line, dict(row.cells)) for row in upload.table.rows]
    again = [(row.line, dict(row.cells)) for row in upload.table.rows]
    assert first == again
    assert [line for line, _ in first] == [2, 4, 5]


def test_validation_yields_each_row_before_reading_the_next():
    stream = stream_customers(Table(headers=("customer_id", "name", "email"), rows=Exploding()), ())

    outcome = next(stream)

    assert isinstance(outcome, CustomerFields)
    assert outcome.customer_id == "C1"
    assert outcome.values == {"customer_id": "C1", "name": "A", "email": "a@a.example"}


def test_the_stream_and_the_gathered_check_agree_row_for_row():
    upload = read_upload("incoming/customers/c.csv", BODY)
    assert upload.table is not None

    streamed = list(stream_table(FileKind.CUSTOMERS, upload.table, policies=()))
    checked = check_customers(upload.table, ())

    assert [o.line for o in streamed if isinstance(o, CustomerFields)] == [c.line for c in checked.accepted]
    assert [o for o in streamed if isinstance(o, Rejection)] == checked.rejected
    assert len(checked.accepted) + len(checked.rejected) == len(upload.table.rows)


@pytest.mark.parametrize("tail", [b'C4;"unclosed;x@x.example\n', b'C4;"a"b;x@x.example\n'])
def test_a_malformed_last_line_stops_the_file_when_it_is_opened_before_any_row_is_used(tail: bytes):
    with pytest.raises(UnreadableFile, match="cannot be read at line 6"):
        read_upload("incoming/customers/c.csv", BODY + tail)
