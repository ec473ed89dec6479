"""Bytes to text: which encoding a dropped file is in, told before any row is read.

UTF-8 (with or without BOM), UTF-16 and UTF-32 with a BOM, UTF-16 without BOM (told by its NUL bytes:
text never holds one), and Windows-1252 as Excel saves "CSV (séparateur: point-virgule)". The whole file
is checked here, in chunks, so a reader streaming its rows afterwards never meets an undecodable byte
halfway through, once rows have already been stored.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from typing import TextIO

from relance.ingest.errors import UnreadableFile

_CHUNK = 1 << 20
_SAMPLE = 1 << 16
# Bytes Windows-1252 leaves undefined: a file holding one is not Windows-1252 either.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# C0 controls other than tab, line feed, vertical tab, form feed and carriage return; and DEL.
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BOMS = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 (BOM)"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 (BOM)"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 (BOM)"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 (BOM)"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 (BOM)"),
)
_SIGNATURES = (
    (b"\x1f\x8b", "a gzip archive: drop the file it holds, not the archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: drop the file it holds, not the archive"),
    (b"Rar!", "a RAR archive: drop the file it holds, not the archive"),
    (b"\x89PNG", "a PNG image; send the invoice as CSV, UBL, CII or Factur-X"),
    (b"\xff\xd8\xff", "a JPEG image; send the invoice as CSV, UBL, CII or Factur-X"),
)


@dataclass(frozen=True)
class TextEncoding:
    """The codec that reads the file (it skips its own BOM) and how the report names it."""

    codec: str
    label: str

    @property
    def eight_bit(self) -> bool:
        return self.codec in ("utf-8", "utf-8-sig", "cp1252")


UTF8 = TextEncoding("utf-8", "UTF-8")


def detect_encoding(body: bytes) -> TextEncoding:
    """The file's encoding, or UnreadableFile saying why it has none Relance reads."""
    for signature, what in _SIGNATURES:
        if body.startswith(signature):
            raise UnreadableFile(f"this is {what}")
    for bom, codec, label in _BOMS:
        if body.startswith(bom):
            _check_decodes(body, codec, label)
            return _not_binary(body, TextEncoding(codec, label))
    if b"\x00" in body[:_SAMPLE]:
        encoding = _utf16_without_bom(body)
        _check_decodes(body, encoding.codec, encoding.label)
        return _not_binary(body, encoding)
    if body.isascii():
        return _not_binary(body, UTF8)
    bad = _first_bad_utf8(body)
    if bad is None:
        return _not_binary(body, UTF8)
    if not body[:bad].isascii():
        raise UnreadableFile(
            f"the file mixes encodings: its text is UTF-8 up to byte {bad}, which is not; "
            "save it again as CSV UTF-8 and drop it again"
        )
    undefined = _CP1252_UNDEFINED.search(body)
    if undefined:
        raise UnreadableFile(
            f"the file is neither UTF-8 (byte {bad} is not) nor Windows-1252 (byte {undefined.start()} "
            "is not): save it as CSV UTF-8 and drop it again"
        )
    return _not_binary(body, TextEncoding("cp1252", "Windows-1252"))


def open_text(body: bytes, encoding: TextEncoding) -> TextIO:
    """The file as a text stream decoded chunk by chunk; line endings are left to the CSV reader."""
    return io.TextIOWrapper(io.BytesIO(body), encoding=encoding.codec, newline="")


def decode_text(body: bytes) -> str:
    """The whole file as one string: for JSON and small files; CSV rows are streamed with `open_text`."""
    return open_text(body, detect_encoding(body)).read()


def _utf16_without_bom(body: bytes) -> TextEncoding:
    """Text in UTF-16 puts a NUL byte beside every ASCII character: on the odd bytes when little-endian."""
    sample = body[: _SAMPLE - _SAMPLE % 2]
    pairs = max(len(sample) // 2, 1)
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= pairs * 0.3 and even <= odd // 20:
        return TextEncoding("utf-16-le", "UTF-16LE (no BOM)")
    if even >= pairs * 0.3 and odd <= even // 20:
        return TextEncoding("utf-16-be", "UTF-16BE (no BOM)")
    raise UnreadableFile(
        f"this is not a text file (byte {body.index(0)} is a NUL byte): drop a CSV, JSON or XML file"
    )


def _first_bad_utf8(body: bytes) -> int | None:
    """The offset of the first byte that is not UTF-8, read in chunks so no copy of the file is made."""
    position, size = 0, len(body)
    view = memoryview(body)
    while position < size:
        end = min(position + _CHUNK, size)
        try:
            _, consumed = codecs.utf_8_decode(view[position:end], "strict", end == size)
        except UnicodeDecodeError as exc:
            return position + exc.start
        if consumed == 0:
            return position
        position += consumed
    return None


def _check_decodes(body: bytes, codec: str, label: str) -> None:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    view = memoryview(body)
    for start in range(0, len(body), _CHUNK):
        try:
            decoder.decode(view[start : start + _CHUNK], start + _CHUNK >= len(body))
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"the file reads as {label} but byte {start + exc.start} is not {label.split()[0]}"
            ) from None


def _not_binary(body: bytes, encoding: TextEncoding) -> TextEncoding:
    """Binary bytes decode as Windows-1252 too; what gives them away is their control characters."""
    sample = codecs.getincrementaldecoder(encoding.codec)("replace").decode(body[:_SAMPLE], False)
    controls = len(_BINARY.findall(sample))
    if "\x00" in sample or controls > max(len(sample) // 200, 2):
        raise UnreadableFile(
            f"this is not a text file ({controls} control characters in its first "
            f"{len(sample)} characters): drop a CSV, JSON or XML file"
        )
    return encoding
