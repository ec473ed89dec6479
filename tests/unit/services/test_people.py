"""The people's side from the command line: a customer's history, a call and its outcome, the registered
letter of a formal notice, a paused case resumed. On a stack in memory, through the real `relance` CLI."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, date, datetime, timedelta

import pytest

from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.services.history import customer_history
from relance_tools.cli import levers as levers_cli
from relance_tools.cli import main
from relance_tools.cli import people as people_cli
from relance_tools.replay import MemoryPipeline

CUSTOMERS = (
    b"customer_id;name;email;language;kind;telephone\n"
    b"C1;Menuiserie Leroy;compta@leroy.example;fr;business;+33 6 12 34 56 78\n"
)
INVOICES = (
    b"invoice_id;customer_id;issue_date;due_date;currency;total\nF1;C1;02/01/2026;02/02/2026;EUR;1200,00\n"
)


@pytest.fixture
def book(monkeypatch: pytest.MonkeyPatch) -> MemoryPipeline:
    pipeline = MemoryPipeline.start(date(2026, 1, 20))
    pipeline.upload("incoming/customers/c.csv", CUSTOMERS)
    pipeline.upload("incoming/invoices/i.csv", INVOICES)
    for module in (levers_cli, people_cli):
        monkeypatch.setattr(module, "runtime_from_args", lambda args: pipeline.ctx)
    return pipeline


def run_days(pipeline: MemoryPipeline, start: date, end: date) -> None:
    day = start
    while day <= end:
        pipeline.run_day(day)
        day += timedelta(days=1)
    pipeline.set_day(end + timedelta(days=1))


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([*args, "--actor", "julie"])
    return code, out.getvalue(), err.getvalue()


def test_history_shows_the_case_its_invoices_and_every_message_with_its_delivery(book: MemoryPipeline):
    run_days(book, date(2026, 1, 20), date(2026, 3, 1))
    book.report_deliveries()

    code, out, _ = cli("history", "C1")

    assert code == 0
    assert "C1 Menuiserie Leroy <compta@leroy.example>, +33 6 12 34 56 78" in out
    assert "C1-EUR-1" in out
    assert "reminder_2" in out
    assert "delivery" in out
    assert "delivered" in out
    timeline = out.split("Timeline", 1)[1]
    assert timeline.index("courtesy") < timeline.index("reminder_1") < timeline.index("reminder_2")
    # Each day reads in the order things happened: the case opens, the message goes, SES reports it.
    first_reminder = [
        line.split()[2] for line in timeline.splitlines() if "reminder_1" in line or "opened" in line
    ]
    assert first_reminder == ["case", "escalation", "delivery"]


def test_a_promise_made_on_the_phone_pauses_the_case_until_its_date(book: MemoryPipeline):
    run_days(book, date(2026, 1, 20), date(2026, 2, 10))

    code, out, _ = cli(
        "call", "C1", "--outcome", "promise", "--until", "2026-03-10", "--note", "virement le 10"
    )

    assert code == 0
    assert "paused until 2026-03-10" in out
    run_days(book, date(2026, 2, 11), date(2026, 3, 10))
    sent = [
        e
        for e in book.ctx.events.for_customer("C1")
        if e.kind is EventKind.ESCALATION and e.occurred_on > date(2026, 2, 10)
    ]
    assert sent == []
    run_days(book, date(2026, 3, 11), date(2026, 3, 12))
    [resumed] = [
        e
        for e in book.ctx.events.for_customer("C1")
        if e.kind is EventKind.ESCALATION and e.occurred_on > date(2026, 3, 10)
    ]
    assert resumed.step == "reminder_2"
    [call] = [e for e in book.ctx.events.for_customer("C1") if e.kind is EventKind.CALL]
    assert (call.step, call.actor, call.reason) == ("promise", "julie", "call: promise (virement le 10)")


def test_a_dispute_on_the_phone_pauses_the_case_until_someone_resumes_it(book: MemoryPipeline):
    run_days(book, date(2026, 1, 20), date(2026, 2, 10))
    cli("call", "C1", "--outcome", "dispute", "--note", "quantités contestées")
    run_days(book, date(2026, 2, 11), date(2026, 4, 30))
    assert not [
        e
        for e in book.ctx.events.for_customer("C1")
        if e.kind is EventKind.ESCALATION and e.occurred_on > date(2026, 2, 10)
    ]

    code, out, _ = cli("resume-case", "C1", "--note", "quantités vérifiées")

    assert code == 0
    assert "not paused" in out
    run_days(book, date(2026, 5, 1), date(2026, 5, 5))
    assert [
        e.step
        for e in book.ctx.events.for_customer("C1")
        if e.kind is EventKind.ESCALATION and e.occurred_on > date(2026, 4, 30)
    ] == ["reminder_2"]


def test_the_letters_receipt_sets_the_day_the_suspension_may_go(book: MemoryPipeline):
    run_days(book, date(2026, 1, 20), date(2026, 3, 13))  # the formal notice went on 12 March
    cli("letter", "C1", "--posted", "2026-03-13", "--tracking", "1A00234567890")

    code, out, _ = cli("letter", "C1", "--received", "2026-03-24")

    assert code == 0
    assert "received 2026-03-24" in out
    [case] = book.ctx.book.customer("C1").cases
    assert (case.letter.posted_on, case.letter.tracking, case.letter.received_on) == (
        date(2026, 3, 13),
        "1A00234567890",
        date(2026, 3, 24),
    )
    run_days(book, date(2026, 3, 14), date(2026, 4, 30))
    [suspension] = [e for e in book.ctx.events.for_customer("C1") if e.step == "suspension"]
    assert suspension.occurred_on >= date(2026, 3, 24) + timedelta(days=9)


def test_a_letter_before_any_formal_notice_is_refused_with_the_reason(book: MemoryPipeline):
    run_days(book, date(2026, 1, 20), date(2026, 2, 10))

    code, _, err = cli("letter", "C1", "--posted", "2026-02-10")

    assert code == 2
    assert "has sent no formal notice yet" in err


def test_history_reads_each_day_in_the_order_things_happened_whatever_the_log_s_timestamps(
    book: MemoryPipeline,
):
    """SES dates its report by its own clock (here a minute before the run recorded the send); the case
    opened is recorded after the run decided. The file still reads: opened, sent, delivered, paid, closed."""
    ctx = book.ctx
    morning = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def logged(kind, step, minute, outcome=Outcome.RECORDED):
        return EscalationEvent(
            "C1", kind, date(2026, 3, 2), morning + timedelta(minutes=minute), outcome, f"{kind}-{step}", step
        )

    ctx.book.save(
        [],
        [
            logged(EventKind.CASE, "closed", 0),
            logged(EventKind.DELIVERY, "reminder_1", 1, Outcome.DELIVERED),
            logged(EventKind.ESCALATION, "reminder_1", 2, Outcome.SENT),
            logged(EventKind.CASE, "opened", 3),
            logged(EventKind.PAYMENT, None, 4),
        ],
    )

    history = customer_history(ctx, "C1")

    assert [(event.kind.value, event.step) for event in history.events] == [
        ("case", "opened"),
        ("payment", None),
        ("escalation", "reminder_1"),
        ("delivery", "reminder_1"),
        ("case", "closed"),
    ]
