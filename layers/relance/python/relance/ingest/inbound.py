"""A customer's email, as SES stores it under inbound/, read into what the reply classifier needs.

`parse_inbound(raw)` takes the raw RFC 5322 bytes and returns an `InboundMail`: the threading headers (to
find the reminder it answers), the sender, the signals that say a machine wrote it, and `text`, the words
the customer added: the text part (or the HTML part turned into text) without the quoted history of our
reminder and without the signature. Our reminders say "payé", "contestation", "échéancier" in their
quoted copy; only `text` is safe to classify.

Only the standard library's `email` and `html.parser`: the layer ships nothing more for this, and mail
is hostile input like any other. Whatever the bytes, the only exception is `InboundMailError`.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

# SES accepts at most 40 MB per received message; anything larger is not a message SES gave us.
MAX_MESSAGE_BYTES = 40 * 1024 * 1024


class InboundMailError(ValueError):
    """The bytes are not an email that can be read; the message says why."""


@dataclass(frozen=True)
class InboundMail:
    # Message ids without their angle brackets. SES replaces the Message-ID of what we send with its own,
    # `<SES message id>@<region>.amazonses.com`: a reply's In-Reply-To carries SES's id, not ours.
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    from_address: str  # lower case
    from_name: str
    to: tuple[str, ...]  # lower case
    subject: str
    date: datetime | None  # tz-aware; None when missing or unreadable (the SES receipt time is the truth)
    # Each of these alone marks a message written by a machine (header and value, for the audit trail).
    auto_reply_signals: tuple[str, ...]
    # Recorded but not decisive: lists and helpdesks put them on messages people write too.
    weak_signals: tuple[str, ...]
    text: str  # what the customer wrote: no quoted history, no signature
    body: str  # the whole body as text, history included
    body_format: str  # "plain", "html" or "none"
    attachments: tuple[str, ...]  # file names (an attached message is named "message.eml")

    @property
    def is_auto_reply(self) -> bool:
        return bool(self.auto_reply_signals)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The messages this one answers, likeliest first: In-Reply-To, then References newest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += reversed(self.references)
        return tuple(dict.fromkeys(ids))


def parse_inbound(raw: bytes) -> InboundMail:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise InboundMailError(f"a raw message is bytes, not {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise InboundMailError("the message is empty")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InboundMailError(f"the message is {len(raw)} bytes, more than SES ever delivers")
    try:
        return _parse(raw)
    except InboundMailError:
        raise
    # The email package can fail deep inside on hostile input, with many exception types: all mean the same.
    except Exception as exc:
        raise InboundMailError(f"the message cannot be read: {type(exc).__name__}: {exc}") from None


def _parse(raw: bytes) -> InboundMail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    headers = _Headers(message)
    senders = headers.addresses("From")
    if not senders:
        found = headers.text("From")
        raise InboundMailError(
            f"the From header {found!r} holds no email address" if found else "the message has no From header"
        )
    from_name, from_address = senders[0]
    strong, weak = _automation_signals(message, headers, from_address)
    body, body_format, attachments = _body(message)
    return InboundMail(
        message_id=_first_id(headers.text("Message-ID")),
        in_reply_to=_first_id(headers.text("In-Reply-To")),
        references=tuple(_ids(headers.text("References"))),
        from_address=from_address,
        from_name=from_name,
        to=tuple(address for _, address in headers.addresses("To")),
        subject=headers.text("Subject"),
        date=_date(headers.text("Date")),
        auto_reply_signals=strong,
        weak_signals=weak,
        text=reply_text(body),
        body=body,
        body_format=body_format,
        attachments=attachments,
    )


class _Headers:
    """Header values decoded by hand: raw 8-bit bytes (UTF-8 or Windows-1252) and RFC 2047 words alike."""

    def __init__(self, message: EmailMessage) -> None:
        self._raw: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self._raw.setdefault(name.lower(), []).append(str(value))

    def raw(self, name: str) -> str:
        values = self._raw.get(name.lower())
        return _unfold(_undo_surrogates(values[0])) if values else ""

    def text(self, name: str) -> str:
        return _decode_words(self.raw(name))

    def addresses(self, name: str) -> list[tuple[str, str]]:
        found = []
        for display, address in getaddresses([self.raw(name)]):
            address = address.strip().lower()
            if "@" in address and " " not in address:
                found.append((" ".join(_decode_words(display).split()), address))
        return found


def _undo_surrogates(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: read them as UTF-8, else Windows-1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    return _decode_bytes(data, None)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", value).replace("\r", "").replace("\n", " ").strip()


def _decode_words(value: str) -> str:
    if "=?" not in value:
        return value.strip()
    try:
        return str(make_header(decode_header(value))).strip()
    # A broken encoded word (unknown charset, bad base64) is shown as written rather than lost.
    except (LookupError, ValueError, UnicodeError):
        return value.strip()


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """The declared charset if Python knows it, else UTF-8, else Windows-1252, else Latin-1 (never fails)."""
    for candidate in (charset, "utf-8", "cp1252"):
        if not candidate:
            continue
        try:
            return data.decode(_CHARSET_ALIASES.get(candidate.lower(), candidate))
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


# Names mail software writes that Python's codec registry does not know, or knows as something else.
_CHARSET_ALIASES = {
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "windows-874": "cp874",
    "x-user-defined": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "us-ascii": "cp1252",  # declared ASCII with 8-bit bytes in it is nearly always Windows-1252
}

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


def _ids(value: str) -> list[str]:
    ids = _MESSAGE_ID.findall(value)
    if not ids and value.strip() and " " not in value.strip():
        ids = [value.strip().strip("<>")]  # some software forgets the brackets
    return ids


def _first_id(value: str) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # "-0000" means "time zone unknown": the instant is still given in UTC (RFC 5322 section 3.3).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- machines --------------------------------------------------------------------------------------------

_NULL_SENDER = re.compile(r"^\s*<\s*>\s*$")
_MACHINE_SENDER = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|ne-?pas-?repondre)@", re.I)
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-AutoReply-From", "X-Mail-Autoreply")


def _automation_signals(
    message: EmailMessage, headers: _Headers, from_address: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """RFC 3834 and the headers autoresponders actually write; weak ones are kept apart, see InboundMail."""
    strong: list[str] = []
    weak: list[str] = []
    auto_submitted = headers.text("Auto-Submitted")
    if auto_submitted and auto_submitted.split(";")[0].strip().lower() != "no":
        strong.append(f"Auto-Submitted: {auto_submitted}")
    for name in _AUTO_HEADERS:
        if headers.raw(name):
            strong.append(f"{name}: {headers.text(name)}")
    precedence = headers.text("Precedence").lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        strong.append(f"Precedence: {precedence}")
    elif precedence == "list":
        weak.append("Precedence: list")
    return_path = headers.raw("Return-Path")
    if return_path and _NULL_SENDER.match(return_path):
        strong.append("Return-Path: <>")
    if _MACHINE_SENDER.match(from_address):
        strong.append(f"From: {from_address}")
    if message.get_content_type() == "multipart/report":
        strong.append("Content-Type: multipart/report")
    if headers.raw("X-Auto-Response-Suppress"):
        weak.append(f"X-Auto-Response-Suppress: {headers.text('X-Auto-Response-Suppress')}")
    if headers.raw("List-Id"):
        weak.append(f"List-Id: {headers.text('List-Id')}")
    return tuple(strong), tuple(weak)


# --- body ------------------------------------------------------------------------------------------------


def _body(message: EmailMessage) -> tuple[str, str, tuple[str, ...]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[str] = []
    _collect(message, plain, html, attachments)
    text = "\n".join(part for part in plain if part.strip())
    if text.strip():
        return _clean(text), "plain", tuple(attachments)
    markup = "\n".join(html)
    if markup.strip():
        return html_to_text(markup), "html", tuple(attachments)
    return "", "none", tuple(attachments)


def _collect(part: EmailMessage, plain: list[str], html: list[str], attachments: list[str]) -> None:
    content_type = part.get_content_type()
    if part.is_multipart():
        if content_type == "message/rfc822":
            # A message attached whole (a forward as attachment) is history, not the customer's words.
            attachments.append(part.get_filename() or "message.eml")
            return
        for child in part.iter_parts():
            _collect(child, plain, html, attachments)  # type: ignore[arg-type]
        return
    if part.get_content_disposition() == "attachment" or (
        part.get_filename() and not content_type.startswith("text/")
    ):
        attachments.append(_decode_words(part.get_filename() or "") or content_type)
        return
    if content_type not in ("text/plain", "text/html"):
        return
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return
    decoded = _decode_bytes(payload, part.get_content_charset())
    (plain if content_type == "text/plain" else html).append(decoded)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = text.replace("\xa0", " ").replace("\u202f", " ")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


# --- HTML to text ----------------------------------------------------------------------------------------

# Elements a browser lays out as blocks: each starts and ends a line.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
        "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr", "source"})


class _TextExtractor(HTMLParser):
    """Text as a mail client shows it: blocks on their own lines, blockquotes as "> " quotes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.skipping = 0
        self.pre = 0
        self.stack: list[str] = []

    def break_line(self, *, force: bool = False) -> None:
        """End the line being built. An empty one is kept for a <br> or a block holding only &nbsp;."""
        line = "".join(self.current)
        self.current = []
        if line.strip(" \xa0"):
            self.lines.append("> " * self.quote_depth + line.strip(" \xa0"))
        elif force or "\xa0" in line:
            self.lines.append("> " * self.quote_depth if self.quote_depth else "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        if tag not in _VOID:
            self.stack.append(tag)
        if tag in _BLOCKS:
            self.break_line(force=tag == "br")
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "li":
            self.current.append("- ")
        elif tag in ("td", "th"):
            self.current.append(" ")
        classes = " ".join(value or "" for name, value in attrs if name in ("class", "id")).lower()
        if "signature" in classes:
            self.break_line()
            self.lines.append("-- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.break_line(force=tag == "br")

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.stack:
            return  # a stray closing tag closes nothing
        while self.stack:
            open_tag = self.stack.pop()
            if open_tag in _SKIPPED:
                self.skipping = max(0, self.skipping - 1)
            if open_tag in _BLOCKS:
                self.break_line()
            if open_tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif open_tag == "pre":
                self.pre = max(0, self.pre - 1)
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.current.append(first)
            for line in rest:
                self.break_line()
                self.current.append(line)
            return
        # ASCII whitespace collapses as a browser does; &nbsp; (U+00A0) is kept, it marks an empty line.
        self.current.append(re.sub(r"[ \t\r\n\f\v]+", " ", data))


def html_to_text(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    extractor.break_line()
    lines = (line.replace("\xa0", " ").replace("\u202f", " ") for line in extractor.lines)
    return _clean("\n".join(re.sub(" {2,}", " ", line).rstrip() for line in lines))


# --- the customer's words --------------------------------------------------------------------------------

# A line after which everything is history (forwarded or quoted without "> " marks).
_HISTORY_START = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:original message|message d'origine|message original|forwarded message"
    r"|message transf[ée]r[ée]|mail transf[ée]r[ée]|courriel original|weitergeleitete nachricht"
    r"|urspr[üu]ngliche nachricht)\s*-{2,}"
    r"|d[ée]but du message r[ée]exp[ée]di[ée]\s*:|begin forwarded message\s*:"
    r"|_{8,}|-{8,}"
    r")\s*$",
    re.IGNORECASE,
)
# "Le lun. 2 mars 2026 à 10:12, Service comptabilité <compta@…> a écrit :", "On Mon, … wrote:".
_ATTRIBUTION = re.compile(
    r"^\s*(?:le|on|am|el|il)\b.{0,250}\b(?:a [ée]crit|wrote|schrieb|escribi[óo]|ha scritto)\s*:?\s*$",
    re.IGNORECASE,
)
# Outlook's header block of the message answered: "De : …" then "Envoyé : …" or "Date : …".
_HEADER_BLOCK_FIRST = re.compile(r"^\s*\*?(?:de|from|von)\s*\*?\s*:\s*\S", re.IGNORECASE)
_HEADER_BLOCK_NEXT = re.compile(
    r"^\s*\*?(?:envoy[ée]|sent|date|gesendet|[àa]|to|objet|subject|cc)\s*\*?\s*:", re.IGNORECASE
)
_SIGNATURE_START = re.compile(
    r"^\s*(?:--\s*|"
    r"(?:envoy[ée] (?:de|depuis) (?:mon|ma|l'application)|sent from my|get outlook for|obtenir outlook pour"
    r"|t[ée]l[ée]charg(?:er|ez) outlook)\b.*)$",
    re.IGNORECASE,
)
# Closing words: what follows them, if short, is a signature (names, titles, phone numbers, addresses).
_VALEDICTION = re.compile(
    r"^\s*(?:(?:bien |tr[èe]s )?cordialement|cdlt|bien [àa] vous|bien des choses"
    r"|salutations(?: distingu[ée]es)?|sinc[èe]res salutations|meilleures salutations"
    r"|bonne (?:journ[ée]e|soir[ée]e)|belle journ[ée]e|(?:best|kind|warm|many thanks and)? ?regards"
    r"|best wishes|sincerely(?: yours)?|yours (?:sincerely|faithfully)"
    r"|thanks?(?: you)?|many thanks|merci(?: beaucoup| d'avance| par avance)?|cheers|best)\b[\s,.!]*$",
    re.IGNORECASE,
)
_MAX_SIGNATURE_LINES = 10


def reply_text(body: str) -> str:
    """The customer's own words in a mail body: quoted lines, quoted history and signature removed."""
    lines = _clean(body).split("\n")
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _HISTORY_START.match(line) or _SIGNATURE_START.match(line) or _is_header_block(lines, index):
            break
        attribution = _attribution_length(lines, index)
        if attribution:
            following = next((ln for ln in lines[index + attribution :] if ln.strip()), "")
            if not following.lstrip().startswith(">"):
                break  # history quoted without marks: nothing after it is the customer's
            index += attribution
            continue
        if not line.lstrip().startswith(">"):
            kept.append(line)
        index += 1
    return _trim_signature(kept)


def _attribution_length(lines: list[str], index: int) -> int:
    """1 or 2 if an attribution line starts here (clients wrap long ones onto a second line), else 0."""
    if _ATTRIBUTION.match(lines[index]):
        return 1
    if index + 1 < len(lines) and not _ATTRIBUTION.match(lines[index + 1]):
        return 2 if _ATTRIBUTION.match(f"{lines[index]} {lines[index + 1]}") else 0
    return 0


def _is_header_block(lines: list[str], index: int) -> bool:
    if not _HEADER_BLOCK_FIRST.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 5] if line.strip()]
    return any(_HEADER_BLOCK_NEXT.match(line) for line in following[:3])


def _trim_signature(lines: list[str]) -> str:
    """Cut what follows the last closing words if it reads like a signature, not like more message."""
    while lines and not lines[-1].strip():
        lines.pop()
    for index in range(len(lines) - 1, -1, -1):
        if _VALEDICTION.match(lines[index]) and any(line.strip() for line in lines[:index]):
            tail = [line.strip() for line in lines[index + 1 :] if line.strip()]
            if len(tail) <= _MAX_SIGNATURE_LINES and not any(_is_sentence(line) for line in tail):
                lines = lines[: index + 1]
            break
        if len(lines) - index > _MAX_SIGNATURE_LINES * 2:
            break
    text = "\n".join(lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _is_sentence(line: str) -> bool:
    """A signature holds names, titles and numbers; a line of six words or more ending a sentence is prose."""
    return len(line) > 80 or (len(line.split()) >= 6 and line.rstrip().endswith((".", "!", "?")))
