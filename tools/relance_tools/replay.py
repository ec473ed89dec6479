"""A book's past, replayed in memory: the same services as the Lambda handlers, day by day, on the fakes.

`MemoryPipeline` plays what AWS plays around the handlers (the S3 notification, the scheduler, the SQS
event source, SES's delivery reports) with the in-memory ports, so that a finance team can see what Relance
would have done to its last two years before deploying it, in seconds rather than hours of moto.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from relance.adapters.memory import MemoryContext, memory_context
from relance.adapters.memory.context import ManualClock
from relance.config import Settings
from relance.observability import logger
from relance.ports import Renderer
from relance.services.digest import DigestResult, run_digest
from relance.services.dunning import DispatchResult, process_customer
from relance.services.feedback import record_feedback
from relance.services.ingest import ingest_object
from relance.services.planner import RunRequest, plan_day
from relance.services.replies import record_reply
from relance_tools.actions import apply_action
from relance_tools.cli.dated_files import DatedAction, DatedTable
from relance_tools.cli.demo import DEMO_PARAMETERS
from relance_tools.dated_drops import inbound_key, reply_bytes
from relance_tools.devstack import settings_for_parameters
from relance_tools.sesmail import delivery_notification
from relance_tools.timeline import timeline


@functools.cache
def demo_settings() -> Settings:
    """The settings the demo's stack gives its functions, read from template.yaml once per process."""
    return settings_for_parameters(DEMO_PARAMETERS)


@dataclass
class DayCounts:
    """What one simulated day did, for the progress lines."""

    dispatches: int = 0
    by_step: Counter[str] = field(default_factory=Counter)
    held: int = 0
    failed: int = 0
    payments: int = 0


@dataclass
class MemoryPipeline:
    ctx: MemoryContext
    clock: ManualClock
    _reported: int = 0
    # Queue messages a failed worker attempt left, received again the next day (as SQS would, later).
    _retry: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, first_day: date, renderer: Renderer | None = None) -> MemoryPipeline:
        clock = ManualClock()
        ctx = memory_context(demo_settings(), clock=clock, renderer=renderer)
        pipeline = cls(ctx=ctx, clock=clock)
        pipeline.set_day(first_day)
        return pipeline

    def set_day(self, day: date) -> None:
        self.clock.now = self.ctx.calendar.at_opening(day) + timedelta(minutes=5)

    def upload(self, key: str, body: bytes) -> dict[str, Any]:
        """A file dropped in the bucket; the S3 notification hands its key to the ingest service."""
        self.ctx.store.put_file(key, body, "application/octet-stream")
        return ingest_object(self.ctx, key).summary()

    def run_day(self, day: date) -> list[DispatchResult]:
        """The scheduler's run: the planner queues who is due, the worker takes each message."""
        self.set_day(day)
        plan_day(self.ctx, RunRequest(day, f"daily-{day.isoformat()}"))
        messages, self._retry = [*self._retry, *self.ctx.queue.drain()], []
        results = []
        for message in messages:
            try:
                results.append(
                    process_customer(self.ctx, str(message["customer_id"]), str(message["run_id"]))
                )
            except Exception:
                # The record returns to the queue, as with the worker's partial batch failures.
                logger.exception("customer failed", extra={"customer_id": message.get("customer_id")})
                self._retry.append(message)
        return results

    def digest(self, day: date) -> DigestResult:
        """The morning digest, an hour after the day's run (as its schedule has it)."""
        self.clock.now = self.ctx.calendar.at_opening(day) + timedelta(hours=1, minutes=5)
        return run_digest(self.ctx, day)

    def report_deliveries(self) -> int:
        """SES's delivery report of every message sent since the last call, through the feedback service."""
        sender = self.ctx.settings.sender_email
        fresh = self.ctx.mailer.sent[self._reported :]
        for sent in fresh:
            destinations = [
                address.split("<")[-1].rstrip(">").strip()
                for header in ("To", "Cc")
                for address in str(sent.message.get(header, "")).split(",")
                if address.strip()
            ]
            raw = sent.raw.decode("utf-8", errors="replace")
            record_feedback(
                self.ctx, delivery_notification(raw, sent.message_id, sender, destinations, self.clock.now)
            )
        self._reported += len(fresh)
        return len(fresh)


def replay(
    pipeline: MemoryPipeline,
    customers: tuple[str, bytes],
    invoices: tuple[str, bytes],
    payments: DatedTable | None,
    actions: dict[date, list[DatedAction]],
    start: date,
    days: int,
    progress: Callable[[str], None] | None = None,
    digest_days: int = 1,
    replies: Mapping[date, Sequence[Path]] | None = None,
    statements: Mapping[date, Sequence[Path]] | None = None,
) -> list[dict[str, Any]]:
    """Plays the files day by day as the demo does on its embedded AWS; returns the ingest summaries.

    The morning digest runs after each of the last `digest_days` days (the demo's is the last day's; more
    days give its trend earlier digests to compare with)."""
    ingest = [
        pipeline.upload(f"incoming/customers/{customers[0]}", customers[1]),
        pipeline.upload(f"incoming/invoices/{invoices[0]}", invoices[1]),
    ]
    month = DayCounts()
    for offset in range(days):
        day = start + timedelta(days=offset)
        pipeline.set_day(day)
        if payments and day in payments.rows:
            report = pipeline.upload(
                f"incoming/payments/payments-{day.isoformat()}.csv", payments.csv_for(day)
            )
            month.payments += int(report.get("applied_payments", 0))
            ingest.append(report)
        for path in (statements or {}).get(day, []):
            report = pipeline.upload(f"incoming/bank/{path.name}", path.read_bytes())
            month.payments += int(report.get("applied_payments", 0))
            ingest.append(report)
        for action in actions.get(day, []):
            apply_action(pipeline.ctx, action)
        for path in (replies or {}).get(day, []):
            # As SES stores it and the replies function reads it (dated_drops.py).
            raw = reply_bytes(pipeline.ctx, path)
            pipeline.ctx.store.put_file(inbound_key(path), raw, "message/rfc822")
            record_reply(pipeline.ctx, inbound_key(path), raw)
        results = pipeline.run_day(day)
        for result in results:
            if result.outcome == "sent":
                month.dispatches += 1
                month.by_step[result.step or "?"] += 1
            elif result.outcome == "held":
                month.held += 1
            elif result.outcome == "failed":
                month.failed += 1
        if results:
            pipeline.report_deliveries()
        if offset >= days - digest_days:
            pipeline.digest(day)
        last_of_month = (day + timedelta(days=1)).month != day.month or offset == days - 1
        if progress is not None and last_of_month:
            steps = ", ".join(f"{count} {step}" for step, count in sorted(month.by_step.items()))
            progress(
                f"{day:%Y-%m}: {month.dispatches} dispatches ({steps or 'none'}), {month.payments} payments, "
                f"{month.held} held, {month.failed} failed"
            )
            month = DayCounts()
    return ingest


def write_outputs(pipeline: MemoryPipeline, out: Path, documents: bool) -> list[dict[str, Any]]:
    """timeline.json always; the emails as sent (.eml), notices, hand-off packs, tasks and reports unless
    documents are off."""
    for folder in ("emails", "notices", "reports", "tasks", "handoff", "digest"):
        shutil.rmtree(out / folder, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    entries = timeline(pipeline.ctx)
    (out / "timeline.json").write_text(
        json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    if not documents:
        return entries
    store = pipeline.ctx.store
    for prefix, folder in (
        ("notices/", "notices"),
        ("reports/ingest/", "reports"),
        ("tasks/", "tasks"),
        ("handoff/", "handoff"),
        ("reports/digest/", "digest"),
    ):
        (out / folder).mkdir(exist_ok=True)
        for key in store.keys(prefix):
            (out / folder / key[len(prefix) :].replace("/", "_")).write_bytes(store.read(key))
    # The emails as the worker archived them (what was sent, byte for byte).
    (out / "emails").mkdir(exist_ok=True)
    for key in store.keys("emails/"):
        (out / "emails" / key[len("emails/") :].replace("/", "_")).write_bytes(store.read(key))
    return entries


def summary(entries: list[dict[str, Any]], seconds: float, stream: TextIO | None = None) -> None:
    kinds = Counter(entry["kind"] for entry in entries)
    sent = sum(1 for entry in entries if entry["kind"] == "escalation" and entry["outcome"] == "sent")
    notices = sum(1 for entry in entries if entry["notice_key"])
    cases = len({entry["case_id"] for entry in entries if entry["case_id"]})
    print(
        f"{sent} escalation messages, {notices} formal notices, {cases} cases, {kinds['payment']} payments, "
        f"{len(entries)} events in {seconds:.1f} s.",
        file=stream or sys.stdout,
    )
