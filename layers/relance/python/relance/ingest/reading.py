"""From a dropped object's key and bytes to what it holds: a table of rows, or an e-invoice.

Everything that can make the whole file unusable (encoding, a broken quote, broken JSON or XML, a DTD)
is found by `read_upload` itself, before any row is handed out; iterating the rows afterwards cannot fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from posixpath import basename
from typing import TYPE_CHECKING

from relance.ingest.bank import BankFile, read_bank_statement, sniff_bank_statement
from relance.ingest.decoding import TextEncoding, detect_encoding, open_text
from relance.ingest.detection import kind_from_columns, kind_from_folder, kind_from_key
from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.rows import Table
from relance.ingest.tabular import read_csv_stream, read_json

if TYPE_CHECKING:
    from relance.ingest.einvoice.document import EInvoice

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"
# Enough characters to see past a BOM, blank lines and an XML declaration to the first real one.
_PEEK = 4096


@dataclass(frozen=True)
class Upload:
    """A readable file: its kind, its format, and either its table or its e-invoice.

    `encoding` names how the text was read ("UTF-8", "UTF-16LE (no BOM)", "Windows-1252"), for the report.
    """

    kind: FileKind
    format: str
    table: Table | None = None
    einvoice: EInvoice | None = None
    bank: BankFile | None = None
    encoding: str | None = None


def read_upload(key: str, body: bytes) -> Upload:
    """Format from the content (extensions lie: "export.csv" saved as .xlsx), kind from key then columns."""
    # The whole body is stripped (a copy) only when its start is blank already.
    if not body[:_PEEK].strip() and not body.strip():
        raise UnreadableFile("the file is empty")
    if body.startswith((_ZIP, _OLE)):
        raise UnreadableFile("this is an Excel workbook; save it as CSV (separator ;) and drop the CSV")
    if body.startswith(b"%PDF-"):
        from relance.ingest.einvoice.reader import read_facturx_pdf  # loaded by the first e-invoice only

        return Upload(kind=FileKind.EINVOICE, format="pdf", einvoice=read_facturx_pdf(body))
    # Before the XML and CSV paths: a camt statement is XML and an MT940 is text, neither an e-invoice nor
    # a table, wherever it was dropped (incoming/bank/ or incoming/payments/).
    statement = sniff_bank_statement(key, body)
    if statement is not None:
        return Upload(kind=FileKind.BANK, format=statement, bank=read_bank_statement(key, body))
    encoding = detect_encoding(body)
    with open_text(body, encoding) as stream:
        start = stream.read(_PEEK).lstrip("\ufeff \t\r\n")
    if not start:
        raise UnreadableFile("the file is empty")
    if start.startswith("<"):
        return Upload(
            kind=FileKind.EINVOICE, format="xml", einvoice=_einvoice(body, encoding), encoding=encoding.label
        )
    # A .json file holding a bare string or number is JSON that is no table, not a one-cell CSV.
    if start.startswith(("[", "{")) or key.lower().endswith(".json"):
        with open_text(body, encoding) as stream:
            table, file_format = read_json(stream.read()), "json"
    else:
        table, file_format = read_csv_stream(lambda: open_text(body, encoding)), "csv"
    return Upload(kind=_kind(key, table), format=file_format, table=table, encoding=encoding.label)


def _einvoice(body: bytes, encoding: TextEncoding) -> EInvoice:
    """Expat reads the bytes (and their declared encoding) itself, except a Windows-1252 file."""
    # The XML readers load with the first e-invoice, not at every ingest's cold start: most files are CSV.
    from relance.ingest.einvoice.reader import read_einvoice_xml

    if encoding.codec != "cp1252":
        return read_einvoice_xml(body)
    with open_text(body, encoding) as stream:
        return read_einvoice_xml(stream.read())


def _kind(key: str, table: Table) -> FileKind:
    """Folder, then what a JSON file says it holds, then the file name, then the columns."""
    folder = kind_from_folder(key)
    announced = FileKind(table.announced) if table.announced else None
    if announced and folder is not FileKind.UNKNOWN and folder is not announced:
        raise UnreadableFile(
            f"the file is under incoming/{folder.value}/ but holds a list of {announced.value}"
        )
    if folder is not FileKind.UNKNOWN:
        return folder
    if announced:
        return announced
    kind = kind_from_key(key)
    return kind if kind is not FileKind.UNKNOWN else kind_from_columns(table.headers)


def unknown_kind_reason(key: str, table: Table) -> str:
    columns = ", ".join(table.headers[:30]) or "none"
    return (
        f"cannot tell what {basename(key)!r} holds: drop it under incoming/customers/, incoming/invoices/ or "
        f"incoming/payments/, or name its columns as docs/ingest.md lists (columns found: {columns})"
    )
