"""The levers as a person uses them, `relance pause | resume | promise | plan | release`, on a book in memory.

The command line is the real one; only the stack it would look up is replaced by the in-memory one. The
clock is Monday 2 March 2026; C1's invoice F1 fell due on 26 February and its case's first reminder is due
today.
"""

from __future__ import annotations

import getpass
import io
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.domain.events import EventKind, Outcome
from relance.domain.models import CaseState, InvoiceStatus
from relance_tools.cli import levers as levers_cli
from relance_tools.cli import main

from .driver import at, bill, client, customer, events, invoice, pipeline, run_day, seed, work

MONDAY = date(2026, 3, 2)
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def ctx():
    ctx = pipeline(MONDAY)
    seed(ctx, client("C1"), [bill("F1", courtesy_on=date(2026, 2, 23))])
    return ctx


@pytest.fixture
def cli(ctx, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setattr(levers_cli, "runtime_from_args", lambda args: ctx)

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main([*args, "--stack", "relance-test"])
        return code, out.getvalue().strip(), err.getvalue().strip()

    return run


def statuses(ctx, customer_id: str = "C1"):
    return events(ctx, customer_id, EventKind.STATUS)


def test_a_dispute_stops_the_reminders_and_logs_who_decided(ctx, cli: Cli):
    code, out, _ = cli(
        "pause", "F1", "--reason", "dispute", "--note", "livraison contestée", "--actor", "julie"
    )
    run_day(ctx, MONDAY)

    assert (code, out) == (0, "F1 (C1): disputed; next action: none")
    assert invoice(ctx, "F1").status is InvoiceStatus.DISPUTED
    [event] = statuses(ctx)
    assert (event.step, event.actor, event.reason, event.case_id) == (
        "disputed",
        "julie",
        "dispute: livraison contestée",
        "C1-EUR-1",
    )
    assert ctx.mailer.sent == []
    # Still owed: the case stays open, waiting for a person, out of the daily index.
    assert (customer(ctx).cases[0].state, customer(ctx).next_action_on) == (CaseState.OPEN, None)


def test_a_pause_for_another_reason_needs_a_date_then_resumes_by_itself(ctx, cli: Cli):
    refused = cli("pause", "F1", "--reason", "attente avoir")
    code, out, _ = cli("pause", "F1", "--reason", "attente avoir", "--until", "2026-03-10")

    assert refused[0] == 2
    assert refused[2] == (
        "relance pause: a pause for 'attente avoir' needs --until DATE (only a dispute pauses with no end)"
    )
    assert (code, out) == (0, "F1 (C1): open until 2026-03-10; next action: 2026-03-11")
    [event] = statuses(ctx)
    assert (event.step, event.actor, event.reason) == ("paused", getpass.getuser(), "attente avoir")
    assert run_day(ctx, MONDAY).planned.customers_queued == 0
    assert run_day(ctx, date(2026, 3, 11)).outcomes == {"C1": "sent"}


def test_resume_puts_a_disputed_invoice_back_in_its_case(ctx, cli: Cli):
    cli("pause", "F1", "--reason", "dispute")

    code, out, _ = cli("resume", "F1", "--actor", "marc")
    run_day(ctx, MONDAY)

    assert (code, out) == (0, "F1 (C1): open; next action: 2026-03-02")
    assert customer(ctx).cases[0].step_ids == ("reminder_1",)
    assert [(event.step, event.actor) for event in statuses(ctx)][-1] == ("open", "marc")


def test_a_disputed_invoice_resumed_weeks_later_takes_the_case_s_next_step_not_its_first(ctx, cli: Cli):
    run_day(ctx, MONDAY)
    at(ctx, MONDAY + timedelta(days=1))
    cli("pause", "F1", "--reason", "dispute")
    assert [run_day(ctx, MONDAY + timedelta(days=n)).results for n in range(2, 30)] == [[]] * 28

    at(ctx, date(2026, 3, 31))
    cli("resume", "F1")
    run_day(ctx, date(2026, 3, 31))

    assert customer(ctx).cases[0].step_ids == ("reminder_1", "reminder_2")
    assert len(ctx.mailer.sent) == 2


def test_a_promise_pauses_until_its_date_and_refuses_a_date_in_the_past(ctx, cli: Cli):
    past = cli("promise", "F1", "--until", "2026-02-27")
    _, out, _ = cli("promise", "F1", "--until", "2026-03-20", "--actor", "julie")

    assert past[0] == 2
    assert past[2] == "relance promise: 2026-02-27 is in the past (today is 2026-03-02)"
    assert out == "F1 (C1): promised until 2026-03-20; next action: 2026-03-23"
    assert invoice(ctx, "F1").status is InvoiceStatus.PROMISED


def test_a_plan_replaces_the_chase_with_its_instalments(ctx, cli: Cli):
    short = cli("plan", "F1", "--instalments", "2026-04-10:500.00,2026-05-11:500.00")
    code, out, _ = cli("plan", "F1", "--instalment", "2026-04-10:600.00", "--instalment", "2026-05-11:600.00")

    assert short[0] == 2
    assert short[2] == "relance plan: the instalments sum to 1000.00 EUR but the balance of F1 is 1200.00 EUR"
    assert code == 0
    assert out.startswith("F1 (C1): plan; next action: 2026-04-13")
    planned = invoice(ctx, "F1")
    assert planned.status is InvoiceStatus.PLAN
    assert [(item.due_on, item.amount) for item in planned.plan.instalments] == [
        (date(2026, 4, 10), Decimal("600.00")),
        (date(2026, 5, 11), Decimal("600.00")),
    ]
    [event] = statuses(ctx)
    assert event.detail["instalments"] == "2026-04-10:600.00,2026-05-11:600.00"


def test_unknown_and_ambiguous_invoice_numbers_are_one_line_errors(ctx, cli: Cli):
    seed(ctx, client("C2"), [bill("F1", "C2", due=date(2026, 3, 20))])

    unknown = cli("resume", "F9")
    ambiguous = cli("resume", "F1")
    chosen = cli("resume", "F1", "--customer", "C2")

    assert unknown[2] == "relance resume: no invoice 'F9'"
    assert (
        ambiguous[2]
        == "relance resume: invoice number 'F1' exists for several customers (C1, C2); pass --customer"
    )
    assert chosen[:2] == (0, "F1 (C2): open; next action: 2026-03-17")


def test_a_paid_invoice_cannot_be_paused(ctx, cli: Cli):
    seed(ctx, client("C2"), [bill("P1", "C2", status=InvoiceStatus.PAID, amount_paid=Decimal("1200.00"))])

    code, _, err = cli("pause", "P1", "--reason", "dispute")

    assert (code, err) == (2, "relance pause: invoice P1 is paid: nothing left to chase")
    assert statuses(ctx, "C2") == []


def interrupted(ctx) -> None:
    """A worker claimed today's dispatch at 08:05 and died; the queue's retry an hour later finds the
    customer held."""
    ctx.book.claim_dispatch(customer(ctx), "C1#2026-03-02", ctx.clock())
    at(ctx, MONDAY, minutes=65)
    results, _ = work(ctx, [{"customer_id": "C1", "run_id": "daily-2026-03-02"}])
    assert [result.outcome for result in results] == ["held"]


def test_a_held_dispatch_released_as_not_sent_goes_out_on_the_next_run(ctx, cli: Cli):
    interrupted(ctx)

    code, out, _ = cli("release", "C1", "--actor", "julie", "--note", "SES shows no message for C1 today")
    run_day(ctx, MONDAY + timedelta(days=1))

    assert (code, out) == (0, "C1: dispatch C1#2026-03-02 released; the next run sends it")
    assert len(ctx.mailer.sent) == 1
    [event] = statuses(ctx)
    assert (event.step, event.actor, event.detail["was_sent"]) == ("released", "julie", "no")
    assert customer(ctx).cases[0].steps[0].on == MONDAY + timedelta(days=1)


def test_a_held_dispatch_released_as_sent_records_its_step_and_sends_nothing(ctx, cli: Cli):
    interrupted(ctx)

    code, _, _ = cli("release", "C1", "--was-sent", "--actor", "julie")
    run_day(ctx, MONDAY + timedelta(days=1))

    assert code == 0
    assert ctx.mailer.sent == []
    [case] = customer(ctx).cases
    assert [(step.step, step.on) for step in case.steps] == [("reminder_1", MONDAY)]
    assert customer(ctx).next_action_on == date(2026, 3, 13)
    assert customer(ctx).dispatch.pending is None
    logged = [(event.kind, event.step, event.outcome, event.actor) for event in events(ctx)]
    assert (EventKind.ESCALATION, "reminder_1", Outcome.RECORDED, "julie") in logged
    assert (EventKind.STATUS, "released", Outcome.RECORDED, "julie") in logged


def test_a_send_the_worker_could_not_record_is_released_as_sent_once_its_log_entry_kept(
    ctx, cli: Cli, monkeypatch: pytest.MonkeyPatch
):
    """The email left but every attempt to record it failed: the worker kept the log's entry of the send
    and the claim stays for a person. Releasing it as sent records the case's step without a second entry."""
    from relance.services import dunning

    monkeypatch.setattr(dunning, "sleep", lambda seconds: None)
    save = ctx.book.save

    def store_down(changes, events=()):
        if any(event.kind is EventKind.ESCALATION for event in events):
            raise RuntimeError("DynamoDB answered InternalServerError")
        return save(changes, events)

    monkeypatch.setattr(ctx.book, "save", store_down)
    at(ctx, MONDAY)
    work(ctx, [{"customer_id": "C1", "run_id": "daily-2026-03-02"}])
    monkeypatch.setattr(ctx.book, "save", save)
    assert len(ctx.mailer.sent) == 1
    assert customer(ctx).dispatch.pending == "C1#2026-03-02"
    [kept] = events(ctx, "C1", EventKind.ESCALATION)

    code, _, err = cli("release", "C1", "--was-sent", "--actor", "julie")
    run_day(ctx, MONDAY + timedelta(days=1))

    assert (code, err) == (0, "")
    assert customer(ctx).dispatch.pending is None
    assert [(step.step, step.on) for step in customer(ctx).cases[0].steps] == [("reminder_1", MONDAY)]
    assert events(ctx, "C1", EventKind.ESCALATION) == [kept]
    assert (kept.outcome, kept.message_id) == (Outcome.SENT, ctx.mailer.sent[0].message_id)
    assert len(ctx.mailer.sent) == 1


def test_release_refuses_a_customer_with_nothing_held(cli: Cli):
    assert cli("release", "C1")[1:] == ("", "relance release: customer C1 has no held dispatch")
