"""Parsing e-invoice XML safely, and reading values from it by path.

XML is hostile until defusedxml has parsed it: a DTD, an entity (billion laughs, XXE) or an external
reference stops the parser itself, whatever the encoding (a byte pattern misses `<!ENTITY` in UTF-16).
Size, element count and depth are bounded too, because ElementTree spends some 300 bytes an element.
"""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import iterparse

from relance.ingest.errors import UnreadableFile

MAX_XML_BYTES = 10 * 1024 * 1024
# A UBL or CII invoice of a thousand lines has some 50,000 elements, nested about ten deep.
MAX_ELEMENTS = 200_000
MAX_DEPTH = 64
_DECLARED_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def parse_xml(body: bytes | str) -> ET.Element:
    """The root element; no DTD, entity or external reference is ever processed.

    Bytes go to expat as they are, so it honours the BOM or the encoding the XML declaration names
    (UTF-16 without BOM included); text is for a file that had to be decoded as Windows-1252.
    """
    if isinstance(body, str):
        # Already decoded: the bytes handed to expat are UTF-8, whatever the declaration said.
        body = _DECLARED_ENCODING.sub(r"\1\2utf-8\2", body, count=1).encode("utf-8")
    size = len(body)
    if size > MAX_XML_BYTES:
        raise UnreadableFile(
            f"the XML is {size / 1024 / 1024:.1f} MB; an e-invoice Relance reads is at most "
            f"{MAX_XML_BYTES // 1024 // 1024} MB"
        )
    source = io.BytesIO(body)
    root: ET.Element | None = None
    depth = elements = 0
    try:
        for event, element in iterparse(
            source, events=("start", "end"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            if event == "end":
                depth -= 1
                continue
            root = element if root is None else root
            depth += 1
            elements += 1
            if depth > MAX_DEPTH:
                raise UnreadableFile(f"the XML nests elements more than {MAX_DEPTH} deep: not an e-invoice")
            if elements > MAX_ELEMENTS:
                raise UnreadableFile(f"the XML has more than {MAX_ELEMENTS:,} elements: not an e-invoice")
    except DTDForbidden:
        raise UnreadableFile(
            "the XML declares a DOCTYPE, which e-invoices never need; refused (no entity is expanded)"
        ) from None
    except EntitiesForbidden:
        raise UnreadableFile("the XML declares an entity, which e-invoices never need; refused") from None
    except ExternalReferenceForbidden:
        raise UnreadableFile("the XML refers to an external resource; refused") from None
    except DefusedXmlException as exc:
        raise UnreadableFile(f"the XML is refused: {exc}") from None
    except ET.ParseError as exc:
        raise UnreadableFile(f"the XML is broken: {exc}") from None
    if root is None:
        raise UnreadableFile("the XML has no element")
    return root


def text(node: ET.Element | None, path: str, namespaces: dict[str, str]) -> str | None:
    if node is None:
        return None
    found = node.find(path, namespaces)
    if found is None or found.text is None:
        return None
    return " ".join(found.text.split()) or None


def first(node: ET.Element | None, paths: tuple[str, ...], namespaces: dict[str, str]) -> str | None:
    for path in paths:
        value = text(node, path, namespaces)
        if value:
            return value
    return None


def texts(node: ET.Element | None, paths: tuple[str, ...], namespaces: dict[str, str]) -> list[str]:
    """Every non-empty value found under the paths, in path order, without repeats."""
    found: list[str] = []
    if node is None:
        return found
    for path in paths:
        for item in node.findall(path, namespaces):
            value = " ".join((item.text or "").split())
            if value and value not in found:
                found.append(value)
    return found
