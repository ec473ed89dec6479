"""Entries of the escalation log of every kind, as the services write them, and the stream records that
carry them to the journal function; plus a capture of the JSON lines the journal writes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger

from relance import observability
from relance.adapters.dynamo.mapping import event_record
from relance.domain.events import EscalationEvent, EventKind, EventLine, NoticeRef, Outcome

STREAM_ARN = (
    "arn:aws:dynamodb:eu-west-3:123456789012:table/relance-EventsTable-1A2B3C/stream/2026-03-02T07:00:00.000"
)
MONDAY = date(2026, 3, 2)
AT = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)


def _event(kind: EventKind, suffix: str, **fields: Any) -> EscalationEvent:
    base: dict[str, Any] = {
        "customer_id": "C1",
        "kind": kind,
        "occurred_on": MONDAY,
        "recorded_at": AT,
        "outcome": Outcome.RECORDED,
        "key_suffix": suffix,
        "customer_name": "Dupont SARL",
    }
    return EscalationEvent(**{**base, **fields})


def sample_events() -> dict[EventKind, EscalationEvent]:
    """One entry of each kind, with the fields its writer fills in (see the services named)."""
    return {
        # services.dunning: a formal notice by email and registered letter, its PDF kept as evidence.
        EventKind.ESCALATION: _event(
            EventKind.ESCALATION,
            "formal_notice#C1-EUR-1#sent",
            outcome=Outcome.SENT,
            step="formal_notice",
            channels=("email", "letter"),
            invoice_ids=("F-001", "F-002"),
            lines=(
                EventLine("F-001", Decimal("1200.00"), "formal_notice", Decimal("18.41"), Decimal("40")),
                EventLine("F-002", Decimal("350.50"), "formal_notice"),
            ),
            currency="EUR",
            amount=Decimal("1550.50"),
            run_id="c7f9e1d0-5a3b-4c2e-9f8a-1b2c3d4e5f60",
            message_id="0102018e0a1b2c3d-mail",
            notices=(NoticeRef("notices/C1/2026/03/2026-03-02-formal_notice-EUR.pdf", "ab" * 32, "EUR"),),
            detail={"dispatch": "C1#2026-03-02"},
            case_id="C1-EUR-1",
        ),
        # services.case_log: the case opened when an invoice fell overdue.
        EventKind.CASE: _event(
            EventKind.CASE,
            "C1-EUR-1#opened",
            step="opened",
            invoice_ids=("F-001",),
            lines=(EventLine("F-001", Decimal("1200.00")),),
            currency="EUR",
            reason="an invoice fell overdue",
            run_id="c7f9e1d0-5a3b-4c2e-9f8a-1b2c3d4e5f60",
            detail={"state": "open", "opened_on": "2026-03-02", "steps": ""},
            case_id="C1-EUR-1",
        ),
        # services.plans: an instalment reminder.
        EventKind.PLAN_REMINDER: _event(
            EventKind.PLAN_REMINDER,
            "plan_reminder#sent",
            outcome=Outcome.SENT,
            step="plan_reminder",
            channels=("email",),
            invoice_ids=("F-003",),
            currency="EUR",
            amount=Decimal("500.00"),
            message_id="0102018e0a1b2c3d-plan",
            detail={"dispatch": "C1#2026-03-02", "instalment.F-003": "2: 500.00 EUR due 2026-03-10"},
        ),
        # A call task of a policy step (the kind exists for call outcomes logged on their own).
        EventKind.CALL_TASK: _event(
            EventKind.CALL_TASK,
            "call#1",
            step="call",
            channels=("call_task",),
            invoice_ids=("F-001",),
            actor="marie.martin",
            reason="customer promised a transfer on Friday",
        ),
        EventKind.SUSPENSION: _event(
            EventKind.SUSPENSION,
            "suspension#1",
            outcome=Outcome.PUBLISHED,
            step="suspension",
            channels=("suspend",),
            invoice_ids=("F-001",),
            detail={"published.CustomerSuspensionRequested": "evt-1"},
        ),
        EventKind.HANDOFF: _event(
            EventKind.HANDOFF,
            "handoff#1",
            outcome=Outcome.PUBLISHED,
            step="handoff",
            channels=("handoff",),
            invoice_ids=("F-001", "F-002"),
            currency="EUR",
            amount=Decimal("1550.50"),
            notices=(NoticeRef("handoff/C1/2026-03-02-summary.pdf", "cd" * 32, "EUR"),),
            case_id="C1-EUR-1",
        ),
        # services.ingest.payments: a payment read from a file (events of earlier versions carry no name).
        EventKind.PAYMENT: replace(
            _event(
                EventKind.PAYMENT,
                "file#payments-2026-03-02.csv#3",
                invoice_ids=("F-002",),
                lines=(EventLine("F-002", Decimal("0.00")),),
                currency="EUR",
                amount=Decimal("350.50"),
                actor="file:incoming/payments/payments-2026-03-02.csv",
                detail={"source_file": "incoming/payments/payments-2026-03-02.csv", "line": "3"},
            ),
            customer_name=None,
        ),
        # services.levers: a dispute recorded from the command line.
        EventKind.STATUS: _event(
            EventKind.STATUS,
            "F-001#disputed#a1b2c3",
            step="disputed",
            invoice_ids=("F-001",),
            lines=(EventLine("F-001", Decimal("1200.00")),),
            currency="EUR",
            amount=Decimal("1200.00"),
            reason="dispute",
            actor="marie.martin",
            detail={"note": "quantity disputed in the customer's email of 19/02"},
            case_id="C1-EUR-1",
        ),
        # services.feedback: SES says the address does not exist.
        EventKind.DELIVERY: _event(
            EventKind.DELIVERY,
            "bounce#0102018e0a1b2c3d-mail",
            outcome=Outcome.BOUNCED,
            step="formal_notice",
            channels=("email",),
            invoice_ids=("F-001", "F-002"),
            reason="Permanent/General",
            message_id="0102018e0a1b2c3d-mail",
            actor="ses",
            detail={"recipients": "compta@dupont.example", "contact_status": "bounced"},
            case_id="C1-EUR-1",
        ),
        # services.case_levers: the account manager's call, the customer disputing the invoices.
        EventKind.CALL: _event(
            EventKind.CALL,
            "call#5f0c1d2e3a4b5c6d",
            step="dispute",
            reason="call: dispute (quantities on F-001)",
            actor="marie.martin",
            currency="EUR",
            case_id="C1-EUR-1",
        ),
        # services.case_levers: the formal notice's registered letter was posted.
        EventKind.LETTER: _event(
            EventKind.LETTER,
            "letter#7a8b9c0d1e2f3a4b",
            step="posted",
            reason="posted 2026-03-02, tracking 1A00000000001",
            actor="marie.martin",
            currency="EUR",
            detail={"posted": "2026-03-02", "tracking": "1A00000000001"},
            case_id="C1-EUR-1",
        ),
        # services.replies: the customer answered a reminder saying they have already paid.
        EventKind.REPLY: _event(
            EventKind.REPLY,
            "reply#inbound/2026/03/02/abc123",
            step="already_paid",
            channels=("email",),
            reason="already paid",
            message_id="0102018e0a1b2c3d-mail",
            actor="customer",
            currency="EUR",
            detail={"inbound_key": "inbound/2026/03/02/abc123"},
            case_id="C1-EUR-1",
        ),
    }


def more_samples() -> list[EscalationEvent]:
    """Entries whose fields a saved query reads and the samples above lack: a promise's date, a plan break."""
    status = sample_events()[EventKind.STATUS]
    return [
        replace(
            status,
            key_suffix="F-001#promised#d4e5f6",
            step="promised",
            reason="promised to pay",
            detail={"until": "2026-03-20", "note": "phone call with the accountant"},
        ),
        # services.plans.break_event: no customer name on the event.
        replace(
            status,
            key_suffix="F-003#plan_broken",
            step="open",
            invoice_ids=("F-003",),
            reason="payment plan broken: instalment 2 still unpaid",
            actor="system",
            detail={"plan": "broken", "instalment": "2"},
            customer_name=None,
            case_id=None,
        ),
    ]


def stream_record(event: EscalationEvent, sequence: int, event_name: str = "INSERT") -> dict[str, Any]:
    """The record Lambda receives from the log's stream (view type NEW_IMAGE) when the event is written:
    the item exactly as pynamodb writes it."""
    image = event_record(event).serialize()
    data: dict[str, Any] = {
        "ApproximateCreationDateTime": int(event.recorded_at.timestamp()),
        "Keys": {"customer_id": image["customer_id"], "event_key": image["event_key"]},
        "SequenceNumber": str(sequence),
        "SizeBytes": len(json.dumps(image)),
        "StreamViewType": "NEW_IMAGE",
    }
    if event_name != "REMOVE":
        data["NewImage"] = image
    return {
        "eventID": f"{sequence:032x}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-3",
        "dynamodb": data,
        "eventSourceARN": STREAM_ARN,
    }


@contextmanager
def captured_log(buffer: io.StringIO | None = None) -> Iterator[io.StringIO]:
    """What the services log, as CloudWatch would receive it: one JSON object a line.

    The services' logger is a child of the Logger named after POWERTOOLS_SERVICE_NAME as it was when
    relance.observability was first imported; in a test process that may be before a stack's environment
    named the service, so the capture goes through that parent, whichever it is.
    """
    parent = Logger(service=observability.logger.service)
    buffer = buffer if buffer is not None else io.StringIO()
    previous = parent.registered_handler.setStream(buffer)
    try:
        yield buffer
    finally:
        parent.registered_handler.setStream(previous)


def logged(buffer: io.StringIO, message: str = observability.JOURNAL_MESSAGE) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    return [line for line in lines if line.get("message") == message]
