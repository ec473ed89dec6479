"""Nothing lost, nothing sent twice, under faults: 1,000 randomized runs of the daily path on the fakes.

Each run drops a small book and its payments, then plays days on which anything may go wrong:
- SES throttles (nothing sent), times out before sending, or loses its answer after accepting the email;
- the bucket refuses a notice, DynamoDB fails a write (before it applies, or after: the answer is lost);
- the worker is killed between the email and the record (nothing in-process runs after);
- the schedule fires twice, SQS redelivers a message, two workers take the same customer, days are missed.
A person does what the runbook says: each customer held for an interrupted dispatch (logged, alarmed) is
checked in SES and released as sent or not sent. Then a few quiet days let everything catch up.

Asserted for every run: no email with the same Message-ID twice (a dispatch goes once), no payment lost or
applied twice, every hold alarmed, and every customer ends exactly where the same run without faults ends.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from relance.adapters.memory import MemoryBook, MemoryMailer, MemoryStore
from relance.domain.events import EscalationEvent, EventKind
from relance.observability import logger
from relance.ports import SendRefused, SendUncertain, StorageError, StoredObject
from relance.rendering.summary import SummaryRenderer
from relance.services import dunning, levers
from relance.services.dunning import DispatchInProgress
from relance_tools.replay import MemoryPipeline
from tests.conftest import FIGURES

RUNS = 1000
# The runs are dealt to this many tests, so that pytest-xdist spreads them over the cores; the figures of
# all of them are summed and printed at the end of the run (tests/conftest.py).
SHARDS = 10
START = date(2026, 2, 2)
DAYS = 60
QUIET = 70


class Killed(BaseException):
    """The function is killed: nothing of it runs after this point, no except clause sees it."""


@dataclass
class Faults:
    rng: random.Random
    rate: float
    on: bool = True
    injected: Counter[str] = field(default_factory=Counter)

    def roll(self, kind: str, weight: float = 1.0) -> bool:
        if self.on and self.rng.random() < self.rate * weight:
            self.injected[kind] += 1
            return True
        return False


class FaultyMailer(MemoryMailer):
    def __init__(self, faults: Faults) -> None:
        super().__init__()
        self.faults = faults

    def send(self, message: EmailMessage, tags: Mapping[str, str] | None = None) -> str:
        if self.faults.roll("ses_throttled"):
            raise SendRefused("SES answered Throttling")
        if self.faults.roll("ses_timeout_before_sending", 0.3):
            raise SendUncertain("connection reset before the request was sent")
        message_id = super().send(message, tags)
        if self.faults.roll("ses_answer_lost", 0.5):
            raise SendUncertain("SES answered 500 after accepting the message")
        if self.faults.roll("worker_killed_after_send", 0.3):
            raise Killed
        return message_id


class FaultyStore(MemoryStore):
    def __init__(self, faults: Faults) -> None:
        super().__init__()
        self.faults = faults

    def put_evidence(
        self, key: str, body: bytes, content_type: str, retain_until: datetime, metadata: Mapping[str, str]
    ) -> StoredObject:
        if self.faults.roll("s3_refused"):
            raise StorageError("S3 answered 503 SlowDown")
        return super().put_evidence(key, body, content_type, retain_until, metadata)


class FaultyBook(MemoryBook):
    def __init__(self, faults: Faults, log: Any) -> None:
        super().__init__(log)
        self.faults = faults

    def save(self, changes: Sequence[Any], events: Sequence[EscalationEvent] = ()) -> None:
        if self.faults.roll("dynamodb_failed"):
            raise RuntimeError("DynamoDB answered ProvisionedThroughputExceededException")
        super().save(changes, events)
        if self.faults.roll("dynamodb_answer_lost", 0.5):
            raise RuntimeError("connection reset after the transaction committed")


def scenario(seed: int) -> tuple[bytes, bytes, dict[int, bytes]]:
    rng = random.Random(seed)
    customers = ["customer_id;name;email;language;kind"]
    invoices = ["invoice_id;customer_id;issue_date;due_date;currency;total"]
    payments: dict[int, bytes] = {}
    for c in range(rng.randint(1, 3)):
        customers.append(f"C{c};Client {c};c{c}@client.example;fr;business")
        for n in range(rng.randint(1, 4)):
            due = START + timedelta(days=rng.randint(-10, 30))
            number = f"F{c}{n}"
            invoices.append(
                f"{number};C{c};{due - timedelta(days=30):%d/%m/%Y};{due:%d/%m/%Y};EUR;"
                f"{rng.randint(50, 5000)},00"
            )
            if rng.random() < 0.35:
                day = rng.randint(0, DAYS - 1)
                paid_on = START + timedelta(days=day)
                payments[day] = (
                    payments.get(day, b"invoice_id;paid_on;amount\n")
                    + f"{number};{paid_on:%d/%m/%Y};{invoices[-1].rsplit(';', 1)[1]}\n".encode()
                )
    return ("\n".join(customers) + "\n").encode(), ("\n".join(invoices) + "\n").encode(), payments


@dataclass
class Outcome:
    pipeline: MemoryPipeline
    holds: int = 0
    alarms: int = 0
    released: int = 0


def run(seed: int, rate: float, monkeypatch: pytest.MonkeyPatch) -> tuple[Outcome, Faults]:
    customers, invoices, payments = scenario(seed)
    faults = Faults(random.Random(seed * 7919), rate, on=rate > 0)
    pipeline = MemoryPipeline.start(START - timedelta(days=12), SummaryRenderer())
    ctx = pipeline.ctx
    ctx.mailer = FaultyMailer(faults)
    ctx.store = FaultyStore(faults)
    ctx.book = FaultyBook(faults, ctx.events)
    outcome = Outcome(pipeline)
    monkeypatch.setattr(dunning, "sleep", lambda seconds: None)
    monkeypatch.setattr(
        dunning,
        "count_metric",
        lambda name, *a, **k: setattr(outcome, "alarms", outcome.alarms + (name == "DispatchHeld")),
    )
    with faults_off(faults):
        pipeline.upload("incoming/customers/c.csv", customers)
        pipeline.upload("incoming/invoices/i.csv", invoices)
    rng = random.Random(seed)
    for offset in range(DAYS + QUIET):
        day = START + timedelta(days=offset)
        faults.on = rate > 0 and offset < DAYS
        pipeline.set_day(day)
        if offset in payments:
            drop_until_applied(pipeline, f"incoming/payments/p{offset}.csv", payments[offset])
        if faults.on and rng.random() < 0.1:
            continue  # a missed day
        runs = 2 if faults.on and rng.random() < 0.1 else 1  # the schedule fires twice
        for _ in range(runs):
            play_day(pipeline, day, faults, rng, outcome)
        release_held(pipeline, outcome)
    return outcome, faults


class faults_off:
    def __init__(self, faults: Faults) -> None:
        self.faults, self.was = faults, faults.on

    def __enter__(self) -> None:
        self.faults.on = False

    def __exit__(self, *exc: object) -> None:
        self.faults.on = self.was


def drop_until_applied(pipeline: MemoryPipeline, key: str, body: bytes) -> None:
    """A payment file whose ingest fails is retried (S3's notification is retried, then the DLQ)."""
    for _ in range(20):
        try:
            pipeline.upload(key, body)
            return
        except Exception:  # noqa: S112 - any transient fault: the notification comes again
            continue
    raise AssertionError(f"{key} never ingested")


def play_day(
    pipeline: MemoryPipeline, day: date, faults: Faults, rng: random.Random, outcome: Outcome
) -> None:
    from relance.services.dunning import process_customer
    from relance.services.planner import RunRequest, plan_day

    ctx = pipeline.ctx
    pipeline.set_day(day)
    try:
        plan_day(ctx, RunRequest(day, f"daily-{day}"))
    except Exception:
        return
    messages = [*pipeline._retry, *ctx.queue.drain()]
    pipeline._retry = []
    for message in messages:
        copies = 2 if faults.on and rng.random() < 0.15 else 1  # redelivered, or two workers racing
        for _ in range(copies):
            try:
                result = process_customer(ctx, message["customer_id"], message["run_id"])
            except (Killed, Exception) as exc:
                if not isinstance(exc, DispatchInProgress):
                    pipeline._retry.append(message)
                continue
            if result.outcome == "held":
                outcome.holds += 1


def release_held(pipeline: MemoryPipeline, outcome: Outcome) -> None:
    """The runbook: a held customer is checked in SES (was its dispatch's email sent?) and released."""
    ctx = pipeline.ctx
    for customer in list(ctx.book.all_customers()):
        pending = customer.dispatch.pending
        if (
            pending is None
            or (pipeline.clock.now - (customer.dispatch.pending_since or pipeline.clock.now)).days < 1
        ):
            continue
        sent = any(
            str(s.message.get("X-Relance-Dispatch")) == pending and s.tags["step"] != "call_task"
            for s in ctx.mailer.sent
        )
        with faults_off(ctx.mailer.faults):  # type: ignore[attr-defined]
            try:
                levers.release(ctx, customer.customer_id, "runbook", was_sent=sent)
            except levers.LeverError as exc:
                # The book changed since (the invoices were paid): the lever says to release it as not sent.
                if "release it as not sent" not in str(exc):
                    raise
                levers.release(ctx, customer.customer_id, "runbook", was_sent=False)
        outcome.released += 1


def final_state(pipeline: MemoryPipeline) -> dict[str, Any]:
    ctx = pipeline.ctx
    state = {}
    for customer in ctx.book.all_customers():
        state[customer.customer_id] = (
            # Where each case stands; not its number (a short case may open and close in one run only).
            tuple((case.currency, case.state.value, case.step_ids) for case in customer.cases),
            customer.dispatch.pending,
        )
    return state


@pytest.mark.parametrize("first", range(SHARDS), ids=[f"seeds {n}, {n + SHARDS}, ..." for n in range(SHARDS)])
def test_faulty_runs_send_nothing_twice_lose_nothing_and_end_where_a_quiet_run_ends(
    first, monkeypatch, caplog, record_property
):
    # The escalation log is not what this test reads (it counts the alarms' metrics): 20,000 INFO lines a
    # hundred runs would cost more than the runs.
    caplog.set_level(logging.WARNING, logger=logger.name)
    totals: Counter[str] = Counter()
    figures: Counter[str] = Counter()
    for seed in range(first, RUNS, SHARDS):
        faulty, faults = run(seed, rate=0.08, monkeypatch=monkeypatch)
        quiet, _ = run(seed, rate=0.0, monkeypatch=monkeypatch)
        totals.update(faults.injected)
        sent = faulty.pipeline.ctx.mailer.sent
        ids = [str(s.message["Message-ID"]) for s in sent]
        duplicates = [item for item, count in Counter(ids).items() if count > 1]
        assert duplicates == [], f"seed {seed}: sent twice {duplicates}"
        payments = [e for e in faulty.pipeline.ctx.events.all_events() if e.kind is EventKind.PAYMENT]
        expected = [e for e in quiet.pipeline.ctx.events.all_events() if e.kind is EventKind.PAYMENT]
        assert sorted(e.event_key for e in payments) == sorted(e.event_key for e in expected), f"seed {seed}"
        assert faulty.alarms >= faulty.holds, f"seed {seed}: a hold without its alarm"
        assert final_state(faulty.pipeline) == final_state(quiet.pipeline), f"seed {seed}"
        figures["runs"] += 1
        figures["emails"] += len(sent)
        figures["sent twice"] += len(duplicates)
        figures["payments lost"] += len({e.event_key for e in expected} - {e.event_key for e in payments})
        figures["holds"] += faulty.holds
        figures["alarms"] += faulty.alarms
        figures["released by a person"] += faulty.released
    injected = {kind.replace("_", " "): count for kind, count in sorted(totals.items())}
    record_property(
        FIGURES,
        ("fault injection", {"runs": figures.pop("runs"), "faults": totals.total(), **injected, **figures}),
    )
