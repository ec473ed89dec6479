"""A customer's reply, as SES stored it under inbound/: linked to its customer, classified, acted on.

`record_reply(ctx, key, raw)` reads the raw email (relance.ingest.inbound), classifies the customer's own
words (relance.domain.replies) and links the reply to a customer:
1. by its threading headers: In-Reply-To and References name SES's message id of the email it answers
   (`<id>@<region>.amazonses.com`), which the escalation log keeps on the event that sent it;
2. else by the sender's address, when exactly one customer has it (as its email or a cc).

What it does, always in one save with a REPLY event (the class, the evidence, the words quoted, the raw
email's key and SHA-256, the message it answers):
- promise with a date: the case is paused until that date plus the policy's grace (a promise is a plan of
  one instalment: the same `payment_plan.grace_days` decides how late it may be kept);
- dispute: the case is paused until a person resumes it (as a dispute raised in a call);
- already paid: the case is paused `ALREADY_PAID_PAUSE_DAYS` while the bank statement confirms it;
- request (a copy, the IBAN, a plan), other, promise without a date: nothing changes on the case;
- every reply but an autoresponder's: a task for the account manager quoting the reply, kept under
  tasks/<customer>/ and emailed to the account manager when the customer has one;
- auto-reply: the event only.
A pause never shortens a longer one and never lifts a pause for a person.

The raw email is kept again, under Object Lock, at replies/<customer>/ (the customer's words are evidence:
the hand-off pack names it with its SHA-256); never under inbound/, which would trigger this function again.

Loop guard: nothing is ever sent to the reply's sender; the account manager's task is not sent when its
address is the sender's or the Reply-To address that brings replies here; a message from our own sender
or Reply-To address is set aside.

Nothing is lost: an unreadable or unlinked reply is reported under reports/replies/ with the reason (its
raw email stays under inbound/). Idempotent by object key: the event's key is made of it, and a second run
on the same key finds the event and changes nothing.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.evidence import retained_until
from relance.domain.models import Case, CaseState, Customer, Invoice
from relance.domain.policy import Policy
from relance.domain.replies import ReplyClass, ReplyClassification, classify
from relance.ingest.inbound import InboundMail, InboundMailError, parse_inbound
from relance.observability import count_metric, log_escalation, logger
from relance.ports import Context, SendRefused, SendRejected, SendUncertain
from relance.rendering.mime import build_message, mailbox, stable_message_id
from relance.services.bookkeeping import Edit, NothingToDo, edit_book
from relance.services.feedback import sent_event

INBOUND_PREFIX = "inbound/"
REPORTS_PREFIX = "reports/replies/"
EVIDENCE_PREFIX = "replies/"
# Long enough for a bank to show a transfer made "yesterday" on the next statements (camt.053 is daily; a
# weekend and a bank holiday can delay it), short enough that a false "already paid" costs few days.
ALREADY_PAID_PAUSE_DAYS = 5
# The customer's words quoted in the event and the task: a reply is short; a pasted essay is cut.
QUOTE_CHARS = 1500
# SES's own message ids end with this domain (the part before the @ is what the escalation log keeps).
_SES_DOMAIN = "amazonses.com"


@dataclass(frozen=True)
class ReplyOutcome:
    key: str
    outcome: str
    """recorded, duplicate, unlinked, unreadable or ours (a message from our own address, set aside)."""
    reply_class: str | None = None
    customer_id: str | None = None
    linked_by: str | None = None  # message_id or sender
    linked_message_id: str | None = None
    paused_until: date | None = None
    paused_for_a_person: bool = False
    task_key: str | None = None
    task_message_id: str | None = None
    reason: str | None = None
    report_key: str | None = None  # where a reply set aside is reported

    def summary(self) -> dict[str, Any]:
        return {
            key: (value.isoformat() if isinstance(value, date) else value)
            for key, value in self.__dict__.items()
            if value not in (None, False)
        }


@dataclass(frozen=True)
class _Link:
    customer: Customer
    by: str
    sent: EscalationEvent | None
    message_id: str | None


def record_reply(ctx: Context, key: str, raw: bytes, received_at: datetime | None = None) -> ReplyOutcome:
    """Reads, links, classifies and records one reply; `received_at` is SES's receipt time (the S3
    event's), which makes the day recorded the same on every retry."""
    sha256 = hashlib.sha256(raw).hexdigest()
    received_at = received_at or ctx.clock()
    received_on = ctx.calendar.local_date(received_at)
    try:
        mail = parse_inbound(raw)
    except InboundMailError as exc:
        return _set_aside(ctx, key, sha256, received_on, "unreadable", str(exc), None, None)
    own = {ctx.settings.sender_email.lower(), ctx.settings.company.reply_to.lower()}
    if mail.from_address in own:
        return _set_aside(
            ctx,
            key,
            sha256,
            received_on,
            "ours",
            f"sent from our own address {mail.from_address}",
            mail,
            None,
        )
    verdict = classify(mail.text, mail.subject, received_on, mail.is_auto_reply)
    link = _link(ctx, mail)
    if isinstance(link, str):
        return _set_aside(ctx, key, sha256, received_on, "unlinked", link, mail, verdict)

    customer = link.customer
    suffix = f"reply#{key}"
    if any(
        event.kind is EventKind.REPLY and event.key_suffix == suffix
        for event in ctx.events.for_customer(customer.customer_id)
    ):
        return ReplyOutcome(key, "duplicate", verdict.primary.value, customer.customer_id, link.by)

    stored = ctx.store.put_evidence(
        f"{EVIDENCE_PREFIX}{customer.customer_id}/{received_on.isoformat()}-{sha256[:16]}.eml",
        raw,
        "message/rfc822",
        retain_until=retained_until(received_on, ctx.settings.notice_retention_days),
        metadata={"customer-id": customer.customer_id, "document": "reply", "inbound-key": key},
    )
    quote = _quote(mail)
    task_key = (
        f"tasks/{customer.customer_id}/{received_on.isoformat()}-reply-{sha256[:12]}.json"
        if verdict.primary is not ReplyClass.AUTO_REPLY
        else None
    )
    chosen: dict[str, Any] = {}

    def edit(current: Customer, invoices: Sequence[Invoice], policy: Policy) -> Edit:
        if any(
            event.kind is EventKind.REPLY and event.key_suffix == suffix
            for event in ctx.events.for_customer(current.customer_id)
        ):
            raise NothingToDo
        cases, until, for_a_person, note = _paused(current, link, verdict, policy, received_on)
        chosen.update(until=until, for_a_person=for_a_person)
        case_id = (link.sent.case_id if link.sent else None) or next(
            (case.case_id for case in cases if case.pause_reason), None
        )
        numbers = {invoice.invoice_id for invoice in invoices}
        event = EscalationEvent(
            customer_id=current.customer_id,
            kind=EventKind.REPLY,
            occurred_on=received_on,
            recorded_at=ctx.clock().astimezone(UTC),
            outcome=Outcome.RECORDED,
            key_suffix=suffix,
            step=verdict.primary.value,
            channels=("email",),
            invoice_ids=link.sent.invoice_ids
            if link.sent
            else tuple(ref for ref in verdict.invoice_refs if ref in numbers),
            currency=next((case.currency for case in current.cases if case.case_id == case_id), None),
            amount=verdict.amount,
            reason=_reason(verdict, note),
            message_id=link.message_id,
            actor="customer",
            detail=_detail(
                key, stored.key, sha256, mail, verdict, link, quote, until, for_a_person, task_key
            ),
            case_id=case_id,
            customer_name=current.name,
        )
        by_id = {case.case_id: case for case in cases}
        changed = tuple(by_id.get(case.case_id, case) for case in current.cases)
        return Edit(replace(current, cases=changed), (), [event])

    if task_key is not None:
        # Before the save: a retry after a failed save writes it again; after a save, it is already there.
        task = _task(customer, key, stored.key, sha256, mail, verdict, quote, received_on)
        ctx.store.put_file(
            task_key, json.dumps(task, indent=2, ensure_ascii=False).encode(), "application/json"
        )
    # A ConflictError (the customer kept changing) fails the invocation: Lambda retries it.
    saved = edit_book(ctx, customer.customer_id, edit, actor="customer")
    if not saved.changed:
        return ReplyOutcome(key, "duplicate", verdict.primary.value, customer.customer_id, link.by)
    for event in saved.events:
        log_escalation(event)
    count_metric("Replies", reply_class=verdict.primary.value, linked_by=link.by)

    task_message_id, reason = None, None
    if task_key is not None:
        task_message_id, reason = _send_task(ctx, saved.customer, key, mail, verdict, quote, received_on)
    return ReplyOutcome(
        key,
        "recorded",
        verdict.primary.value,
        customer.customer_id,
        link.by,
        link.message_id,
        chosen.get("until"),
        bool(chosen.get("for_a_person")),
        task_key,
        task_message_id,
        reason,
    )


# --- linking ---------------------------------------------------------------------------------------------


def _ses_ids(mail: InboundMail) -> list[str]:
    """SES's message ids among the ids the reply answers, likeliest first (the part before the @)."""
    ids = []
    for thread_id in mail.thread_ids:
        local, _, domain = thread_id.partition("@")
        if local and (domain.endswith(_SES_DOMAIN) or not domain):
            ids.append(local)
    return list(dict.fromkeys(ids))


def _link(ctx: Context, mail: InboundMail) -> _Link | str:
    """The customer the reply is from, or why none can be told.

    By the email it answers first: the escalation log's index by SES message id names its customer in one
    read, so a reply from a colleague's address is linked too. Else by the sender's address, when exactly
    one customer has it (the customers are read whole: only for a reply that names no email of ours).
    """
    for message_id in _ses_ids(mail):
        for customer_id in ctx.events.customers_with_message(message_id):
            sent = sent_event(ctx, customer_id, message_id)
            customer = ctx.book.customer(customer_id) if sent is not None else None
            if customer is not None:
                return _Link(customer, "message_id", sent, message_id)
    by_address = [
        customer
        for customer in ctx.book.all_customers()
        if mail.from_address in {address.lower() for address in (customer.email, *customer.cc)}
    ]
    if len(by_address) == 1:
        return _Link(by_address[0], "sender", None, None)
    answered = f"; it answers {', '.join(mail.thread_ids)}, no email of ours" if mail.thread_ids else ""
    if by_address:
        owners = ", ".join(sorted(customer.customer_id for customer in by_address))
        return f"the sender {mail.from_address} is the address of several customers ({owners}){answered}"
    return f"the sender {mail.from_address} is no customer's address{answered}"


# --- effects ---------------------------------------------------------------------------------------------


def _paused(
    customer: Customer, link: _Link, verdict: ReplyClassification, policy: Policy, received_on: date
) -> tuple[list[Case], date | None, bool, str | None]:
    """The cases as the reply leaves them (only those it changes), the pause's end, whether it waits for a
    person, and a note when a pause was called for and not made."""
    kind = verdict.primary
    if kind is ReplyClass.DISPUTE:
        until, for_a_person = None, True
        reason = "dispute raised in a reply" + (
            f" ({', '.join(verdict.dispute_reasons)})" if verdict.dispute_reasons else ""
        )
    elif kind is ReplyClass.PROMISE:
        if verdict.promised_on is None:
            return [], None, False, "a promise without a date: the case is not paused"
        until, for_a_person = verdict.promised_on + timedelta(days=policy.payment_plan.grace_days), False
        reason = f"promise in a reply: paid by {verdict.promised_on.isoformat()}"
    elif kind is ReplyClass.ALREADY_PAID:
        until, for_a_person = received_on + timedelta(days=ALREADY_PAID_PAUSE_DAYS), False
        reason = "already paid, says a reply: waiting for the bank statement"
    else:
        return [], None, False, None
    targets = _cases(customer, link)
    if not targets:
        return [], None, False, "no open case to pause"
    changed = []
    for case in targets:
        if case.paused_for_a_person:
            continue  # a dispute or a person's pause: only a person lifts it
        if not for_a_person and case.paused_until is not None and case.paused_until >= until:  # type: ignore[operator]
            continue  # already paused longer
        changed.append(replace(case, paused_until=until, pause_reason=reason))
    if not changed:
        return [], None, False, "the case is already paused as long or longer"
    return changed, until, for_a_person, None


def _cases(customer: Customer, link: _Link) -> list[Case]:
    """The case of the email answered when it is still open, else every case still escalating."""
    if link.sent is not None and link.sent.case_id:
        answered = [case for case in customer.cases if case.case_id == link.sent.case_id]
        if answered and answered[0].state is not CaseState.HANDED_OFF:
            return answered
    return [case for case in customer.cases if case.state is CaseState.OPEN]


def _reason(verdict: ReplyClassification, note: str | None) -> str:
    words = verdict.primary.value.replace("_", " ")
    if verdict.primary is ReplyClass.PROMISE and verdict.promised_on:
        words += f" to pay by {verdict.promised_on.isoformat()}"
    if verdict.primary is ReplyClass.ALREADY_PAID and verdict.paid_on:
        words += f" on {verdict.paid_on.isoformat()}"
    if verdict.requests:
        words += f" (asks for: {', '.join(verdict.requests)})"
    return f"{words}; {note}" if note else words


def _detail(
    key: str,
    evidence_key: str,
    sha256: str,
    mail: InboundMail,
    verdict: ReplyClassification,
    link: _Link,
    quote: str,
    until: date | None,
    for_a_person: bool,
    task_key: str | None,
) -> dict[str, str]:
    detail = {
        "inbound_key": key,
        "evidence_key": evidence_key,
        "sha256": sha256,
        "from": mail.from_address,
        "subject": mail.subject[:200],
        "reply_message_id": mail.message_id or "",
        "linked_by": link.by,
        "also": ",".join(kind.value for kind in verdict.also),
        "evidence": "; ".join(f"{item.rule}: {item.phrase}" for item in verdict.evidence)[:500],
        "requests": ",".join(verdict.requests),
        "promised_on": verdict.promised_on.isoformat() if verdict.promised_on else "",
        "paid_on": verdict.paid_on.isoformat() if verdict.paid_on else "",
        "auto_reply_signals": "; ".join(mail.auto_reply_signals),
        "until": until.isoformat() if until else ("a person resumes it" if for_a_person else ""),
        "task_key": task_key or "",
        "quote": quote,
    }
    return {name: value for name, value in detail.items() if value}


def _quote(mail: InboundMail) -> str:
    words = (mail.text or mail.body).strip()
    return words if len(words) <= QUOTE_CHARS else words[:QUOTE_CHARS].rstrip() + " […]"


def _task(
    customer: Customer,
    key: str,
    evidence_key: str,
    sha256: str,
    mail: InboundMail,
    verdict: ReplyClassification,
    quote: str,
    received_on: date,
) -> dict[str, Any]:
    return {
        "customer_id": customer.customer_id,
        "kind": "reply",
        "received_on": received_on.isoformat(),
        "assignee": customer.account_manager_email,
        "from": mail.from_address,
        "subject": mail.subject,
        "class": verdict.primary.value,
        "also": [kind.value for kind in verdict.also],
        "requests": list(verdict.requests),
        "promised_on": verdict.promised_on.isoformat() if verdict.promised_on else None,
        "paid_on": verdict.paid_on.isoformat() if verdict.paid_on else None,
        "evidence": [{"rule": item.rule, "phrase": item.phrase} for item in verdict.evidence],
        "quote": quote,
        "inbound_key": key,
        "evidence_key": evidence_key,
        "sha256": sha256,
    }


def _send_task(
    ctx: Context,
    customer: Customer,
    key: str,
    mail: InboundMail,
    verdict: ReplyClassification,
    quote: str,
    received_on: date,
) -> tuple[str | None, str | None]:
    """Emails the task to the account manager; the message id, or why it was not sent (the task stays in
    the bucket and the journal lists the reply as one to read)."""
    settings = ctx.settings
    recipient = (customer.account_manager_email or "").strip().lower()
    if not recipient:
        return None, "no account manager: the task is in the bucket only"
    # Loop guard: the task never goes to the customer, nor to the address that brings replies back here.
    if recipient in {mail.from_address, settings.company.reply_to.lower(), settings.sender_email.lower()}:
        return None, f"the account manager's address {recipient} would bring the task back as a reply"
    subject = (
        f"Reply from {customer.name} ({customer.customer_id}): {verdict.primary.value.replace('_', ' ')}"
    )
    case = next((c for c in customer.cases if c.pause_reason), None)
    lines = [
        f"{customer.name} ({customer.customer_id}) replied on {received_on.isoformat()}"
        f" from {mail.from_address}.",
        f"Read as: {_reason(verdict, None)}.",
        (
            f"Case {case.case_id}: paused "
            + (f"until {case.paused_until.isoformat()}" if case.paused_until else "until you resume it")
            + f" ({case.pause_reason})."
            if case is not None
            else "The case is not paused."
        ),
        f"Subject: {mail.subject}",
        "",
        "They wrote:",
        *(f"> {line}" for line in quote.splitlines()),
        "",
        f"The email as received: {key}",
    ]
    text = "\n".join(lines)
    message = build_message(
        sender=mailbox(settings.company.name, settings.sender_email),
        reply_to=mailbox(settings.company.name, settings.company.reply_to),
        to=[mailbox("", recipient)],
        cc=[],
        subject=subject,
        text=text,
        html=f'<pre style="white-space: pre-wrap">{html.escape(text)}</pre>',
        message_id=stable_message_id(f"reply#{key}#task", settings.sender_email),
        headers={"X-Relance-Dispatch": f"{customer.customer_id}#reply", "X-Relance-Step": "reply_task"},
    )
    try:
        return ctx.mailer.send(
            message, tags={"customer_id": customer.customer_id, "dispatch": "reply", "step": "reply_task"}
        ), None
    except (SendRejected, SendRefused, SendUncertain) as exc:
        logger.error("reply task not sent", extra={"customer_id": customer.customer_id, "reason": str(exc)})
        count_metric("ReplyTaskNotSent")
        return None, f"task email not sent: {exc}"


# --- set aside -------------------------------------------------------------------------------------------


def _set_aside(
    ctx: Context,
    key: str,
    sha256: str,
    received_on: date,
    outcome: str,
    reason: str,
    mail: InboundMail | None,
    verdict: ReplyClassification | None,
) -> ReplyOutcome:
    """A reply no customer's log can take: reported with its reason; the raw email stays under inbound/."""
    report_key = f"{REPORTS_PREFIX}{outcome}/{received_on.isoformat()}-{sha256[:16]}.json"
    report = {
        "inbound_key": key,
        "sha256": sha256,
        "received_on": received_on.isoformat(),
        "outcome": outcome,
        "reason": reason,
        "from": mail.from_address if mail else None,
        "subject": mail.subject if mail else None,
        "thread_ids": list(mail.thread_ids) if mail else [],
        "class": verdict.primary.value if verdict else None,
        "evidence": [{"rule": item.rule, "phrase": item.phrase} for item in verdict.evidence]
        if verdict
        else [],
        "quote": _quote(mail) if mail else None,
    }
    ctx.store.put_report(report_key, report)
    logger.warning("reply set aside", extra={"inbound_key": key, "outcome": outcome, "reason": reason})
    count_metric("RepliesSetAside", outcome=outcome)
    return ReplyOutcome(
        key, outcome, verdict.primary.value if verdict else None, reason=reason, report_key=report_key
    )
