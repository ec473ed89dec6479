"""Properties of the whole daily path on random books, payments, disputes and missed days (Hypothesis).

Whatever happens, within a case the steps never go down and the formal notice, the suspension and the
hand-off come at most once; every message's totals add up; under the default policy no invoice is put on
notice unless an earlier message named it; nothing goes out for an invoice once it is paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relance.policies import load_policies
from relance.ports import RenderedEmail
from relance.rendering.summary import SummaryRenderer
from relance.services import levers
from relance.services.messages import amounts_add_up
from relance_tools.invariants import step_ranks, violations
from relance_tools.replay import MemoryPipeline

START = date(2026, 1, 5)
HORIZON = 150


class RecordingRenderer(SummaryRenderer):
    """Renders nothing, keeps every message's variables to check them."""

    def __init__(self) -> None:
        self.contexts: list[Mapping[str, Any]] = []

    def email(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
        if template != "call_task":
            self.contexts.append(context)
        return super().email(template, context)


@dataclass(frozen=True)
class Bill:
    customer: int
    due: int
    cents: int
    currency: str


@dataclass(frozen=True)
class Happening:
    day: int
    bill: int
    kind: str
    """pay, pay_part, dispute, resume, promise."""


bills = st.lists(
    st.builds(
        Bill,
        customer=st.integers(0, 2),
        due=st.integers(-20, 70),
        cents=st.integers(3000, 600000),
        currency=st.sampled_from(["EUR", "EUR", "EUR", "GBP"]),
    ),
    min_size=1,
    max_size=9,
)
happenings = st.lists(
    st.builds(
        Happening,
        day=st.integers(0, HORIZON - 1),
        bill=st.integers(0, 8),
        kind=st.sampled_from(["pay", "pay", "pay_part", "dispute", "resume", "promise"]),
    ),
    max_size=12,
)
missed = st.sets(st.integers(0, HORIZON - 1), max_size=25)


def invoices_file(book: list[Bill]) -> bytes:
    rows = ["invoice_id;customer_id;issue_date;due_date;currency;total"]
    for index, bill in enumerate(book):
        due = START + timedelta(days=bill.due)
        issued = due - timedelta(days=30)
        rows.append(
            f"F{index};C{bill.customer};{issued:%d/%m/%Y};{due:%d/%m/%Y};{bill.currency};"
            f"{bill.cents // 100},{bill.cents % 100:02d}"
        )
    return ("\n".join(rows) + "\n").encode()


CUSTOMERS = (
    b"customer_id;name;email;language;kind\n"
    b"C0;Menuiserie Leroy;c0@client.example;fr;business\n"
    b"C1;Thames Ltd;c1@client.example;en;business\n"
    b"C2;Claire Petit;c2@client.example;fr;consumer\n"
)


def play(
    book: list[Bill], events: list[Happening], skipped: set[int]
) -> tuple[MemoryPipeline, RecordingRenderer]:
    renderer = RecordingRenderer()
    pipeline = MemoryPipeline.start(START, renderer)
    pipeline.upload("incoming/customers/c.csv", CUSTOMERS)
    pipeline.upload("incoming/invoices/i.csv", invoices_file(book))
    by_day: dict[int, list[Happening]] = {}
    for event in events:
        if event.bill < len(book):
            by_day.setdefault(event.day, []).append(event)
    for offset in range(HORIZON):
        day = START + timedelta(days=offset)
        pipeline.set_day(day)
        for event in by_day.get(offset, []):
            apply(pipeline, book, event, day)
        if offset not in skipped:  # a missed day: the schedule did not run
            pipeline.run_day(day)
    return pipeline, renderer


def apply(pipeline: MemoryPipeline, book: list[Bill], event: Happening, day: date) -> None:
    number = f"F{event.bill}"
    bill = book[event.bill]
    if event.kind in {"pay", "pay_part"}:
        cents = bill.cents if event.kind == "pay" else bill.cents // 3
        body = f"invoice_id;paid_on;amount\n{number};{day:%d/%m/%Y};{cents // 100},{cents % 100:02d}\n"
        pipeline.upload(f"incoming/payments/{number}-{day}-{event.kind}.csv", body.encode())
        return
    try:
        if event.kind == "dispute":
            levers.dispute(pipeline.ctx, number, "contestation", actor="test")
        elif event.kind == "resume":
            levers.resume(pipeline.ctx, number, actor="test")
        else:
            levers.promise(pipeline.ctx, number, day + timedelta(days=10), actor="test")
    except levers.LeverError:
        pass  # a lever on a paid invoice is refused, as a person would be told


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=bills, events=happenings, skipped=missed)
def test_cases_only_move_forward_and_every_message_adds_up(
    book: list[Bill], events: list[Happening], skipped: set[int]
) -> None:
    pipeline, renderer = play(book, events, skipped)

    log = pipeline.ctx.events.all_events()
    assert violations(log, step_ranks(load_policies().values())) == []
    for context in renderer.contexts:
        assert amounts_add_up(context) == []
    ids = [str(sent.message["Message-ID"]) for sent in pipeline.ctx.mailer.sent]
    assert len(ids) == len(set(ids))  # one email per dispatch, ever
    per_day = [(sent.tags["customer_id"], sent.tags["dispatch"]) for sent in pipeline.ctx.mailer.sent]
    customer_emails = [
        item
        for item, sent in zip(per_day, pipeline.ctx.mailer.sent, strict=True)
        if sent.tags["step"] != "call_task"
    ]
    assert len(customer_emails) == len(set(customer_emails))  # at most one customer message a day
