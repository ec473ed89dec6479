"""Bank statements (camt.053, camt.054, MT940) read into `BankEntry`s, for matching credits to invoices.

`sniff_bank_statement` tells a statement from other files; `read_bank_statement` reads one. Pure: no AWS.
The matching itself is in `relance.domain.matching`.
"""

from __future__ import annotations

from relance.ingest.bank.entry import (
    BankEntry,
    BankFile,
    BankStatementError,
    Direction,
    ReferenceKind,
)
from relance.ingest.bank.sniffing import CAMT_053, CAMT_054, MT940, sniff_bank_statement

__all__ = [
    "CAMT_053",
    "CAMT_054",
    "MT940",
    "BankEntry",
    "BankFile",
    "BankStatementError",
    "Direction",
    "ReferenceKind",
    "read_bank_statement",
    "sniff_bank_statement",
]


def read_bank_statement(name: str, body: bytes) -> BankFile:
    """Every entry of the statement file `name`, in file order; raises BankStatementError saying where."""
    # The readers load on the first statement, not at every ingest's cold start: most files are CSV.
    from relance.ingest.bank.camt import read_camt
    from relance.ingest.bank.mt940 import read_mt940

    kind = sniff_bank_statement(name, body)
    if kind in (CAMT_053, CAMT_054):
        return read_camt(name, body)
    if kind == MT940:
        return read_mt940(name, body)
    raise BankStatementError(
        "the file is neither a camt.053 / camt.054 XML statement nor an MT940 statement", file=name
    )
