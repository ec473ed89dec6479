"""`make bench`, SES pacing (issue 12): the day's customers sent at the account's rate, on simulated time.

The whole daily path runs on the in-memory ports: the planner queues every due customer, WORKERS worker
instances take batches of ten from a simulated SQS queue (visibility timeouts, receive counts, a dead-letter
queue after maxReceiveCount) through relance.services.work_batch, as the handler does, each pacing its sends
with relance.adapters.pacing at rate / WORKERS, and a simulated SES (SendRateLimit) refuses what goes beyond
the rate. The instances are threads that run one at a time on one simulated clock (VirtualTime): a sleep
parks the thread and the clock jumps to the next wake-up, so 30,000 customers at 14 a second (36 simulated
minutes) take about a minute, and the same inputs always give the same run.

`python -m tests.benchmarks.pacing` prints the figures alone.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.utils import parseaddr
from typing import Any

from relance.adapters.memory import MemoryContext, memory_context
from relance.adapters.memory.outbox import SendRateLimit
from relance.adapters.pacing import PacedMailer, TokenBucket
from relance.domain.models import Customer, Invoice
from relance.ports import RenderedEmail
from relance.rendering.summary import SummaryRenderer
from relance.services.planner import RunRequest, plan_day
from relance.services.work_batch import Redelivery, work_batch

DAY = date(2026, 3, 3)
CUSTOMERS = 30_000
SES_RATE = 14.0  # a new production SES account's usual maximum send rate
WORKERS = 5  # template.yaml's default WorkerConcurrency
BATCH_SIZE = 10
TIMEOUT = 120.0  # the worker's Timeout
VISIBILITY_TIMEOUT = 720.0
MAX_RECEIVES = 10
# Simulated costs of one customer besides its send: the DynamoDB reads and writes, rendering, storing; and of
# the SES call itself.
WORK_SECONDS = 0.10
SES_CALL_SECONDS = 0.05
POLL_SECONDS = 1.0


class VirtualTime:
    """Simulated seconds shared by threads that run one at a time: `sleep` parks the caller until the clock
    reaches its wake-up, the clock jumps to the earliest wake-up and that thread runs."""

    def __init__(self) -> None:
        self.now = 0.0
        self._parked: list[tuple[float, int, threading.Event]] = []
        self._order = itertools.count()
        self._guard = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        mine = threading.Event()
        with self._guard:
            heapq.heappush(self._parked, (self.now + max(0.0, seconds), next(self._order), mine))
        self._run_next()
        mine.wait()

    def _run_next(self) -> None:
        with self._guard:
            if not self._parked:
                return
            wake, _, event = heapq.heappop(self._parked)
            self.now = max(self.now, wake)
        event.set()

    def run(self, tasks: Sequence[Callable[[], None]]) -> None:
        """Runs the tasks as parked threads from now on, until every one has returned."""
        errors: list[BaseException] = []

        def body(task: Callable[[], None], start: threading.Event) -> None:
            start.wait()
            try:
                task()
            except BaseException as exc:  # re-raised in the caller's thread below
                errors.append(exc)
            finally:
                self._run_next()

        threads = []
        for task in tasks:
            start = threading.Event()
            with self._guard:
                heapq.heappush(self._parked, (self.now, next(self._order), start))
            threads.append(threading.Thread(target=body, args=(task, start), daemon=True))
        for thread in threads:
            thread.start()
        self._run_next()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]


@dataclass
class _Message:
    body: str
    visible_at: float = 0.0
    receives: int = 0
    version: int = 0


@dataclass
class SimulatedQueue:
    """SQS as the worker sees it: a received message is invisible for the visibility timeout unless deleted
    or given another visibility; past `max_receives` receives it goes to the dead-letter queue."""

    time: VirtualTime
    visibility_timeout: float = VISIBILITY_TIMEOUT
    max_receives: int = MAX_RECEIVES
    messages: dict[str, _Message] = field(default_factory=dict)
    dead: list[str] = field(default_factory=list)
    receives: int = 0
    _heap: list[tuple[float, int, str, int]] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)

    def send_all(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        for body in bodies:
            message_id = f"m{len(self.messages):06d}"
            self.messages[message_id] = _Message(json.dumps(body), self.time.now)
            self._show(message_id)

    def _show(self, message_id: str) -> None:
        message = self.messages[message_id]
        message.version += 1
        heapq.heappush(self._heap, (message.visible_at, next(self._order), message_id, message.version))

    def receive(self, limit: int) -> list[dict[str, Any]]:
        records = []
        while self._heap and len(records) < limit and self._heap[0][0] <= self.time.now:
            _, _, message_id, version = heapq.heappop(self._heap)
            message = self.messages.get(message_id)
            if message is None or message.version != version:
                continue  # deleted, or its visibility changed since
            if message.receives >= self.max_receives:
                self.dead.append(message_id)
                del self.messages[message_id]
                continue
            message.receives += 1
            self.receives += 1
            message.visible_at = self.time.now + self.visibility_timeout
            self._show(message_id)
            records.append(
                {
                    "messageId": message_id,
                    "receiptHandle": f"{message_id}#{message.receives}",
                    "body": message.body,
                    "attributes": {"ApproximateReceiveCount": str(message.receives)},
                }
            )
        return records

    def delete(self, message_id: str) -> None:
        self.messages.pop(message_id, None)

    def change_visibility(self, redeliveries: Sequence[Redelivery]) -> None:
        for item in redeliveries:
            message_id, _, receives = item.message.receipt_handle.partition("#")
            message = self.messages.get(message_id)
            if message is not None and str(message.receives) == receives:
                message.visible_at = self.time.now + item.delay_seconds
                self._show(message_id)


class _WorkingRenderer(SummaryRenderer):
    """The cheap renderer, taking the simulated time a customer's reads, rendering and writes take."""

    def __init__(self, time: VirtualTime) -> None:
        self._time = time

    def email(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
        self._time.sleep(WORK_SECONDS)
        return super().email(template, context)


@dataclass(frozen=True)
class PacingRun:
    customers: int
    rate: float
    workers: int
    paced: bool
    seconds: float
    """Simulated seconds from the planner's run to the last email SES accepted."""
    emails: int
    duplicates: int
    refused: int
    receives: int
    dead: int
    real_seconds: float

    @property
    def ideal(self) -> float:
        return self.customers / self.rate


def due_customers(ctx: MemoryContext, count: int) -> None:
    """Customers with one invoice five days overdue each: every one gets its first reminder on DAY."""
    ctx.book.create(
        [
            Customer(f"C{n:06d}", f"Client {n}", f"c{n}@client.example", next_action_on=DAY)
            for n in range(count)
        ],
        [
            Invoice(
                f"F{n:06d}",
                f"C{n:06d}",
                DAY - timedelta(days=35),
                DAY - timedelta(days=5),
                "EUR",
                Decimal("90"),
            )
            for n in range(count)
        ],
    )


def simulate(
    customers: int = CUSTOMERS, rate: float = SES_RATE, workers: int = WORKERS, paced: bool = True
) -> PacingRun:
    started = time.perf_counter()
    virtual = VirtualTime()
    ses = SendRateLimit(rate=rate, clock=virtual.clock)
    base = memory_context(renderer=_WorkingRenderer(virtual))
    opening = base.calendar.at_opening(DAY) + timedelta(minutes=5)

    def now() -> datetime:
        return opening + timedelta(seconds=virtual.now)

    def call_ses(message: Any) -> None:
        virtual.sleep(SES_CALL_SECONDS)
        ses(message)

    settings = replace(base.settings, ses_send_rate=rate, worker_concurrency=workers)
    ctx = replace(base, settings=settings, clock=now)
    ctx.mailer.gate = call_ses
    due_customers(ctx, customers)
    plan_day(ctx, RunRequest(DAY, "daily"))
    queue = SimulatedQueue(virtual)
    queue.send_all(ctx.queue.drain())
    last_send = [0.0]

    def instance() -> None:
        # One instance's own pacer and mailer over the shared (simulated) SES; the rest of the stack shared.
        bucket = TokenBucket(settings.send_rate_per_worker or rate, clock=virtual.clock, sleep=virtual.sleep)
        mine = replace(ctx, mailer=PacedMailer(ctx.mailer, bucket) if paced else ctx.mailer)
        while True:
            records = queue.receive(BATCH_SIZE)
            if not records:
                if not queue.messages:
                    return
                virtual.sleep(POLL_SECONDS)  # long polling: back as soon as something is visible
                continue
            deadline = virtual.now + TIMEOUT

            def remaining_ms(deadline: float = deadline) -> int:
                return int((deadline - virtual.now) * 1000)

            sent_before = len(ctx.mailer.sent)
            outcome = work_batch(mine, records, remaining_ms, queue.change_visibility)
            if len(ctx.mailer.sent) > sent_before:
                last_send[0] = virtual.now
            failed = set(outcome.failed)
            for record in records:
                if record["messageId"] not in failed:
                    queue.delete(record["messageId"])

    logging.disable(logging.WARNING)  # a throttled run logs every refusal
    try:
        virtual.run([instance] * workers)
    finally:
        logging.disable(logging.NOTSET)
    emails = Counter(parseaddr(str(sent.message["To"]))[1] for sent in ctx.mailer.sent)
    return PacingRun(
        customers=customers,
        rate=rate,
        workers=workers,
        paced=paced,
        seconds=last_send[0],
        emails=len(emails),
        duplicates=sum(count - 1 for count in emails.values()),
        refused=ses.refused,
        receives=queue.receives,
        dead=len(queue.dead),
        real_seconds=time.perf_counter() - started,
    )


def describe(run: PacingRun) -> str:
    off = (run.seconds / run.ideal - 1) * 100
    return (
        f"{run.seconds:.0f} s simulated vs {run.ideal:.0f} s ideal ({off:+.1f} %), {run.emails} emails, "
        f"{run.duplicates} duplicates, {run.refused} refused by SES, {run.receives} receives, "
        f"{run.dead} to DLQ ({run.real_seconds:.0f} s real)"
    )


def run() -> list[tuple[str, str]]:
    paced = simulate()
    # Without pacing the instances send as fast as they work and SES refuses the excess: a tenth of the
    # customers shows it (every refusal is a receive and a backoff).
    unpaced = simulate(CUSTOMERS // 10, paced=False)
    return [
        (
            f"SES pacing: {CUSTOMERS} customers, SES {SES_RATE:g}/s, {WORKERS} workers",
            describe(paced) + " (target: within 5 %)",
        ),
        (f"same SES, not paced: {CUSTOMERS // 10} customers", describe(unpaced)),
    ]


if __name__ == "__main__":
    for label, figure in run():
        print(f"  {label:<58} {figure}")
