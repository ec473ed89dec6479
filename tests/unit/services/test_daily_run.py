"""The daily run on the in-memory ports: the planner reads the index, the worker doses each customer's case.

The clock is the window's opening on Monday 2 March 2026 unless a test moves it. C1's invoice F1 fell due on
Thursday 26 February after its courtesy notice of the 23rd: its case's first reminder (+3, a Sunday) is due
on Monday 2 March.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.domain.events import EventKind, Outcome
from relance.domain.models import InvoiceStatus
from relance.ports import SendRefused, SendRejected, SendUncertain
from relance.services.dunning import DispatchInProgress
from relance.services.planner import RunRequest, plan_day

from .driver import (
    at,
    bill,
    client,
    customer,
    drop,
    events,
    invoice,
    pipeline,
    run_day,
    run_days,
    seed,
    sent,
    text_of,
    work,
)

MONDAY = date(2026, 3, 2)
PAYMENTS = "facture;date;montant;reference\r\n"


@pytest.fixture
def ctx():
    """C1 with F1 overdue since 26 February, its courtesy notice sent on the 23rd."""
    ctx = pipeline(MONDAY)
    seed(ctx, client("C1", last_message_on=date(2026, 2, 23)), [bill("F1", courtesy_on=date(2026, 2, 23))])
    return ctx


def escalations(ctx, customer_id: str = "C1"):
    return events(ctx, customer_id, EventKind.ESCALATION)


def test_a_due_reminder_goes_out_once_with_text_and_html_and_the_case_records_it(ctx):
    day = run_day(ctx, MONDAY)

    assert (day.planned.customers_queued, day.outcomes, day.failed) == (1, {"C1": "sent"}, [])
    [message] = sent(ctx)
    assert message["To"] == "Client C1 SARL <compta@c1.example>"
    assert "F1" in message["Subject"]
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    [event] = escalations(ctx)
    assert (event.step, event.outcome, event.invoice_ids, event.case_id) == (
        "reminder_1",
        Outcome.SENT,
        ("F1",),
        "C1-EUR-1",
    )
    assert event.message_id == ctx.mailer.sent[0].message_id
    [case] = customer(ctx).cases
    assert [(step.step, step.on, step.invoice_ids) for step in case.steps] == [
        ("reminder_1", MONDAY, ("F1",))
    ]
    # The case climbs, not the invoice: F1 keeps only its courtesy mark.
    assert invoice(ctx, "F1").dunning.steps_done == ("courtesy",)
    # reminder_2 at +15 from the due date, 7 days at least after this one: Friday 13 March.
    assert customer(ctx).next_action_on == date(2026, 3, 13)


def test_the_case_is_opened_in_the_log_before_its_first_message(ctx):
    run_day(ctx, MONDAY)

    logged = [(event.kind, event.step, event.case_id) for event in events(ctx)]

    assert logged == [
        (EventKind.CASE, "opened", "C1-EUR-1"),
        (EventKind.ESCALATION, "reminder_1", "C1-EUR-1"),
    ]


def test_a_second_run_on_the_same_day_sends_nothing(ctx):
    run_day(ctx, MONDAY)

    again = run_day(ctx, MONDAY)

    assert again.planned.customers_queued == 0
    assert len(ctx.mailer.sent) == 1
    assert len(escalations(ctx)) == 1


def test_a_queue_message_delivered_twice_sends_once(ctx):
    plan_day(ctx, RunRequest(MONDAY, "daily-2026-03-02"))
    [message] = ctx.queue.drain()

    results, failed = work(ctx, [message, message])

    # The second delivery finds the day's step recorded on the case: the engine decides nothing more.
    assert [result.outcome for result in results] == ["sent", "nothing_due"]
    assert failed == []
    assert len(ctx.mailer.sent) == 1


def test_an_interrupted_dispatch_holds_the_customer_instead_of_risking_a_duplicate(ctx):
    # A worker claimed today's dispatch at 08:05 and died before recording it: the email may have left.
    ctx.book.claim_dispatch(customer(ctx), "C1#2026-03-02", ctx.clock())
    at(ctx, MONDAY, minutes=65)

    results, _ = work(ctx, [{"customer_id": "C1", "run_id": "retry"}])

    assert [result.outcome for result in results] == ["held"]
    assert "relance release C1" in (results[0].reason or "")
    assert ctx.mailer.sent == []
    assert customer(ctx).dispatch.pending == "C1#2026-03-02"
    assert customer(ctx).cases[0].steps == ()


def test_a_dispatch_claimed_minutes_ago_is_left_to_its_worker_and_retried_later(ctx):
    ctx.book.claim_dispatch(customer(ctx), "C1#2026-03-02", ctx.clock())

    day = run_day(ctx, MONDAY, failures=True)

    [(message, error)] = day.failed
    assert message["customer_id"] == "C1"
    assert isinstance(error, DispatchInProgress)
    assert ctx.mailer.sent == []
    assert customer(ctx).dispatch.pending == "C1#2026-03-02"


def test_a_paid_invoice_gets_nothing_after_its_payment_and_its_case_closes(ctx):
    run_day(ctx, MONDAY)

    def payment(day: date) -> None:
        if day == date(2026, 3, 3):
            drop(ctx, "incoming/payments/p.csv", PAYMENTS + "F1;03/03/2026;1 200,00;VIR-1\r\n")

    run_days(ctx, MONDAY + timedelta(days=1), MONDAY + timedelta(days=89), before=payment)

    assert len(ctx.mailer.sent) == 1  # the reminder of 2 March, before the payment
    assert invoice(ctx, "F1").status is InvoiceStatus.PAID
    assert (customer(ctx).cases, customer(ctx).next_action_on) == ((), None)
    [closed] = [event for event in events(ctx, kind=EventKind.CASE) if event.step == "closed"]
    assert (closed.occurred_on, closed.case_id) == (date(2026, 3, 3), "C1-EUR-1")


def test_the_planner_reads_only_the_customers_due_from_the_index():
    ctx = pipeline(MONDAY)
    books = {f"C{number}": [] for number in range(12)}
    # 3 customers overdue today, 5 with an invoice falling due in April, 16 paid invoices spread over all.
    for number in range(3):
        books[f"C{number}"].append(bill(f"D{number}", f"C{number}", courtesy_on=date(2026, 2, 23)))
    for number in range(5):
        books[f"C{number + 3}"].append(bill(f"L{number}", f"C{number + 3}", due=date(2026, 4, 20)))
    for number in range(16):
        owner = f"C{number % 12}"
        books[owner].append(
            bill(
                f"P{number}",
                owner,
                due=date(2026, 2, 2),
                status=InvoiceStatus.PAID,
                amount_paid=Decimal("1200.00"),
            )
        )
    for customer_id, invoices in books.items():
        seed(ctx, client(customer_id), invoices)
    reads_before = ctx.book.reads

    planned = plan_day(ctx, RunRequest(MONDAY, "daily-2026-03-02"))

    assert (planned.items_read, planned.customers_queued) == (3, 3)
    assert ctx.book.index_reads == 3
    assert ctx.book.reads == reads_before  # no customer, no invoice: the index alone
    assert sorted(message["customer_id"] for message in ctx.queue.messages) == ["C0", "C1", "C2"]


def test_nothing_is_planned_on_a_public_holiday_and_the_step_goes_the_next_open_day():
    ctx = pipeline(date(2026, 4, 28))
    # Due Tuesday 28 April: reminder_1 at +3 is Friday 1 May, Labour Day.
    seed(ctx, client("C1"), [bill("F1", due=date(2026, 4, 28), courtesy_on=date(2026, 4, 24))])

    holiday = run_day(ctx, date(2026, 5, 1))
    weekend = run_days(ctx, date(2026, 5, 2), date(2026, 5, 3))
    monday = run_day(ctx, date(2026, 5, 4))

    assert holiday.planned.closed == "public holiday (Labor Day)"
    assert [run.planned.closed for run in weekend] == ["weekend", "weekend"]
    assert (holiday.results, weekend[0].results, ctx.queue.messages) == ([], [], [])
    assert monday.outcomes == {"C1": "sent"}
    assert escalations(ctx)[0].occurred_on == date(2026, 5, 4)


def test_several_overdue_invoices_of_one_customer_go_in_one_message_of_its_case():
    ctx = pipeline(MONDAY)
    dues = (date(2026, 2, 25), date(2026, 2, 26), date(2026, 2, 27))
    seed(
        ctx,
        client("C1"),
        [bill(f"F{n}", due=due, courtesy_on=due - timedelta(days=3)) for n, due in enumerate(dues)],
    )

    run_day(ctx, MONDAY)

    [message] = sent(ctx)
    for number in range(3):
        assert f"F{number}" in text_of(message)
        assert f"F{number}" in text_of(message, "html")
    [event] = escalations(ctx)
    assert (event.invoice_ids, event.amount, event.case_id) == (
        ("F0", "F1", "F2"),
        Decimal("3600.00"),
        "C1-EUR-1",
    )


def test_a_send_whose_answer_is_lost_holds_the_customer_instead_of_sending_again(ctx):
    ctx.mailer.lose_next_answer = True  # SES took the message; its answer never came back

    first = run_day(ctx, MONDAY, failures=True)
    # The queue hands the message back after its visibility timeout.
    at(ctx, MONDAY, minutes=35)
    results, failed = work(ctx, [message for message, _ in first.failed])

    assert [type(error) for _, error in first.failed] == [SendUncertain]
    assert ([result.outcome for result in results], failed) == (["held"], [])
    assert len(ctx.mailer.sent) == 1
    assert customer(ctx).dispatch.pending == "C1#2026-03-02"
    assert customer(ctx).cases[0].steps == ()


def test_a_send_refused_for_now_is_retried_and_goes_out_once(ctx):
    refusals = ["TooManyRequestsException"]

    def throttled(message) -> None:
        if refusals:
            raise SendRefused(f"SES answered {refusals.pop()}")

    ctx.mailer.gate = throttled

    first = run_day(ctx, MONDAY, failures=True)
    assert customer(ctx).dispatch.pending is None  # nothing left: the claim is given back
    results, failed = work(ctx, [message for message, _ in first.failed])

    assert [type(error) for _, error in first.failed] == [SendRefused]
    assert ([result.outcome for result in results], failed) == (["sent"], [])
    assert len(ctx.mailer.sent) == 1
    assert customer(ctx).dispatch.pending is None
    assert customer(ctx).cases[0].step_ids == ("reminder_1",)


def test_a_message_refused_for_good_is_logged_as_failed_and_the_customer_stays_due(ctx):
    def unverified(message) -> None:
        raise SendRejected("SES answered MessageRejected: Email address is not verified.")

    ctx.mailer.gate = unverified

    day = run_day(ctx, MONDAY)

    assert (day.outcomes, day.failed) == ({"C1": "failed"}, [])
    [event] = escalations(ctx)
    assert (event.step, event.outcome, event.case_id) == ("reminder_1", Outcome.FAILED, "C1-EUR-1")
    assert "not verified" in (event.reason or "")
    assert customer(ctx).dispatch.pending is None
    assert customer(ctx).cases[0].steps == ()
    assert customer(ctx).next_action_on == MONDAY  # tomorrow's run tries again
