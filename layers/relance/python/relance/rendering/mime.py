"""MIME messages for SES raw sending: text and HTML alternatives, attachments, safe headers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

# C0 and C1 controls and the Unicode line separators (str.split() below also breaks on the latter): none
# may reach a header, where a reader could take it for the end of a line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)


class AddressError(ValueError):
    """An email address that is not one, or that would break a header."""


def valid_address(address: str) -> bool:
    return bool(_ADDRESS.match(address)) and len(address) <= 254


def display_name(name: str) -> str:
    """A name from a file cannot add a header: line breaks and control characters become spaces."""
    return " ".join(_CONTROL.sub(" ", name).split())


def mailbox(name: str, address: str) -> Address:
    if not valid_address(address):
        raise AddressError(f"{address!r} is not a valid email address")
    username, domain = address.rsplit("@", 1)
    return Address(display_name=display_name(name), username=username, domain=domain)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    body: bytes


def stable_message_id(key: str, sender: str) -> str:
    """The same dispatch always carries the same Message-ID, so a duplicate would be recognisable."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{sender.rsplit('@', 1)[-1]}>"


def build_message(
    *,
    sender: Address,
    reply_to: Address,
    to: list[Address],
    cc: list[Address],
    subject: str,
    text: str,
    html: str,
    message_id: str,
    attachments: tuple[Attachment, ...] = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Reply-To"] = reply_to
    message["Subject"] = display_name(subject)
    message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = display_name(value)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/", 1)
        message.add_attachment(
            attachment.body, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message
