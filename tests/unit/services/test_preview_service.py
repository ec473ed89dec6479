"""`relance preview --days 14` lists what running those 14 days sends, on the demo's book in memory.

The demo's book is run (its payments and disputes on their dates) up to Friday 6 March 2026; a payment plan
and a bounced address are added so that every kind of dispatch shows; the preview is taken; then the 14
days are run with no payment and no decision, and the two are compared day by day.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.domain.events import EventKind
from relance.domain.models import ContactStatus, Instalment
from relance.services import levers
from relance.services.bookkeeping import Edit, edit_book
from relance.services.preview import preview
from relance_tools.cli import main
from relance_tools.cli import preview as preview_cli
from relance_tools.cli.dated_files import actions_by_date, payments_by_date
from relance_tools.devstack import repository_root

from .driver import at, drop, pipeline, run_days

DEMO = repository_root() / "demo"
FIRST = date(2026, 1, 26)
LAST_RUN = date(2026, 3, 6)
PREVIEW_FROM = date(2026, 3, 9)
DAYS = 14


@pytest.fixture
def ctx():
    ctx = pipeline(FIRST)
    for kind in ("customers", "invoices"):
        drop(ctx, f"incoming/{kind}/{kind}.csv", (DEMO / f"{kind}.csv").read_bytes())
    payments = payments_by_date("payments.csv", (DEMO / "payments.csv").read_bytes())
    actions = actions_by_date((DEMO / "actions.csv").read_bytes())

    def morning(day: date) -> None:
        if day in payments.rows:
            drop(ctx, f"incoming/payments/payments-{day.isoformat()}.csv", payments.csv_for(day))
        for action in actions.get(day, []):
            if action.kind == "dispute":
                levers.dispute(ctx, action.invoice_id, action.reason, actor="demo:actions")

    run_days(ctx, FIRST, LAST_RUN, before=morning)
    # The half left of Pharmacie Centrale's invoice under a plan whose first instalment will be missed,
    # and an address that bounced for Thames Consulting: a plan reminder, a broken plan and a call task
    # instead of an email in the window.
    at(ctx, LAST_RUN)
    levers.plan(
        ctx,
        "F2026-0110",
        [Instalment(date(2026, 3, 9), Decimal("500.00")), Instalment(date(2026, 4, 10), Decimal("500.00"))],
        actor="test",
    )
    edit_book(ctx, "C005", lambda who, _, __: Edit(replace(who, contact_status=ContactStatus.BOUNCED)))
    at(ctx, PREVIEW_FROM)
    return ctx


def logged(ctx, day: date) -> list[tuple[str, str | None, tuple[str, ...], tuple[str, ...]]]:
    return sorted(
        (event.customer_id, event.step, event.invoice_ids, tuple(sorted(event.channels)))
        for customer in ctx.book.all_customers()
        for event in ctx.events.for_customer(customer.customer_id)
        if event.occurred_on == day and event.kind in {EventKind.ESCALATION, EventKind.PLAN_REMINDER}
    )


def test_the_preview_lists_what_the_next_fourteen_days_send_and_writes_nothing(ctx):
    writes, sent = ctx.book.writes, len(ctx.mailer.sent)

    previewed = preview(ctx, PREVIEW_FROM, DAYS)

    assert (ctx.book.writes, len(ctx.mailer.sent), ctx.queue.messages) == (writes, sent, [])
    run_days(ctx, PREVIEW_FROM, PREVIEW_FROM + timedelta(days=DAYS - 1))
    kinds = set()
    for day in previewed.days:
        expected = sorted(
            (item.customer_id, item.step, item.invoice_ids, item.channels)
            for item in day.dispatches
            if item.kind in {"escalation", "plan_reminder"}
        )
        kinds |= {item.kind for item in day.dispatches}
        assert expected == logged(ctx, day.on), day.on
        assert (day.closed is not None) == (not ctx.calendar.is_open(day.on))
    assert kinds == {"escalation", "plan_reminder", "plan_broken"}
    assert sum(len(day.dispatches) for day in previewed.days) >= 8


def test_the_preview_shows_each_customer_s_case_as_it_stands(ctx):
    previewed = preview(ctx, PREVIEW_FROM, DAYS).as_dict()

    cases = {item["customer_id"]: item for item in previewed["cases"]}
    # Menuiserie Leroy's three invoices are one case, at its second reminder of 3 March.
    leroy = cases["C006"]
    assert (leroy["case_id"], leroy["state"], leroy["step"], leroy["step_on"]) == (
        "C006-EUR-1",
        "open",
        "reminder_2",
        "2026-03-03",
    )
    assert (leroy["invoice_ids"], leroy["amount"]) == (["F2026-0106", "F2026-0107", "F2026-0108"], "4710.50")
    # Garage Dupont paid in February: its case closed and no longer shows.
    assert "C002" not in cases


def test_the_command_line_prints_the_service_s_preview(ctx, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(preview_cli, "runtime_from_args", lambda args: ctx)
    out = io.StringIO()

    with redirect_stdout(out):
        code = main(["preview", "--days", str(DAYS), "--json", "--stack", "relance-test"])

    assert code == 0
    assert json.loads(out.getvalue()) == json.loads(json.dumps(preview(ctx, PREVIEW_FROM, DAYS).as_dict()))
