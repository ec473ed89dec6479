"""Telling a bank statement from the other files dropped in `incoming/`, from its first bytes."""

from __future__ import annotations

import codecs
import re
from posixpath import basename

CAMT_053 = "camt.053"
CAMT_054 = "camt.054"
MT940 = "mt940"

# Enough to reach the root element past an XML declaration, comments and a long namespace list.
_HEAD = 4096
_CAMT = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.(05[34])\.001\.\d{2}")
_ROOT = re.compile(rb"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<", re.DOTALL)
_MT_FIELD = re.compile(r"^(?:\{4:)?:(20|25|28C?|60[FM]|61|62[FM]):", re.MULTILINE)
_MT_NAMES = (".sta", ".mt940", ".940", ".swi")


def sniff_bank_statement(name: str, body: bytes) -> str | None:
    """ "camt.053", "camt.054" or "mt940" when the file is one; None for anything else (CSV, e-invoice...).

    The content decides; the name only lets through an MT940 whose balances were cut off.
    """
    head = body[:_HEAD]
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    if _ROOT.match(head):
        camt = _CAMT.search(head)
        if camt is None:
            return None
        return CAMT_053 if camt.group(1) == b"053" else CAMT_054
    text = head.decode("latin-1")
    tags = {match.group(1) for match in _MT_FIELD.finditer(text)}
    if {"20", "25"} <= tags and tags & {"60F", "60M", "61"}:
        return MT940
    if {"20", "25"} <= tags and basename(name).lower().endswith(_MT_NAMES):
        return MT940
    return None
