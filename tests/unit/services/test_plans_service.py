"""Payment plans on the in-memory ports: payments dropped in the bucket count toward the instalments; a
missed one gets one reminder email; a broken plan resumes the case where it stood; a plan paid in full ends
the case."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.domain.events import EventKind, Outcome
from relance.domain.models import Instalment, InvoiceStatus
from relance.services import levers

from .driver import (
    bill,
    case,
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
)

APRIL_10 = date(2026, 4, 10)
MAY_11 = date(2026, 5, 11)


@pytest.fixture
def ctx():
    """F1, 1000.00 due 20 February, its case reminded once on the 23rd, then a plan of two instalments
    agreed on Monday 2 March."""
    ctx = pipeline(date(2026, 3, 2))
    reminded = case(("reminder_1", date(2026, 2, 23), ("F1",)), opened_on=date(2026, 2, 21))
    seed(
        ctx,
        client("C1", cases=(reminded,), cases_opened=1, last_message_on=date(2026, 2, 23)),
        [bill("F1", due=date(2026, 2, 20), total="1000.00", courtesy_on=date(2026, 2, 17))],
    )
    instalments = [Instalment(APRIL_10, Decimal("500.00")), Instalment(MAY_11, Decimal("500.00"))]
    levers.plan(ctx, "F1", instalments, actor="julie")
    return ctx


def paying(ctx, payments: dict[date, str]):
    def pay(day: date) -> None:
        if day in payments:
            drop(
                ctx,
                f"incoming/payments/payments-{day.isoformat()}.csv",
                f"invoice_id;paid_on;amount\nF1;{day:%d/%m/%Y};{payments[day]}\n",
            )

    return pay


def test_a_plan_takes_the_invoice_out_of_the_chase_until_its_first_instalment(ctx):
    planned = invoice(ctx, "F1")

    assert planned.status is InvoiceStatus.PLAN
    assert [(item.due_on, item.amount) for item in planned.plan.instalments] == [
        (APRIL_10, Decimal("500.00")),
        (MAY_11, Decimal("500.00")),
    ]
    # The first instalment's reminder, should it still be unpaid 3 days after (Monday 13 April).
    assert customer(ctx).next_action_on == date(2026, 4, 13)
    [agreed] = events(ctx, "C1", EventKind.STATUS)
    assert (agreed.step, agreed.actor, agreed.case_id) == ("plan", "julie", "C1-EUR-1")
    assert agreed.detail["instalments"] == "2026-04-10:500.00,2026-05-11:500.00"


def test_instalments_paid_on_time_mean_no_message_a_paid_invoice_and_a_closed_case(ctx):
    run_days(
        ctx, date(2026, 3, 2), date(2026, 5, 29), before=paying(ctx, {APRIL_10: "500,00", MAY_11: "500,00"})
    )

    assert ctx.mailer.sent == []
    assert invoice(ctx, "F1").status is InvoiceStatus.PAID
    assert (customer(ctx).cases, customer(ctx).next_action_on) == ((), None)


def test_a_missed_instalment_gets_one_reminder_then_the_broken_plan_resumes_the_case(ctx):
    run_days(ctx, date(2026, 4, 1), date(2026, 4, 24), before=paying(ctx, {APRIL_10: "200,00"}))

    [reminder, resumed] = sent(ctx)
    assert reminder["X-Relance-Step"] == "plan_reminder"
    assert reminder["X-Relance-Dispatch"] == "C1#2026-04-13"
    assert "Échéancier de la facture F1" in reminder["Subject"]
    text = text_of(reminder)
    assert "échéance n° 1 du 10/04/2026 : 500,00 €" in text
    assert "montant dû à ce jour au titre de l'échéancier : 300,00 €" in text
    assert "Sans règlement au 20 avril 2026, l'échéancier sera caduc" in text  # the last day of grace
    [logged] = events(ctx, "C1", EventKind.PLAN_REMINDER)
    assert (logged.occurred_on, logged.outcome, logged.invoice_ids) == (
        date(2026, 4, 13),
        Outcome.SENT,
        ("F1",),
    )
    # Broken on the 21st (10 days of grace): back to open, and the case takes its next step, not its first.
    [broken] = [event for event in events(ctx, "C1", EventKind.STATUS) if event.step == "open"]
    assert broken.occurred_on == date(2026, 4, 21)
    assert "payment plan broken" in (broken.reason or "")
    assert resumed["X-Relance-Step"] == "reminder_2"
    assert resumed["X-Relance-Dispatch"] == "C1#2026-04-21"
    after = invoice(ctx, "F1")
    assert (after.status, after.plan, after.balance) == (InvoiceStatus.OPEN, None, Decimal("800.00"))
    assert customer(ctx).cases[0].step_ids == ("reminder_1", "reminder_2")


def test_a_plan_reminder_is_never_sent_twice_and_is_no_step_of_the_case(ctx):
    run_day(ctx, date(2026, 4, 13))
    run_day(ctx, date(2026, 4, 13))
    run_day(ctx, date(2026, 4, 14))

    assert len(ctx.mailer.sent) == 1
    assert invoice(ctx, "F1").plan.reminded == (0,)
    assert customer(ctx).cases[0].step_ids == ("reminder_1",)
    assert customer(ctx).next_action_on == date(2026, 4, 21)  # the break, unless paid by then


def test_resuming_a_planned_invoice_ends_its_plan_and_the_case_chases_it_again(ctx):
    levers.resume(ctx, "F1", actor="marc", reason="le client ne paiera pas")

    run_days(ctx, date(2026, 3, 2), date(2026, 3, 9))

    assert (invoice(ctx, "F1").status, invoice(ctx, "F1").plan) == (InvoiceStatus.OPEN, None)
    [ended] = [event for event in events(ctx, "C1", EventKind.STATUS) if event.step == "open"]
    assert (ended.actor, ended.detail.get("plan")) == ("marc", "ended")
    assert [message["X-Relance-Step"] for message in sent(ctx)] == ["reminder_2"]
    assert customer(ctx).cases[0].step_ids == ("reminder_1", "reminder_2")
    assert date(2026, 3, 2) <= customer(ctx).cases[0].steps[-1].on <= date(2026, 3, 9)
    assert customer(ctx).cases[0].steps[-1].on - date(2026, 2, 23) >= timedelta(days=7)
