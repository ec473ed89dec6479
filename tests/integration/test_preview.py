"""`relance preview --days 14` lists what running those 14 days sends, on the demo's book.

The demo's book is run through the pipeline (its payments and decisions on their dates) up to a day;
a payment plan and a bounced address are added so that every kind of dispatch shows; the preview is
taken; then the 14 days are run with no payment and no decision, and the two are compared day by day.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.adapters.dynamo.records import CustomerRecord, EventRecord
from relance.domain.models import Instalment
from relance.services import levers
from relance.services.preview import preview
from relance_tools.cli import main
from relance_tools.cli.dated_files import actions_by_date, payments_by_date
from relance_tools.devstack import register_stack, repository_root
from relance_tools.local_pipeline import LocalPipeline

pytestmark = pytest.mark.integration

DEMO = repository_root() / "demo"
FIRST = date(2026, 1, 26)
LAST_RUN = date(2026, 3, 6)
PREVIEW_FROM = date(2026, 3, 9)


def build_demo_state(stack: LocalPipeline) -> None:
    stack.set_day(FIRST)
    for kind in ("customers", "invoices"):
        stack.upload(f"incoming/{kind}/{kind}.csv", (DEMO / f"{kind}.csv").read_bytes())
    payments = payments_by_date("payments.csv", (DEMO / "payments.csv").read_bytes())
    actions = actions_by_date((DEMO / "actions.csv").read_bytes())
    day = FIRST
    while day <= LAST_RUN:
        stack.set_day(day)
        if day in payments.rows:
            stack.upload(f"incoming/payments/payments-{day.isoformat()}.csv", payments.csv_for(day))
        for action in actions.get(day, []):
            if action.kind == "dispute":
                levers.dispute(stack.runtime, action.invoice_id, action.reason, actor="demo:actions")
        stack.run_day(day)
        day += timedelta(days=1)
    # The half left of Pharmacie Centrale's invoice under a plan whose first instalment will be missed,
    # and an address that bounced for Thames Consulting: a plan reminder, a broken plan and a call task
    # instead of an email in the window.
    levers.plan(
        stack.runtime,
        "F2026-0110",
        [Instalment(date(2026, 3, 9), Decimal("500.00")), Instalment(date(2026, 4, 10), Decimal("500.00"))],
        actor="test",
    )
    CustomerRecord.get("C005").update(actions=[CustomerRecord.contact_status.set("bounced")])


def logged(day: date) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    found = []
    for record in CustomerRecord.scan():
        for event in EventRecord.query(record.customer_id):
            if event.occurred_on == day and event.kind in {"escalation", "plan_reminder"}:
                found.append(
                    (event.customer_id, event.step, tuple(event.invoice_ids), tuple(sorted(event.channels)))
                )
    return sorted(found)


def test_the_preview_lists_what_the_next_fourteen_days_send(stack: LocalPipeline):
    build_demo_state(stack)
    register_stack(stack.stack, simulated_today=PREVIEW_FROM.isoformat())
    stack.set_day(PREVIEW_FROM)

    previewed = preview(stack.runtime, PREVIEW_FROM, 14)
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            [
                "preview",
                "--days",
                "14",
                "--json",
                "--endpoint",
                stack.aws.endpoint,
                "--stack",
                stack.stack.stack_name,
            ]
        )
    for offset in range(14):
        stack.run_day(PREVIEW_FROM + timedelta(days=offset))

    assert code == 0
    assert json.loads(out.getvalue()) == previewed.as_dict()  # the CLI shows the service's preview
    kinds = set()
    for day in previewed.days:
        expected = sorted(
            (item.customer_id, item.step, item.invoice_ids, item.channels)
            for item in day.dispatches
            if item.kind in {"escalation", "plan_reminder"}
        )
        kinds |= {item.kind for item in day.dispatches}
        assert expected == logged(day.on), day.on
    assert kinds == {"escalation", "plan_reminder", "plan_broken"}
    assert sum(len(day.dispatches) for day in previewed.days) >= 8
