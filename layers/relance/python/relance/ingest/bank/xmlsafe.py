"""Bank XML through defusedxml only, with the line each element starts on for error messages."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from relance.ingest.bank.entry import BankStatementError


class _LineRecorder(TreeBuilder):
    """Notes expat's current line as each element opens (ElementTree itself keeps no positions)."""

    def __init__(self) -> None:
        super().__init__()
        self.expat: Any = None
        self.lines: dict[int, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = super().start(tag, attrs)
        if self.expat is not None:
            self.lines[id(element)] = self.expat.CurrentLineNumber
        return element


class ParsedXml:
    """The root element, and the line of any element of the tree (kept alive with it)."""

    def __init__(self, root: Element, lines: dict[int, int]) -> None:
        self.root = root
        self._lines = lines

    def line(self, element: Element | None) -> int | None:
        return None if element is None else self._lines.get(id(element))


def parse_bank_xml(body: bytes, file: str) -> ParsedXml:
    """No DTD, no entity, no external reference: a statement needs none, and each is an attack vector."""
    recorder = _LineRecorder()
    parser = DefusedXMLParser(target=recorder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    recorder.expat = parser.parser
    try:
        parser.feed(body)
        root = parser.close()
    except DefusedXmlException as exc:
        raise BankStatementError(
            f"the XML declares a DTD or entities ({type(exc).__name__}), which bank statements never "
            "need; refused",
            file=file,
            line=recorder.expat.CurrentLineNumber,
        ) from None
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise BankStatementError(f"the XML is broken: {exc}", file=file, line=line) from None
    return ParsedXml(root, recorder.lines)
