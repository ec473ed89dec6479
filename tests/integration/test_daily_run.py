"""The daily run end to end on the embedded AWS: planner, queue, worker, SES, S3, DynamoDB."""

from __future__ import annotations

import email
from datetime import date, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.policy import default

import pytest

from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord
from relance_tools.local_pipeline import LocalPipeline

from .seed import add_customer, add_invoice

pytestmark = pytest.mark.integration


def sent(stack: LocalPipeline) -> list[EmailMessage]:
    return [email.message_from_string(m["raw_data"], policy=default) for m in stack.aws.sent_messages()]


def escalations(customer_id: str) -> list[EventRecord]:
    return [e for e in EventRecord.query(customer_id) if e.kind == "escalation"]


def test_a_due_reminder_goes_out_once_with_text_and_html_and_is_logged(stack: LocalPipeline):
    add_customer("C1")
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )

    day = stack.run_day(date(2026, 3, 2))

    assert day.planned["customers_queued"] == 1
    [message] = sent(stack)
    assert message["To"] == "Client C1 SARL <compta@c1.example>"
    assert "F1" in message["Subject"]
    parts = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= parts
    [event] = escalations("C1")
    assert (event.step, event.outcome, list(event.invoice_ids)) == ("reminder_1", "sent", ["F1"])
    assert event.message_id == stack.aws.sent_messages()[0]["id"]
    invoice = InvoiceRecord.get("C1", "F1")
    assert invoice.steps_done == ["courtesy", "reminder_1"]
    assert invoice.next_action_on == date(2026, 3, 13)  # reminder_2 at +15


def test_a_second_run_on_the_same_date_sends_nothing(stack: LocalPipeline):
    add_customer("C1")
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )

    stack.run_day(date(2026, 3, 2))
    again = stack.run_day(date(2026, 3, 2))

    assert again.planned["customers_queued"] == 0
    assert len(stack.aws.sent_messages()) == 1
    assert len(escalations("C1")) == 1


def test_a_retried_queue_message_sends_nothing_new(stack: LocalPipeline):
    add_customer("C1")
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )
    stack.set_day(date(2026, 3, 2))
    stack.run_planner(date(2026, 3, 2))
    body = stack.runtime.client("sqs").receive_message(QueueUrl=stack.runtime.settings.work_queue_url)[
        "Messages"
    ][0]["Body"]
    stack.drain_queue()  # the message already received is invisible: nothing processed yet
    stack.runtime.client("sqs").send_message(QueueUrl=stack.runtime.settings.work_queue_url, MessageBody=body)
    stack.runtime.client("sqs").send_message(QueueUrl=stack.runtime.settings.work_queue_url, MessageBody=body)

    outcomes, failures = stack.drain_queue()

    assert failures == 0
    assert len(outcomes) == 2
    assert len(stack.aws.sent_messages()) == 1


def test_an_interrupted_dispatch_holds_the_customer_instead_of_risking_a_duplicate(stack: LocalPipeline):
    add_customer("C1")
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )
    customer = CustomerRecord.get("C1")
    # A previous attempt claimed today's dispatch and died before recording it: the email may have left.
    assert stack.runtime.customers.claim_dispatch(customer, "C1#2026-03-02", stack.clock())

    stack.run_day(date(2026, 3, 2))

    assert stack.aws.sent_messages() == []
    assert CustomerRecord.get("C1").pending_dispatch == "C1#2026-03-02"
    assert InvoiceRecord.get("C1", "F1").steps_done == ["courtesy"]


def test_a_paid_invoice_gets_nothing_after_its_payment_date(stack: LocalPipeline):
    add_customer("C1")
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )
    stack.run_day(date(2026, 3, 2))
    paid = InvoiceRecord.get("C1", "F1")
    paid.update(
        actions=[
            InvoiceRecord.status.set("paid"),
            InvoiceRecord.amount_paid.set(paid.total),
            InvoiceRecord.paid_on.set(date(2026, 3, 3)),
        ]
    )

    for offset in range(1, 90):
        stack.run_day(date(2026, 3, 2) + timedelta(days=offset))

    assert len(stack.aws.sent_messages()) == 1  # the reminder of 2 March, before the payment
    assert InvoiceRecord.get("C1", "F1").next_action_on is None


def test_the_planner_reads_only_due_items_from_the_sparse_index(stack: LocalPipeline):
    rt = stack.runtime
    for number in range(12):
        add_customer(f"C{number}")
    # 3 invoices due today, 5 due later, 16 paid (absent from the index)
    for number in range(3):
        add_invoice(
            rt,
            f"D{number}",
            f"C{number}",
            due=date(2026, 2, 26),
            steps=("courtesy",),
            last_step_on=date(2026, 2, 23),
        )
    for number in range(5):
        add_invoice(rt, f"L{number}", f"C{number + 3}", due=date(2026, 4, 20))
    for number in range(16):
        add_invoice(
            rt, f"P{number}", f"C{number % 12}", due=date(2026, 2, 2), status="paid", amount_paid="1200.00"
        )
    reads: dict[str, int] = {"scanned": 0, "scans": 0}

    def count(http_response: object, parsed: dict, model: object, **kwargs: object) -> None:
        reads["scanned"] += int(parsed.get("ScannedCount", 0))
        reads["scans"] += int(model.name == "Scan")  # type: ignore[attr-defined]

    client = InvoiceRecord._get_connection().connection.client
    client.meta.events.register("after-call.dynamodb", count)
    try:
        stack.set_day(date(2026, 3, 2))
        planned = stack.run_planner(date(2026, 3, 2))
    finally:
        client.meta.events.unregister("after-call.dynamodb", count)

    assert planned["items_read"] == 3
    assert planned["customers_queued"] == 3
    assert reads == {"scanned": 3, "scans": 0}


def test_nothing_is_planned_on_a_public_holiday(stack: LocalPipeline):
    add_customer("C1")
    add_invoice(
        stack.runtime, "F1", due=date(2026, 4, 28), steps=("courtesy",), last_step_on=date(2026, 4, 24)
    )

    holiday = stack.run_day(date(2026, 5, 1))

    assert holiday.planned["closed"] == "public holiday (Labor Day)"
    assert stack.aws.sent_messages() == []


def test_several_invoices_of_one_customer_go_in_one_message(stack: LocalPipeline):
    add_customer("C1")
    for number, due in enumerate((date(2026, 2, 25), date(2026, 2, 26), date(2026, 2, 27))):
        add_invoice(
            stack.runtime, f"F{number}", due=due, steps=("courtesy",), last_step_on=due - timedelta(days=3)
        )

    stack.run_day(date(2026, 3, 2))

    [message] = sent(stack)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for number in range(3):
        assert f"F{number}" in text
        assert f"F{number}" in html
    [event] = escalations("C1")
    assert sorted(event.invoice_ids) == ["F0", "F1", "F2"]
    assert event.amount == Decimal("3600.00")


def test_a_send_whose_answer_is_lost_holds_the_customer_instead_of_sending_again(stack: LocalPipeline):
    from relance.adapters.mailer import SendUncertain

    add_customer("C1")
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )
    real_send = stack.runtime.mailer.send

    def lost_answer(*args: object, **kwargs: object) -> str:
        real_send(*args, **kwargs)  # SES accepted it...
        raise SendUncertain("no answer from SES after sending")  # ...but the answer never came back

    stack.runtime.mailer.send = lost_answer  # type: ignore[method-assign]
    first = stack.run_day(date(2026, 3, 2))
    stack.runtime.mailer.send = real_send  # type: ignore[method-assign]
    stack.runtime.client("sqs").send_message(
        QueueUrl=stack.runtime.settings.work_queue_url,
        MessageBody='{"customer_id": "C1", "run_date": "2026-03-02", "run_id": "retry"}',
    )
    stack.drain_queue()

    assert first.failed_records == 1
    assert len(stack.aws.sent_messages()) == 1
    assert CustomerRecord.get("C1").pending_dispatch == "C1#2026-03-02"


def test_a_send_refused_for_now_is_retried_and_goes_out_once(stack: LocalPipeline):
    from relance.adapters.mailer import SendRefused

    add_customer("C1")
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )
    real_send = stack.runtime.mailer.send

    def throttled(*args: object, **kwargs: object) -> str:
        raise SendRefused("SES answered TooManyRequestsException")

    stack.runtime.mailer.send = throttled  # type: ignore[method-assign]
    first = stack.run_day(date(2026, 3, 2))
    stack.runtime.mailer.send = real_send  # type: ignore[method-assign]
    stack.runtime.client("sqs").send_message(
        QueueUrl=stack.runtime.settings.work_queue_url,
        MessageBody='{"customer_id": "C1", "run_date": "2026-03-02", "run_id": "retry"}',
    )
    stack.drain_queue()

    assert first.failed_records == 1
    assert len(stack.aws.sent_messages()) == 1
    assert CustomerRecord.get("C1").pending_dispatch is None
    assert InvoiceRecord.get("C1", "F1").steps_done == ["courtesy", "reminder_1"]
