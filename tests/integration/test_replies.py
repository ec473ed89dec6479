"""A customer's reply on moto's server, through the real replies handler. moto has no SES inbound: the raw
email is put under the bucket's inbound/ as the receipt rule would, and the S3 notification is delivered
to the handler as Lambda would. A promise pauses the case; the next day's run sends that customer nothing."""

from __future__ import annotations

from datetime import date

import pytest

from relance.domain.events import EventKind
from relance_tools.devstack import EmbeddedAws
from relance_tools.local_pipeline import LocalPipeline
from tests.unit.services.driver import bill, client, seed

pytestmark = pytest.mark.integration

MONDAY = date(2026, 3, 2)
TUESDAY = date(2026, 3, 3)
WEDNESDAY = date(2026, 3, 4)


def promise_to(message_id: str) -> bytes:
    return (
        "From: Service comptable <compta@c1.example>\r\n"
        "To: compta@creditor.example\r\n"
        "Subject: RE: Facture F1\r\n"
        "Message-ID: <answer-1@c1.example>\r\n"
        f"In-Reply-To: <{message_id}@eu-west-3.amazonses.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Bonjour,\r\n\r\nNous vous réglons la facture le 20 mars.\r\n\r\nCordialement,\r\nMarie\r\n"
    ).encode()


def sent_to(aws: EmbeddedAws, address: str) -> list[dict]:
    return [message for message in aws.sent_messages() if address in message["destinations"]]


def test_a_promise_reply_pauses_the_case_and_the_next_days_run_sends_that_customer_nothing(
    stack: LocalPipeline, aws: EmbeddedAws
):
    ctx = stack.runtime
    seed(ctx, client("C1"), [bill("F1", due=date(2026, 2, 20), courtesy_on=date(2026, 2, 17))])
    stack.run_day(MONDAY)
    [reminder] = [e for e in ctx.events.for_customer("C1") if e.kind is EventKind.ESCALATION]
    assert reminder.message_id

    stack.set_day(TUESDAY)
    key = "inbound/0001 answer"  # a space: the notification carries it URL-encoded
    result = stack.receive_reply(key, promise_to(reminder.message_id))

    [reply] = result["replies"]
    assert (reply["outcome"], reply["reply_class"], reply["customer_id"], reply["linked_by"]) == (
        "recorded",
        "promise",
        "C1",
        "message_id",
    )
    assert reply["paused_until"] == "2026-03-30"  # 20 March and fr-b2b-standard's 10 days of grace
    [event] = [e for e in ctx.events.for_customer("C1") if e.kind is EventKind.REPLY]
    assert (event.detail["inbound_key"], event.message_id) == (key, reminder.message_id)
    customer = ctx.book.customer("C1")
    assert customer is not None
    assert customer.cases[0].paused_until == date(2026, 3, 30)
    before = len(sent_to(aws, "compta@c1.example"))
    # The account manager's task went out; nothing went back to the customer.
    assert len(sent_to(aws, "am@creditor.example")) == 1

    # Wednesday's run, and the day reminder_2 would have gone (due date + 15 days).
    for day in (WEDNESDAY, date(2026, 3, 9)):
        stack.run_day(day)
    assert len(sent_to(aws, "compta@c1.example")) == before
    # SES delivers the same notification again: nothing changes.
    again = stack.receive_reply(key, promise_to(reminder.message_id))
    assert again["replies"][0]["outcome"] == "duplicate"
    assert len([e for e in ctx.events.for_customer("C1") if e.kind is EventKind.REPLY]) == 1
