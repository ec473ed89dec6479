"""Files a demo or a replay drops on their day, each named for it: customers' replies
(`2026-02-25-C002-promise.eml`, stored under inbound/ as SES would) and bank statements
(`2026-03-20-camt053.xml`, dropped under incoming/bank/ as the finance team would), before that day's run.

A file may write `{in_reply_to}` in its In-Reply-To header: it becomes SES's message id of the last email
the sender's customer was sent, which differs between runs (moto's, the memory mailer's), so that the
reply is linked by the email it answers, as a real one is.
"""

from __future__ import annotations

import re
from datetime import date
from email.utils import parseaddr
from pathlib import Path

from relance.domain.events import EventKind, Outcome
from relance.ports import Context

_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-.+$")


def files_by_date(folder: Path, suffix: str = "") -> dict[date, list[Path]]:
    """The folder's files (ending with `suffix`) by their day; a file not named YYYY-MM-DD-… is an error."""
    found: dict[date, list[Path]] = {}
    for path in sorted(item for item in folder.iterdir() if item.is_file() and item.name.endswith(suffix)):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path}: a dated file is named YYYY-MM-DD-<anything>{suffix}")
        found.setdefault(date.fromisoformat(match.group(1)), []).append(path)
    return found


def replies_by_date(folder: Path) -> dict[date, list[Path]]:
    return files_by_date(folder, ".eml")


def inbound_key(path: Path) -> str:
    return f"inbound/{path.stem}"


def reply_bytes(ctx: Context, path: Path) -> bytes:
    """The file's bytes, `{in_reply_to}` filled with the last email sent to the sender's customer."""
    raw = path.read_bytes()
    if b"{in_reply_to}" not in raw:
        return raw
    header = re.search(rb"^From:(.*)$", raw, re.MULTILINE | re.IGNORECASE)
    sender = parseaddr(header.group(1).decode("utf-8", "replace"))[1].lower() if header else ""
    customer = next((c for c in ctx.book.all_customers() if c.email.lower() == sender), None)
    if customer is None:
        raise ValueError(f"{path}: the sender {sender!r} is no customer's email")
    sent = [
        event.message_id
        for event in ctx.events.for_customer(customer.customer_id)
        if event.kind is EventKind.ESCALATION and event.outcome is Outcome.SENT and event.message_id
    ]
    if not sent:
        raise ValueError(f"{path}: {customer.customer_id} was sent no email to answer yet")
    return raw.replace(b"{in_reply_to}", sent[-1].encode("ascii"))
