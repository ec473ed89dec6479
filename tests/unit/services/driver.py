"""Drives the services on the in-memory ports the way the AWS services drive the handlers.

The planner queues the day's customers, the worker takes each queue message (a failed one is handed back
to the caller, as SQS would keep it), files are dropped in the bucket and ingested, and the clock is the
day's morning in the creditor's timezone. Small on purpose: the services do the work.
"""

from __future__ import annotations

import email
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.policy import default
from typing import Any

from relance.adapters.memory import MemoryContext, memory_context
from relance.adapters.memory.context import ManualClock
from relance.domain.events import EscalationEvent, EventKind
from relance.domain.models import Case, CaseMessage, Customer, CustomerKind, DunningState, Invoice
from relance.ingest.report import IngestReport
from relance.ports import Context
from relance.services.bookkeeping import Edit, edit_book
from relance.services.dunning import DispatchResult, process_customer
from relance.services.ingest import ingest_object
from relance.services.planner import PlanResult, RunRequest, plan_day


def pipeline(first_day: date) -> MemoryContext:
    """A Relance in memory (real templates and PDFs), its clock on `first_day`'s morning."""
    ctx = memory_context(clock=ManualClock())
    at(ctx, first_day)
    return ctx


def at(ctx: MemoryContext, day: date, minutes: int = 5) -> None:
    """Moves the clock to `minutes` after the sending window opens on `day`."""
    clock = ctx.clock
    assert isinstance(clock, ManualClock)
    clock.now = ctx.calendar.at_opening(day) + timedelta(minutes=minutes)


@dataclass
class DayRun:
    day: date
    planned: PlanResult
    results: list[DispatchResult] = field(default_factory=list)
    failed: list[tuple[dict[str, Any], Exception]] = field(default_factory=list)

    @property
    def outcomes(self) -> dict[str, str]:
        return {result.customer_id: result.outcome for result in self.results}


def run_day(ctx: MemoryContext, day: date, *, failures: bool = False) -> DayRun:
    """The daily schedule: the planner at the window's opening, then the worker on every message queued.

    A message whose processing fails re-raises its error unless `failures` (the caller then reads them in
    `DayRun.failed`, as SQS would keep them for a retry): an unexpected error never passes unseen.
    """
    at(ctx, day)
    planned = plan_day(ctx, RunRequest(day, f"daily-{day.isoformat()}"))
    run = DayRun(day, planned)
    run.results, run.failed = work(ctx, ctx.queue.drain())
    if run.failed and not failures:
        raise run.failed[0][1]
    return run


def work(
    ctx: MemoryContext, messages: Iterable[Mapping[str, Any]]
) -> tuple[list[DispatchResult], list[tuple[dict[str, Any], Exception]]]:
    """The worker on queue messages; a message whose processing raised is returned with its error."""
    results: list[DispatchResult] = []
    failed: list[tuple[dict[str, Any], Exception]] = []
    for message in messages:
        try:
            results.append(process_customer(ctx, str(message["customer_id"]), str(message["run_id"])))
        except Exception as exc:  # the queue keeps the message for a retry, whatever the error
            failed.append((dict(message), exc))
    return results, failed


def run_days(
    ctx: MemoryContext,
    first: date,
    last: date,
    before: Callable[[date], None] | None = None,
) -> list[DayRun]:
    """Every day from `first` to `last`; `before(day)` runs first each morning (a payment, a decision).
    Any failed message re-raises its error."""
    runs = []
    day = first
    while day <= last:
        at(ctx, day)
        if before is not None:
            before(day)
        runs.append(run_day(ctx, day))
        day += timedelta(days=1)
    return runs


def drop(ctx: MemoryContext, key: str, body: bytes | str) -> IngestReport:
    """A file dropped in the bucket and ingested, as the S3 notification makes the ingest function do."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    ctx.store.put_file(key, data, "application/octet-stream")
    return ingest_object(ctx, key)


# The book.


def client(customer_id: str = "C1", **changes: Any) -> Customer:
    """A business customer as a customers file would describe it, with an account manager."""
    values: dict[str, Any] = {
        "name": f"Client {customer_id} SARL",
        "email": f"compta@{customer_id.lower()}.example",
        "kind": CustomerKind.BUSINESS,
        "address": ("1 rue du Client", "69001 Lyon"),
        "account_manager_email": "am@creditor.example",
        **changes,
    }
    return Customer(customer_id=customer_id, **values)


def bill(
    invoice_id: str = "F1",
    customer_id: str = "C1",
    due: date = date(2026, 2, 26),
    total: str = "1200.00",
    courtesy_on: date | None = None,
    **changes: Any,
) -> Invoice:
    """An invoice in EUR issued a month before its due date; `courtesy_on`: its pre-due notice went then."""
    dunning = DunningState(("courtesy",), courtesy_on) if courtesy_on else DunningState()
    values: dict[str, Any] = {"currency": "EUR", "dunning": dunning, **changes}
    return Invoice(
        invoice_id=invoice_id,
        customer_id=customer_id,
        issue_date=due - timedelta(days=30),
        due_date=due,
        total=Decimal(total),
        **values,
    )


def case(
    *steps: tuple[str, date, tuple[str, ...]], customer_id: str = "C1", opened_on: date, **changes: Any
) -> Case:
    """The customer's EUR case having taken `steps` (step, day, invoices named), a formal notice by letter."""
    messages = tuple(
        CaseMessage(step, on, named, letter=step == "formal_notice") for step, on, named in steps
    )
    return Case(f"{customer_id}-EUR-1", "EUR", opened_on, messages=messages, **changes)


def seed(ctx: Context, customer: Customer, invoices: Sequence[Invoice] = ()) -> Customer:
    """Puts a customer and its invoices in the book through the one save path of the writers: its cases
    settled and its next action date in the daily index, as of the clock's day (any Context: the
    integration tests seed DynamoDB with it too)."""
    ctx.book.create(customers=[customer])
    return edit_book(ctx, customer.customer_id, lambda who, _, __: Edit(who, list(invoices))).customer


def customer(ctx: MemoryContext, customer_id: str = "C1") -> Customer:
    found = ctx.book.customer(customer_id)
    assert found is not None, customer_id
    return found


def invoice(ctx: MemoryContext, invoice_id: str, customer_id: str = "C1") -> Invoice:
    return ctx.book.invoices([(customer_id, invoice_id)])[(customer_id, invoice_id)]


def events(
    ctx: MemoryContext, customer_id: str = "C1", kind: EventKind | None = None
) -> list[EscalationEvent]:
    return [e for e in ctx.events.for_customer(customer_id) if kind is None or e.kind is kind]


def sent(ctx: MemoryContext) -> list[EmailMessage]:
    """Every email the mailer took, parsed back from its bytes as the recipient would read it."""
    return [
        email.message_from_bytes(item.raw, policy=default)  # type: ignore[misc]
        for item in ctx.mailer.sent
    ]


def text_of(message: EmailMessage, kind: str = "plain") -> str:
    """A part's text with its whitespace (and French narrow no-break spaces) made single spaces."""
    body = message.get_body((kind,))
    assert body is not None, kind
    content = body.get_content()  # type: ignore[attr-defined]
    return " ".join(content.replace("\u202f", " ").replace("\u00a0", " ").split())
