"""The journal: every entry of the escalation log as one structured line of one CloudWatch log group.

The escalation log (the events table) is the evidence; the journal is its reading copy in the console,
where the saved Logs Insights queries and the dashboard look. DynamoDB Streams hands the journal function
every item written to the log, whoever wrote it: the worker, ingest, SES feedback, or a person's lever run
from a laptop. Each becomes one JSON line carrying the customer's name, taken from the event or, for events
written without it, read once per invocation from the customers table.

Streams deliver at least once: a retried batch logs some lines again. Every line carries its event's key
(customer_id and event_key, unique in the log); a key repeated within a batch is logged once, and the saved
queries list and count by key, so a line delivered twice is never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from relance.domain.collection import names_a_person
from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.models import InvoiceStatus
from relance.domain.policy import Action
from relance.observability import COMPANY, PERSON, log_journal, logger
from relance.ports import Book

# What a person must act on, as the line's `attention` says it (the "needs a human" query filters on it).
FAILED = "failed"
HELD = "held"
BOUNCED = "bounced"
COMPLAINED = "complained"
DISPUTED = "disputed"
PLAN_BROKEN = "plan broken"
HANDED_OFF = "handed off"
LETTER_TO_POST = "letter to post"
WAITING_BEHIND_HANDOFF = "waiting behind a hand-off"
LOG_ITEM_CHANGED = "escalation log item changed"
REPLY_TO_READ = "reply to read"

_DONE = frozenset({Outcome.SENT, Outcome.RECORDED, Outcome.PUBLISHED})


class StreamImages(Protocol):
    """Reads the items a DynamoDB stream delivers (relance.adapters.dynamo.stream implements it)."""

    def event(self, image: Mapping[str, Any]) -> EscalationEvent:
        """The event an item image holds, in DynamoDB's typed form ({"S": ...}); ValueError when the image
        is not a readable event."""
        ...


class JournalContext(Protocol):
    """What the journal needs: the customers (for names) and a reader of stream images."""

    @property
    def book(self) -> Book: ...

    @property
    def stream_images(self) -> StreamImages: ...


@dataclass
class JournalRun:
    """What one batch became: lines logged, repeats and changes left out, and where the batch stopped."""

    logged: int = 0
    repeated: int = 0
    changed: int = 0
    names_read: int = 0
    failed_at: str | None = None
    failure: str | None = None

    def response(self) -> dict[str, Any]:
        """Lambda's partial batch response: the stream resumes at the record that could not be read (the
        records before it are logged); after the mapping's retries it goes to the journal's DLQ."""
        return {"batchItemFailures": [{"itemIdentifier": self.failed_at}] if self.failed_at else []}


def write_journal(ctx: JournalContext, records: Sequence[Mapping[str, Any]]) -> JournalRun:
    """Logs one journal line per event inserted in the escalation log, in stream order.

    An unreadable record ends the batch there: what follows it would be logged again when the stream
    resumes at it, and a record that stays unreadable must stop somewhere a person sees (the DLQ's alarm).
    """
    run = JournalRun()
    events: list[EscalationEvent] = []
    for record in records:
        data: Mapping[str, Any] = record.get("dynamodb") or {}
        change = record.get("eventName")
        if change != "INSERT":
            _log_changed_item(str(change), data)
            run.changed += 1
            continue
        try:
            image = data.get("NewImage")
            if image is None:
                raise ValueError("the record has no NewImage: the stream's view type must be NEW_IMAGE")
            events.append(ctx.stream_images.event(image))
        except ValueError as exc:
            run.failed_at = str(data.get("SequenceNumber", ""))
            run.failure = str(exc)
            logger.error(
                "journal record unreadable", extra={"sequence_number": run.failed_at, "reason": str(exc)}
            )
            break
    journal_events(ctx.book, events, run)
    return run


def journal_events(
    book: Book, events: Iterable[EscalationEvent], run: JournalRun | None = None
) -> JournalRun:
    """Logs the events' journal lines, each key once. The batch's customers are read once: for the name of
    entries written without one, and to tell a company's name (shown) from a person's (masked like every
    personal field unless LOG_PERSONAL_DATA=true). A customer no longer in the table counts as a person."""
    run = run if run is not None else JournalRun()
    events = list(events)
    wanted = {event.customer_id for event in events}
    customers = book.customers(wanted) if wanted else {}
    run.names_read += len(wanted)
    seen: set[tuple[str, str]] = set()
    for event in events:
        key = (event.customer_id, event.event_key)
        if key in seen:
            run.repeated += 1
            continue
        seen.add(key)
        customer = customers.get(event.customer_id)
        name = event.customer_name or (customer.name if customer else None)
        company = customer is not None and not names_a_person(customer)
        log_journal(journal_line(event, name, company=company))
        run.logged += 1
    return run


def journal_line(
    event: EscalationEvent, customer_name: str | None, *, company: bool = False
) -> dict[str, Any]:
    """The fields of one journal line. Lists are joined into text, which Logs Insights filters with
    `like`; amounts stay exact decimal text (Logs Insights sums numeric text). Empty fields are left out
    of the line. `customer_kind` "company" lets the log filter show the name (relance.observability)."""
    return {
        "customer_id": event.customer_id,
        "customer_name": customer_name,
        "customer_kind": COMPANY if company else PERSON,
        "event_key": event.event_key,
        "kind": event.kind.value,
        "step": event.step,
        "outcome": event.outcome.value,
        "attention": attention(event),
        "occurred_on": event.occurred_on.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "case_id": event.case_id,
        "invoice_ids": ", ".join(event.invoice_ids) or None,
        "channels": ", ".join(event.channels) or None,
        "currency": event.currency,
        "amount": str(event.amount) if event.amount is not None else None,
        "reason": event.reason,
        "actor": event.actor,
        "message_id": event.message_id,
        "notice_keys": ", ".join(notice.key for notice in event.notices) or None,
        "run_id": event.run_id,
        "detail": dict(event.detail) or None,
    }


def attention(event: EscalationEvent) -> str | None:
    """Why a person must look at this entry, or None: what went wrong, what only a person does next
    (post a letter, follow a hand-off, settle a dispute, fix an address) and what waits on a person."""
    reasons = []
    if event.outcome is Outcome.FAILED:
        reasons.append(FAILED)
    if event.outcome is Outcome.HELD:
        reasons.append(HELD)
    if event.kind is EventKind.DELIVERY and event.outcome is Outcome.BOUNCED:
        reasons.append(BOUNCED)
    if event.kind is EventKind.DELIVERY and event.outcome is Outcome.COMPLAINED:
        reasons.append(COMPLAINED)
    if event.kind is EventKind.STATUS and event.step == InvoiceStatus.DISPUTED.value:
        reasons.append(DISPUTED)
    if event.kind is EventKind.CALL and event.step == "dispute":
        reasons.append(DISPUTED)
    # Every reply but an autoresponder's was written by a person for a person to read.
    if event.kind is EventKind.REPLY and event.step != "auto_reply":
        reasons.append(REPLY_TO_READ)
    if event.detail.get("plan") == "broken":
        reasons.append(PLAN_BROKEN)
    if event.kind is EventKind.CASE and event.step == "held":
        reasons.append(WAITING_BEHIND_HANDOFF)
    handed_off = event.kind is EventKind.HANDOFF or Action.HANDOFF.value in event.channels
    if handed_off and event.outcome in _DONE:
        reasons.append(HANDED_OFF)
    if Action.LETTER.value in event.channels and event.outcome is Outcome.SENT:
        reasons.append(LETTER_TO_POST)
    return ", ".join(reasons) or None


def _log_changed_item(change: str, data: Mapping[str, Any]) -> None:
    """The log is append-only (no function may update or delete an item): a MODIFY or REMOVE was made by
    hand, outside the application. It is no event, but a person must know the evidence changed."""
    keys = data.get("Keys") or {}

    def text(name: str) -> str | None:
        value = keys.get(name)
        return str(value.get("S")) if isinstance(value, Mapping) else None

    logger.warning(
        LOG_ITEM_CHANGED,
        extra={
            "change": change,
            "customer_id": text("customer_id"),
            "event_key": text("event_key"),
            "attention": LOG_ITEM_CHANGED,
            "sequence_number": str(data.get("SequenceNumber", "")),
        },
    )
