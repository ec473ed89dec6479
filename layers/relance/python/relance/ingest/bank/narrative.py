"""The MT940 `:86:` field: who paid and why, in the three shapes banks write it.

- German (ZKA/DFÜ): `166?00GUTSCHRIFT?20EREF+...?21...SVWZ+...?31IBAN?32NAME`: a business code, then
  subfields `?NN`; the purpose runs over ?20-?29 and ?60-?63 in 27-character pieces cut mid-word, and
  carries the SEPA keys EREF+ (end-to-end id) and SVWZ+ (remittance).
- Slash-keyed (Rabobank, ING, ABN AMRO, SEPA guidelines): `/EREF/.../ORDP//NAME/.../REMI/.../`.
- Anything else: free text, the remittance as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from relance.ingest.bank.entry import normalise_iban, one_line, usable_reference

_GERMAN = re.compile(r"^(\d{3})([^A-Za-z0-9\s])\d{2}")
_SEPA_KEY = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT)\+")
_PURPOSE_CODES = [f"{n:02d}" for n in (*range(20, 30), *range(60, 64))]
# Posting texts and business codes (GVC) of returned transfers: the money comes back, nobody paid.
_RETURN_WORDS = re.compile(r"RETOUR|RUECK|RÜCK|STORNO|REJET|RETURN|REVERSAL", re.IGNORECASE)
_RETURN_CODES = frozenset({"159"})
_SLASH_KEYS = (
    "EREF|MARF|CSID|CNTP|REMI|PREF|ORDP|BENM|ISDT|RTRN|IREF|PURP|ULTC|ULTD|ULTB|NAME|ADDR|ID|BIC|IBAN|"
    "ACCW|TRTP|SVCL|CHGS|EXCH|OCMT|BUSP"
)
_SLASH = re.compile(rf"/({_SLASH_KEYS})/")
_SLASH_START = re.compile(rf"^/({_SLASH_KEYS})/")
# SWIFT lines are at most 65 characters: a full line was cut by the width, a shorter one ended a phrase.
_LINE_WIDTH = 65


@dataclass(frozen=True)
class Narrative:
    end_to_end_id: str | None = None
    remittance: str | None = None
    structured: tuple[str, ...] = ()
    name: str | None = None
    iban: str | None = None
    returned: bool = False
    code: str | None = None


def read_narrative(lines: list[str]) -> Narrative:
    """Reads the :86: field from its lines as the file has them."""
    joined = "".join(lines)
    german = _GERMAN.match(joined)
    if german:
        return _german(joined, german.group(1), german.group(2))
    if _SLASH_START.match(joined):
        return _slashed(joined)
    return Narrative(remittance=_free_text(lines))


def _free_text(lines: list[str]) -> str | None:
    text = ""
    for line in lines:
        text += line if len(line) >= _LINE_WIDTH else line + " "
    return one_line(text)


def _german(text: str, code: str, separator: str) -> Narrative:
    pieces = re.split(re.escape(separator) + r"(\d{2})", text[3:])
    fields: dict[str, str] = {}
    for number, value in zip(pieces[1::2], pieces[2::2], strict=True):
        fields[number] = fields.get(number, "") + value
    purpose = "".join(fields.get(number, "") for number in _PURPOSE_CODES)
    keyed = _SEPA_KEY.split(purpose)
    values: dict[str, str] = {}
    for key, value in zip(keyed[1::2], keyed[2::2], strict=True):
        values[key] = values.get(key, "") + value
    if len(keyed) > 1:
        remittance = one_line(" ".join(part for part in (keyed[0], values.get("SVWZ", "")) if part))
    else:
        remittance = one_line(purpose)
    posting = fields.get("00", "")
    return Narrative(
        end_to_end_id=usable_reference(values.get("EREF")),
        remittance=remittance,
        name=one_line(fields.get("32", "") + fields.get("33", "")),
        iban=normalise_iban(fields.get("31")),
        returned=code in _RETURN_CODES or bool(_RETURN_WORDS.search(posting)),
        code=code,
    )


def _slashed(text: str) -> Narrative:
    marks = list(_SLASH.finditer(text))
    values: list[tuple[str, str]] = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        values.append((mark.group(1), text[mark.end() : end].strip("/ ")))
    first = dict(reversed(values))  # the first value of each key wins
    name = first.get("NAME")
    iban = normalise_iban(first.get("IBAN"))
    if counterparty := first.get("CNTP"):
        # CNTP is positional: account / BIC / name / city.
        parts = counterparty.split("/")
        iban = normalise_iban(parts[0]) or iban
        name = (parts[2] if len(parts) > 2 else None) or name
    remittance, structured = None, ()
    if remi := first.get("REMI"):
        parts = [part for part in remi.split("/") if part]
        if parts and parts[0] == "STRD":
            structured = (parts[-1],) if len(parts) > 1 else ()
        else:
            remittance = one_line(remi.removeprefix("USTD").lstrip("/"))
    return Narrative(
        end_to_end_id=usable_reference(first.get("EREF")),
        remittance=remittance,
        structured=structured,
        name=one_line(name),
        iban=iban,
        returned="RTRN" in first,
    )
