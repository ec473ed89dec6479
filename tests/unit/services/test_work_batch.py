"""The worker's batch on the in-memory ports: throttled sends come back later and go out once; customers the
invocation has no time left for are handed back untouched; the handler answers SQS with the failures."""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from email.utils import parseaddr
from typing import Any

import pytest

from relance.adapters.memory import MemoryContext, memory_context
from relance.adapters.memory.context import ManualClock
from relance.bootstrap import use_runtime
from relance.domain.models import Customer, Invoice
from relance.ports import SendRefused
from relance.rendering.summary import SummaryRenderer
from relance.services.work_batch import (
    BACKOFF_CAP_SECONDS,
    BACKOFF_FIRST_SECONDS,
    Redelivery,
    backoff_seconds,
    time_reserve_ms,
    work_batch,
)
from relance_tools.local_pipeline import LambdaContext, load_handler_module

DAY = date(2026, 3, 3)
# Taken before the unit tests' guard replaces it: see the `worker` fixture.
REAL_SOCKET = socket.socket


def stack(customers: int) -> MemoryContext:
    """Customers with one invoice five days overdue each: every one gets its first reminder today."""
    clock = ManualClock()
    ctx = memory_context(clock=clock, renderer=SummaryRenderer())
    clock.now = ctx.calendar.at_opening(DAY) + timedelta(minutes=5)
    ctx.book.create(
        [
            Customer(f"C{n}", f"Client {n}", f"c{n}@client.example", next_action_on=DAY)
            for n in range(customers)
        ],
        [
            Invoice(f"F{n}", f"C{n}", DAY - timedelta(days=35), DAY - timedelta(days=5), "EUR", Decimal("90"))
            for n in range(customers)
        ],
    )
    return ctx


def record(customer_id: str, receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": f"m-{customer_id}",
        "receiptHandle": f"r-{customer_id}-{receive_count}",
        "body": json.dumps({"customer_id": customer_id, "run_date": DAY.isoformat(), "run_id": "daily"}),
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
    }


class Handed:
    def __init__(self) -> None:
        self.back: list[Redelivery] = []

    def __call__(self, redeliveries: Sequence[Redelivery]) -> None:
        self.back.extend(redeliveries)


def recipients_of(ctx: MemoryContext) -> list[str]:
    return [parseaddr(str(sent.message["To"]))[1] for sent in ctx.mailer.sent]


def test_a_throttled_send_comes_back_after_its_backoff_and_then_goes_out_once():
    ctx = stack(3)

    def throttle_c1(message: Any) -> None:
        if "c1@" in str(message["To"]):
            raise SendRefused("SES answered Throttling: Maximum sending rate exceeded.")

    ctx.mailer.gate = throttle_c1
    handed = Handed()

    outcome = work_batch(ctx, [record("C0"), record("C1"), record("C2")], lambda: 100_000, handed)

    assert outcome.response() == {"batchItemFailures": [{"itemIdentifier": "m-C1"}]}
    [back] = handed.back
    assert back.message.receipt_handle == "r-C1-1"
    assert back.delay_seconds == backoff_seconds(1, "m-C1") > 0
    assert ctx.book.customer("C1").dispatch.pending is None  # the claim is given back: nothing left
    assert recipients_of(ctx) == ["c0@client.example", "c2@client.example"]

    ctx.mailer.gate = None
    retried = work_batch(ctx, [record("C1", receive_count=2)], lambda: 100_000, handed)
    again = work_batch(ctx, [record("C1", receive_count=3)], lambda: 100_000, handed)

    assert retried.response() == again.response() == {"batchItemFailures": []}
    assert [result.outcome for result in retried.results] == ["sent"]
    assert [result.outcome for result in again.results] == ["nothing_due"]  # today's step is recorded
    assert sorted(recipients_of(ctx)) == ["c0@client.example", "c1@client.example", "c2@client.example"]


def test_customers_the_invocation_has_no_time_left_for_are_handed_back_untouched_and_visible_at_once():
    ctx = stack(4)
    reserve = time_reserve_ms(ctx.settings)
    left = iter([reserve + 1, reserve - 1, reserve - 1])  # asked before the 2nd, 3rd and 4th customers
    handed = Handed()

    outcome = work_batch(ctx, [record(f"C{n}") for n in range(4)], lambda: next(left), handed)

    assert [result.customer_id for result in outcome.results] == ["C0", "C1"]
    assert outcome.failed == ["m-C2", "m-C3"]
    assert [(item.message.message_id, item.delay_seconds) for item in handed.back] == [
        ("m-C2", 0),
        ("m-C3", 0),
    ]
    assert ctx.book.customer("C2").dispatch.pending is None
    assert recipients_of(ctx) == ["c0@client.example", "c1@client.example"]


def test_the_first_customer_is_started_however_little_time_is_left():
    ctx = stack(2)
    handed = Handed()

    outcome = work_batch(ctx, [record("C0"), record("C1")], lambda: 1, handed)

    assert [result.customer_id for result in outcome.results] == ["C0"]
    assert outcome.failed == ["m-C1"]


def test_the_reserve_covers_two_paced_sends_of_this_instance():
    from dataclasses import replace

    ctx = stack(0)
    unpaced = time_reserve_ms(ctx.settings)
    paced = time_reserve_ms(replace(ctx.settings, ses_send_rate=2.0, worker_concurrency=4))

    assert paced - unpaced == 2 * 2000  # 0.5 send a second for this instance: 2 s per send


def test_other_failures_keep_the_queues_own_visibility_timeout():
    ctx = stack(1)
    handed = Handed()
    broken = {"messageId": "m-bad", "receiptHandle": "r-bad", "body": "not json", "attributes": {}}

    outcome = work_batch(ctx, [broken, record("C0")], lambda: 100_000, handed)

    assert outcome.failed == ["m-bad"]
    assert handed.back == []
    assert [result.outcome for result in outcome.results] == ["sent"]


def test_a_failing_visibility_change_does_not_lose_the_batch_response():
    ctx = stack(2)

    def unreachable(redeliveries: Sequence[Redelivery]) -> None:
        raise ConnectionError("SQS unreachable")

    outcome = work_batch(ctx, [record("C0"), record("C1")], lambda: 1, unreachable)

    assert outcome.response() == {"batchItemFailures": [{"itemIdentifier": "m-C1"}]}


def test_the_backoff_doubles_with_each_receive_up_to_its_cap_spread_by_message():
    for count in range(1, 12):
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (count - 1))
        delays = {backoff_seconds(count, f"message-{n}") for n in range(50)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 10
    assert backoff_seconds(1, "m") == backoff_seconds(1, "m")
    assert backoff_seconds(1000, "m") <= BACKOFF_CAP_SECONDS


class FakeSqs:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def change_message_visibility_batch(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"Successful": [{"Id": entry["Id"]} for entry in kwargs["Entries"]], "Failed": []}


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "RelanceTest")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    with monkeypatch.context() as importing:
        # The X-Ray SDK makes its UDP emitter's socket when the handler's Tracer is built; nothing is sent.
        importing.setattr(socket, "socket", REAL_SOCKET)
        module = load_handler_module("worker")
    yield module
    use_runtime(None)


def test_the_handler_reports_failures_and_sets_the_throttled_ones_visibility(worker: Any, capsys: Any):
    ctx = stack(2)
    sqs = FakeSqs()
    ctx.client = lambda service: sqs  # type: ignore[attr-defined]

    def throttle_c1(message: Any) -> None:
        if "c1@" in str(message["To"]):
            raise SendRefused("throttled")

    ctx.mailer.gate = throttle_c1
    use_runtime(ctx)  # type: ignore[arg-type]

    answer = worker.lambda_handler({"Records": [record("C0"), record("C1", 3)]}, LambdaContext("worker"))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-C1"}]}
    [call] = sqs.calls
    assert call["QueueUrl"] == ctx.settings.work_queue_url
    assert call["Entries"] == [
        {"Id": "0", "ReceiptHandle": "r-C1-3", "VisibilityTimeout": backoff_seconds(3, "m-C1")}
    ]


def test_the_handler_fails_the_invocation_when_every_record_failed(worker: Any, capsys: Any):
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    ctx = stack(1)
    ctx.client = lambda service: FakeSqs()  # type: ignore[attr-defined]

    def refuse(message: Any) -> None:
        raise SendRefused("throttled")

    ctx.mailer.gate = refuse
    use_runtime(ctx)  # type: ignore[arg-type]

    with pytest.raises(BatchProcessingError):
        worker.lambda_handler({"Records": [record("C0")]}, LambdaContext("worker"))
