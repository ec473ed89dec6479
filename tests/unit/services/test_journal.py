"""The journal: each entry of the escalation log, as its stream delivers it, becomes one JSON line of the
journal log group carrying the customer's name; redeliveries, unreadable records and hand edits of the
log are handled as the stream's at-least-once delivery requires."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest

from relance.adapters.dynamo.stream import StreamImages
from relance.adapters.memory.book import MemoryBook
from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.models import Customer, CustomerKind
from relance.services import journal
from relance.services.journal import attention, journal_line, write_journal
from tests.journal_samples import captured_log, logged, sample_events, stream_record
from tests.unit.services.driver import client


class CountingBook(MemoryBook):
    """The customers table, counting how often the journal asks it for names."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[set[str]] = []

    def customers(self, customer_ids: Iterable[str]) -> dict[str, Customer]:
        wanted = set(customer_ids)
        self.asked.append(wanted)
        return super().customers(wanted)


@dataclass
class JournalContext:
    book: CountingBook = field(default_factory=CountingBook)
    stream_images: StreamImages = field(default_factory=StreamImages)


@pytest.fixture
def ctx() -> JournalContext:
    context = JournalContext()
    context.book.create(customers=[client("C1", name="Dupont SARL"), client("C2", name="Martin & Fils")])
    return context


def test_every_entry_of_the_log_becomes_one_line_with_the_customers_name(ctx: JournalContext):
    events = list(sample_events().values())
    records = [stream_record(event, 100 + position) for position, event in enumerate(events)]

    with captured_log() as log:
        run = write_journal(ctx, records)

    lines = logged(log)
    assert run.response() == {"batchItemFailures": []}
    assert [line["event_key"] for line in lines] == [event.event_key for event in events]
    assert {line["customer_name"] for line in lines} == {"Dupont SARL"}
    assert [line["kind"] for line in lines] == [event.kind.value for event in events]
    assert all(line["level"] == "INFO" for line in lines)


def test_a_line_reads_without_a_join(ctx: JournalContext):
    notice = sample_events()[EventKind.ESCALATION]

    with captured_log() as log:
        write_journal(ctx, [stream_record(notice, 1)])

    [line] = logged(log)
    assert {key: line[key] for key in ("customer_id", "customer_name", "kind", "step", "outcome")} == {
        "customer_id": "C1",
        "customer_name": "Dupont SARL",
        "kind": "escalation",
        "step": "formal_notice",
        "outcome": "sent",
    }
    # Amounts stay exact decimal text; lists read as text that `like` filters.
    assert (line["amount"], line["currency"]) == ("1550.50", "EUR")
    assert line["invoice_ids"] == "F-001, F-002"
    assert line["channels"] == "email, letter"
    assert line["notice_keys"] == "notices/C1/2026/03/2026-03-02-formal_notice-EUR.pdf"
    assert (line["occurred_on"], line["case_id"]) == ("2026-03-02", "C1-EUR-1")
    assert line["detail"] == {"dispatch": "C1#2026-03-02"}
    assert line["attention"] == "letter to post"


def test_entries_written_without_a_name_take_it_from_the_customers_table_once_per_batch(ctx: JournalContext):
    payment = sample_events()[EventKind.PAYMENT]
    assert payment.customer_name is None
    unnamed = [
        replace(payment, key_suffix="file#a.csv#1"),
        replace(payment, key_suffix="file#a.csv#2"),
        replace(payment, customer_id="C2", key_suffix="file#a.csv#3"),
        replace(payment, customer_id="C9", key_suffix="file#a.csv#4"),
    ]
    named = sample_events()[EventKind.STATUS]

    with captured_log() as log:
        write_journal(ctx, [stream_record(event, n) for n, event in enumerate([*unnamed, named])])

    lines = logged(log)
    assert [line.get("customer_name") for line in lines] == [
        "Dupont SARL",
        "Dupont SARL",
        "Martin & Fils",
        None,  # no such customer any more: the line is kept, without a name
        "Dupont SARL",
    ]
    assert ctx.book.asked == [{"C1", "C2", "C9"}]


def test_a_batch_asks_the_customers_table_once_even_when_every_entry_is_named(ctx: JournalContext):
    """The read tells a company's name from a person's; it costs one batched read per batch."""
    events = [sample_events()[EventKind.CASE], replace(sample_events()[EventKind.STATUS], customer_id="C2")]
    with captured_log():
        write_journal(ctx, [stream_record(event, n) for n, event in enumerate(events)])

    assert ctx.book.asked == [{"C1", "C2"}]


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({}, True),
        ({"legal_form": "SARL"}, True),
        ({"kind": CustomerKind.CONSUMER}, False),
        ({"legal_form": "entrepreneur individuel"}, False),
        ({"legal_form": "E.I."}, False),
    ],
)
def test_a_companys_name_is_shown_and_a_persons_is_masked(
    ctx: JournalContext, changes: dict[str, Any], shown: bool
):
    """Data protection covers natural persons' names: a consumer's, an entrepreneur individuel's."""
    ctx.book.create(customers=[client("C3", name="Jeanne Petit", **changes)])
    event = replace(sample_events()[EventKind.STATUS], customer_id="C3", customer_name="Jeanne Petit")

    with captured_log() as log:
        write_journal(ctx, [stream_record(event, 1)])

    (line,) = logged(log)
    assert line["customer_name"] == ("Jeanne Petit" if shown else "<masked>")
    assert line["customer_kind"] == ("company" if shown else "person")


def test_a_customer_gone_from_the_table_is_masked_as_a_person(ctx: JournalContext):
    event = replace(sample_events()[EventKind.STATUS], customer_id="C9", customer_name="Inconnu")

    with captured_log() as log:
        write_journal(ctx, [stream_record(event, 1)])

    assert logged(log)[0]["customer_name"] == "<masked>"


def test_a_redelivered_record_is_logged_once_in_its_batch(ctx: JournalContext):
    status = sample_events()[EventKind.STATUS]
    record = stream_record(status, 7)

    with captured_log() as log:
        run = write_journal(ctx, [record, record, stream_record(sample_events()[EventKind.CASE], 8)])

    assert [line["kind"] for line in logged(log)] == ["status", "case"]
    assert (run.logged, run.repeated) == (2, 1)


def test_an_unreadable_record_stops_the_batch_there_and_is_reported_for_the_retry(ctx: JournalContext):
    events = sample_events()
    broken = stream_record(events[EventKind.STATUS], 12)
    broken["dynamodb"]["NewImage"]["kind"] = {"S": "promise_to_pay"}
    records = [
        stream_record(events[EventKind.CASE], 11),
        broken,
        stream_record(events[EventKind.PAYMENT], 13),
    ]

    with captured_log() as log:
        run = write_journal(ctx, records)

    # The stream resumes at the unreadable record: the one after it is logged then, not twice.
    assert [line["kind"] for line in logged(log)] == ["case"]
    assert run.response() == {"batchItemFailures": [{"itemIdentifier": "12"}]}
    [error] = logged(log, "journal record unreadable")
    assert error["level"] == "ERROR"
    assert error["sequence_number"] == "12"
    assert "C1/2026-03-02#status#F-001#disputed#a1b2c3" in error["reason"]
    assert "promise_to_pay" in error["reason"]


def test_a_record_without_its_new_image_says_the_stream_is_misconfigured(ctx: JournalContext):
    record = stream_record(sample_events()[EventKind.CASE], 5)
    del record["dynamodb"]["NewImage"]

    with captured_log() as log:
        run = write_journal(ctx, [record])

    assert run.failed_at == "5"
    assert "NEW_IMAGE" in (run.failure or "")
    assert logged(log) == []


@pytest.mark.parametrize("change", ["MODIFY", "REMOVE"])
def test_an_entry_changed_by_hand_is_no_journal_line_but_a_warning_for_a_person(ctx: JournalContext, change):
    record = stream_record(sample_events()[EventKind.PAYMENT], 21, event_name=change)

    with captured_log() as log:
        run = write_journal(ctx, [record])

    assert logged(log) == []
    [warning] = logged(log, journal.LOG_ITEM_CHANGED)
    assert warning["level"] == "WARNING"
    assert warning["change"] == change
    assert warning["event_key"] == "2026-03-02#payment#file#payments-2026-03-02.csv#3"
    assert warning["attention"] == journal.LOG_ITEM_CHANGED
    assert (run.changed, run.response()) == (1, {"batchItemFailures": []})


SAMPLES = sample_events()


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (SAMPLES[EventKind.ESCALATION], "letter to post"),
        (replace(SAMPLES[EventKind.ESCALATION], channels=("email",)), None),
        (
            replace(SAMPLES[EventKind.ESCALATION], outcome=Outcome.FAILED, channels=(), reason="SES refused"),
            "failed",
        ),
        (replace(SAMPLES[EventKind.ESCALATION], channels=("email", "handoff")), "handed off"),
        (SAMPLES[EventKind.HANDOFF], "handed off"),
        (SAMPLES[EventKind.DELIVERY], "bounced"),
        (replace(SAMPLES[EventKind.DELIVERY], outcome=Outcome.COMPLAINED), "complained"),
        (replace(SAMPLES[EventKind.DELIVERY], outcome=Outcome.DELIVERED), None),
        (replace(SAMPLES[EventKind.DELIVERY], outcome=Outcome.SOFT_BOUNCED), None),
        (SAMPLES[EventKind.STATUS], "disputed"),
        (replace(SAMPLES[EventKind.STATUS], step="promised"), None),
        (replace(SAMPLES[EventKind.STATUS], step="open", detail={"plan": "broken"}), "plan broken"),
        (replace(SAMPLES[EventKind.CASE], step="held"), "waiting behind a hand-off"),
        (replace(SAMPLES[EventKind.CASE], step="closed"), None),
        (SAMPLES[EventKind.PAYMENT], None),
        (SAMPLES[EventKind.PLAN_REMINDER], None),
        (replace(SAMPLES[EventKind.PLAN_REMINDER], outcome=Outcome.HELD), "held"),
    ],
)
def test_what_needs_a_human_is_named_on_the_line(event: EscalationEvent, expected: str | None):
    assert attention(event) == expected


def test_several_reasons_are_all_named():
    failed_handoff = replace(SAMPLES[EventKind.HANDOFF], outcome=Outcome.FAILED)
    both = replace(SAMPLES[EventKind.ESCALATION], channels=("handoff", "letter"))

    assert attention(failed_handoff) == "failed"
    assert attention(both) == "handed off, letter to post"


def test_no_field_of_a_line_overwrites_what_logging_or_powertools_put_there():
    """Python's logging refuses an `extra` key naming a LogRecord attribute; Powertools' own keys would
    be overwritten silently."""
    record_attributes = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None)))
    powertools = {"level", "location", "message", "timestamp", "service", "xray_trace_id", "cold_start"}
    powertools |= {"function_name", "function_memory_size", "function_arn", "function_request_id"}
    fields = {key for event in SAMPLES.values() for key in journal_line(event, "X")}

    assert not fields & (record_attributes | powertools | {"exception", "exception_name", "stack_trace"})


def test_amounts_keep_every_digit():
    event = replace(SAMPLES[EventKind.PAYMENT], amount=Decimal("1234567890.10"))

    assert journal_line(event, None)["amount"] == "1234567890.10"
