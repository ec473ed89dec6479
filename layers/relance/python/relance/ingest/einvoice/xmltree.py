"""Parsing e-invoice XML safely, and reading values from it by path."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from relance.ingest.errors import UnreadableFile

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


def parse_xml(body: bytes) -> ET.Element:
    """E-invoices never need a DTD, so one is refused: no entity can expand or reach outside the file."""
    if _DOCTYPE.search(body):
        raise UnreadableFile("the XML declares a DOCTYPE or an entity, which e-invoices never need; refused")
    try:
        # Safe here: without a DTD (refused above) expat has no entity to expand or fetch.
        return ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise UnreadableFile(f"the XML is broken: {exc}") from None


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
