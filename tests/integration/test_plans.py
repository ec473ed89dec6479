"""Payment plans end to end: payments dropped in the bucket count toward the instalments; a missed one
gets one reminder email; a broken plan resumes the escalation; a plan paid in full ends it."""

from __future__ import annotations

import email
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.policy import default

import pytest

from relance.adapters.dynamo.records import EventRecord, InvoiceRecord
from relance.domain.models import Instalment
from relance.services import levers
from relance_tools.local_pipeline import LocalPipeline

from .seed import add_customer, add_invoice

pytestmark = pytest.mark.integration

APRIL_10 = date(2026, 4, 10)
MAY_11 = date(2026, 5, 11)


def messages(stack: LocalPipeline) -> list[EmailMessage]:
    return [email.message_from_string(m["raw_data"], policy=default) for m in stack.aws.sent_messages()]


def events(kind: str) -> list[EventRecord]:
    return [event for event in EventRecord.query("C1") if event.kind == kind]


def pay(stack: LocalPipeline, day: date, amount: str) -> None:
    stack.set_day(day)
    stack.upload(
        f"incoming/payments/payments-{day.isoformat()}.csv",
        f"invoice_id;paid_on;amount\nF1;{day:%d/%m/%Y};{amount}\n".encode(),
    )


def run(stack: LocalPipeline, first: date, last: date, payments: dict[date, str] | None = None) -> None:
    day = first
    while day <= last:
        if payments and day in payments:
            pay(stack, day, payments[day])
        stack.run_day(day)
        day += timedelta(days=1)


@pytest.fixture
def planned(stack: LocalPipeline) -> LocalPipeline:
    """F1, 1000.00, reminded once, then a plan of two instalments agreed on 2 March."""
    add_customer("C1")
    add_invoice(
        stack.runtime,
        "F1",
        due=date(2026, 2, 20),
        total="1000.00",
        steps=("courtesy", "reminder_1"),
        last_step_on=date(2026, 2, 23),
    )
    instalments = [Instalment(APRIL_10, Decimal("500.00")), Instalment(MAY_11, Decimal("500.00"))]
    levers.plan(stack.runtime, "F1", instalments, actor="julie")
    return stack


def test_instalments_paid_on_time_mean_no_message_and_a_paid_invoice(planned: LocalPipeline):
    run(planned, date(2026, 3, 2), date(2026, 5, 29), payments={APRIL_10: "500,00", MAY_11: "500,00"})

    assert planned.aws.sent_messages() == []
    record = InvoiceRecord.get("C1", "F1")
    assert (record.status, record.next_action_on) == ("paid", None)


def test_a_missed_instalment_gets_one_reminder_then_the_broken_plan_resumes_escalation(
    planned: LocalPipeline,
):
    run(planned, date(2026, 4, 1), date(2026, 4, 24), payments={APRIL_10: "200,00"})

    [reminder, resumed] = messages(planned)
    assert reminder["X-Relance-Step"] == "plan_reminder"
    assert reminder["X-Relance-Dispatch"] == "C1#2026-04-13"
    assert "Échéancier de la facture F1" in reminder["Subject"]
    text = " ".join(reminder.get_body(("plain",)).get_content().replace("\u202f", " ").split())
    assert "échéance n° 1 du 10/04/2026 : 500,00 €" in text
    assert "montant dû à ce jour au titre de l'échéancier : 300,00 €" in text
    assert "Sans règlement au 20 avril 2026, l'échéancier sera caduc" in text  # the last day of grace
    [logged] = events("plan_reminder")
    assert (logged.occurred_on, logged.outcome, list(logged.invoice_ids)) == (
        date(2026, 4, 13),
        "sent",
        ["F1"],
    )
    # Broken on the 21st (10 days of grace): back to open, escalation resumes after reminder_1.
    [broken] = [event for event in events("status") if event.step == "open"]
    assert broken.occurred_on == date(2026, 4, 21)
    assert "payment plan broken" in broken.reason
    assert resumed["X-Relance-Step"] == "reminder_2"
    record = InvoiceRecord.get("C1", "F1")
    assert (record.status, record.plan) == ("open", None)
    assert record.steps_done == ["courtesy", "reminder_1", "reminder_2"]


def test_a_plan_reminder_is_never_sent_twice(planned: LocalPipeline):
    planned.run_day(date(2026, 4, 13))
    planned.run_day(date(2026, 4, 13))
    planned.run_day(date(2026, 4, 14))

    assert len(planned.aws.sent_messages()) == 1
    record = InvoiceRecord.get("C1", "F1")
    assert list(record.plan.reminded) == [0]
    assert record.steps_done == ["courtesy", "reminder_1"]  # a reminder is no escalation step
    assert record.next_action_on == date(2026, 4, 21)  # the break, unless paid by then
