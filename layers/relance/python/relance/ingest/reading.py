"""From a dropped object's key and bytes to what it holds: a table of rows, or an e-invoice."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from posixpath import basename

from relance.ingest.decoding import decode_text
from relance.ingest.detection import kind_from_columns, kind_from_folder, kind_from_key
from relance.ingest.einvoice.document import EInvoice
from relance.ingest.einvoice.reader import read_einvoice_xml, read_facturx_pdf
from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.rows import Table
from relance.ingest.tabular import read_csv, read_json

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class Upload:
    """A readable file: its kind, its format, and either its table or its e-invoice."""

    kind: FileKind
    format: str
    table: Table | None = None
    einvoice: EInvoice | None = None


def read_upload(key: str, body: bytes) -> Upload:
    """Format from the content (extensions lie: "export.csv" saved as .xlsx), kind from key then columns."""
    if not body.strip():
        raise UnreadableFile("the file is empty")
    if body.startswith((_ZIP, _OLE)):
        raise UnreadableFile("this is an Excel workbook; save it as CSV (separator ;) and drop the CSV")
    if body.startswith(b"%PDF-"):
        return Upload(kind=FileKind.EINVOICE, format="pdf", einvoice=read_facturx_pdf(body))
    start = body.removeprefix(codecs.BOM_UTF8).lstrip()
    if start.startswith(b"<"):
        return Upload(kind=FileKind.EINVOICE, format="xml", einvoice=read_einvoice_xml(body))
    text = decode_text(body)
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        table, file_format = read_json(text), "json"
    else:
        table, file_format = read_csv(text), "csv"
    return Upload(kind=_kind(key, table), format=file_format, table=table)


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
    return (
        f"cannot tell what {basename(key)!r} holds: drop it under incoming/customers/, incoming/invoices/ or "
        "incoming/payments/, or name its columns as docs/ingest.md lists "
        f"(columns found: {', '.join(table.headers) or 'none'})"
    )
