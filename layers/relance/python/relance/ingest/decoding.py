"""Bytes to text: UTF-8 with or without BOM, UTF-16 with BOM, and Windows-1252 as Excel saves it."""

from __future__ import annotations

import codecs

from relance.ingest.errors import UnreadableFile


def decode_text(body: bytes) -> str:
    """UTF-8 first: a valid UTF-8 file is almost never meant as cp1252, while the reverse is common."""
    if body.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise UnreadableFile(f"the file says it is {encoding} but byte {exc.start} is not") from None
        first_error = exc.start
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError:
        raise UnreadableFile(
            f"the file is neither UTF-8 (byte {first_error} is not) nor Windows-1252: "
            "save it as CSV UTF-8 and drop it again"
        ) from None
