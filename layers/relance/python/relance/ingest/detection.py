"""What a dropped file holds: told by its key (folder, then file name), or else by its columns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from posixpath import basename

from relance.ingest.fields import fold
from relance.ingest.headers import map_columns
from relance.ingest.kinds import TABULAR_KINDS, FileKind

_FOLDERS = {kind.value: kind for kind in TABULAR_KINDS}
# Looked for in the folded file name; "factures_clients.csv" names two kinds and is left to its columns.
_NAME_WORDS = {
    FileKind.CUSTOMERS: re.compile(r"customer|client"),
    FileKind.INVOICES: re.compile(r"invoice|factur"),
    FileKind.PAYMENTS: re.compile(r"payment|paiement|reglement|encaissement|remittance"),
}


def kind_from_folder(key: str) -> FileKind:
    """`incoming/customers/…`, `incoming/invoices/…`, `incoming/payments/…`."""
    parts = key.split("/")
    if parts[0] == "incoming":
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in _FOLDERS:
        return _FOLDERS[parts[0]]
    return FileKind.UNKNOWN


def kind_from_key(key: str) -> FileKind:
    """The folder wins; else a file name with one kind's word in it; else UNKNOWN."""
    folder = kind_from_folder(key)
    if folder is not FileKind.UNKNOWN:
        return folder
    name = fold(basename(key))
    found = [kind for kind, words in _NAME_WORDS.items() if words.search(name)]
    return found[0] if len(found) == 1 else FileKind.UNKNOWN


def kind_from_columns(headers: Iterable[str]) -> FileKind:
    """The one kind whose required columns are all there; none, or a tie, leaves it UNKNOWN."""
    columns = list(headers)
    complete = {
        kind: len(mapped.fields)
        for kind in TABULAR_KINDS
        if not (mapped := map_columns(columns, kind)).missing(kind)
    }
    if not complete:
        return FileKind.UNKNOWN
    # An invoices file also names a customer and an amount, but recognises more of its own columns
    # (a due date, an issue date) than a payments reading of it would.
    best = max(complete.values())
    leaders = [kind for kind, score in complete.items() if score == best]
    return leaders[0] if len(leaders) == 1 else FileKind.UNKNOWN
