"""SES feedback through the real handler on the embedded AWS: each notification is logged once in the
customer's escalation log, and a bounce or a complaint from the customer's address stops the emails."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from relance.adapters.dynamo.records import CustomerRecord, EventRecord
from relance.services.feedback import DeliveryStatus, parse_notification
from relance_tools.local_pipeline import LocalPipeline

from .seed import add_customer, add_invoice

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aws-events"
SAMPLES = {
    "Bounce": "ses-event-publishing-bounce.json",
    "Complaint": "ses-event-publishing-complaint.json",
    "Delivery": "ses-event-publishing-delivery.json",
    "DeliveryDelay": "ses-event-publishing-deliverydelay.json",
}


def ses_notification(
    kind: str,
    message_id: str,
    recipients: list[str],
    customer_id: str | None = None,
    step: str = "reminder_1",
    timestamp: str = "2026-03-02T09:10:00.000Z",
    bounce_type: str = "Permanent",
    headers: bool = False,
) -> dict[str, Any]:
    """An SES event-publishing record from the AWS samples, about one of our messages."""
    record = json.loads((FIXTURES / SAMPLES[kind]).read_text(encoding="utf-8"))
    mail = record["mail"]
    mail["messageId"] = message_id
    mail["destination"] = recipients
    mail["timestamp"] = timestamp
    mail["tags"] = {
        **mail.get("tags", {}),
        **({"customer_id": [customer_id]} if customer_id else {}),
        "step": [step],
    }
    if headers:
        mail["headers"] = [
            *mail.get("headers", []),
            {"name": "X-Relance-Dispatch", "value": f"{customer_id}#2026-03-02"},
            {"name": "X-Relance-Step", "value": step},
        ]
    else:
        mail.pop("headers", None)
    if kind == "Bounce":
        record["bounce"]["bounceType"] = bounce_type
        record["bounce"]["timestamp"] = timestamp
        record["bounce"]["bouncedRecipients"] = [
            {**record["bounce"]["bouncedRecipients"][0], "emailAddress": address} for address in recipients
        ]
    elif kind == "Complaint":
        record["complaint"]["timestamp"] = timestamp
        record["complaint"]["complainedRecipients"] = [{"emailAddress": address} for address in recipients]
    elif kind == "Delivery":
        record["delivery"]["timestamp"] = timestamp
        record["delivery"]["recipients"] = recipients
    else:
        record["deliveryDelay"]["timestamp"] = timestamp
        record["deliveryDelay"]["delayedRecipients"] = [{"emailAddress": address} for address in recipients]
    return record


def sns_event(*notifications: dict[str, Any]) -> dict[str, Any]:
    """The SNS envelope Lambda receives, one record per notification (the Powertools sample)."""
    envelope = json.loads((FIXTURES / "sns-lambda-envelope.json").read_text(encoding="utf-8"))
    template = envelope["Records"][0]
    records = []
    for position, notification in enumerate(notifications):
        record = copy.deepcopy(template)
        record["Sns"]["Message"] = json.dumps(notification)
        record["Sns"]["MessageId"] = f"95df01b4-ee98-5cb9-9903-4c221d41eb{position:02d}"
        records.append(record)
    return {"Records": records}


def deliveries(customer_id: str) -> list[EventRecord]:
    return [event for event in EventRecord.query(customer_id) if event.kind == "delivery"]


def send_a_reminder(stack: LocalPipeline, **customer: Any) -> str:
    """C1 gets its first reminder on Monday 2 March 2026; returns SES's message id."""
    add_customer("C1", cc=["cc@c1.example"], **customer)
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )
    stack.run_day(date(2026, 3, 2))
    [message] = stack.aws.sent_messages()
    return str(message["id"])


def test_a_bounce_of_a_sent_message_marks_the_customer_and_logs_the_delivery_status(stack: LocalPipeline):
    message_id = send_a_reminder(stack)

    result = stack.invoke(
        "feedback", sns_event(ses_notification("Bounce", message_id, ["compta@c1.example"], "C1"))
    )

    assert result["feedback"] == [{"outcome": "logged", "customer_id": "C1", "status": "bounced"}]
    assert CustomerRecord.get("C1").contact_status == "bounced"
    [event] = deliveries("C1")
    assert (event.message_id, event.outcome, event.step, list(event.invoice_ids)) == (
        message_id,
        "bounced",
        "reminder_1",
        ["F1"],
    )
    assert "smtp; 550 5.1.1 user unknown" in event.reason
    assert json.loads(event.detail)["recipients"] == ["compta@c1.example"]
    assert event.actor == "ses"


def test_a_redelivered_notification_is_logged_once(stack: LocalPipeline):
    message_id = send_a_reminder(stack)
    event = sns_event(ses_notification("Bounce", message_id, ["compta@c1.example"], "C1"))

    stack.invoke("feedback", event)
    again = stack.invoke("feedback", event)

    assert again["feedback"][0]["outcome"] == "duplicate"
    assert len(deliveries("C1")) == 1
    assert CustomerRecord.get("C1").contact_status == "bounced"


def test_a_delivery_is_logged_and_leaves_the_contact_status_alone(stack: LocalPipeline):
    message_id = send_a_reminder(stack)

    stack.invoke("feedback", sns_event(ses_notification("Delivery", message_id, ["compta@c1.example"], "C1")))

    [event] = deliveries("C1")
    assert (event.outcome, event.occurred_on) == ("delivered", date(2026, 3, 2))
    assert CustomerRecord.get("C1").contact_status == "ok"


def test_a_complaint_marks_the_customer_and_a_later_bounce_does_not_soften_it(stack: LocalPipeline):
    message_id = send_a_reminder(stack)

    stack.invoke(
        "feedback",
        sns_event(
            ses_notification("Complaint", message_id, ["compta@c1.example"], "C1"),
            ses_notification(
                "Bounce", message_id, ["compta@c1.example"], "C1", timestamp="2026-03-03T08:00:00Z"
            ),
        ),
    )

    assert CustomerRecord.get("C1").contact_status == "complained"
    assert sorted(event.outcome for event in deliveries("C1")) == ["bounced", "complained"]


def test_only_the_customers_own_address_changes_its_status(stack: LocalPipeline):
    """A bounced cc, a transient bounce, a delay, or the account manager's copy of a call task is logged
    but stops nothing."""
    message_id = send_a_reminder(stack)

    stack.invoke(
        "feedback",
        sns_event(
            ses_notification("Bounce", message_id, ["cc@c1.example"], "C1"),
            ses_notification(
                "Bounce",
                message_id,
                ["compta@c1.example"],
                "C1",
                bounce_type="Transient",
                timestamp="2026-03-02T10:00:00Z",
            ),
            ses_notification("DeliveryDelay", message_id, ["compta@c1.example"], "C1"),
            ses_notification(
                "Bounce",
                "call-task-message",
                ["compta@c1.example"],
                "C1",
                step="call_task",
                timestamp="2026-03-02T11:00:00Z",
            ),
        ),
    )

    assert CustomerRecord.get("C1").contact_status == "ok"
    assert sorted(event.outcome for event in deliveries("C1")) == [
        "bounced",
        "bounced",
        "delayed",
        "soft_bounced",
    ]


def test_the_customer_comes_from_the_dispatch_header_when_ses_includes_the_headers(stack: LocalPipeline):
    message_id = send_a_reminder(stack)
    notification = ses_notification("Bounce", message_id, ["compta@c1.example"], "C1", headers=True)
    notification["mail"]["tags"].pop("customer_id")

    stack.invoke("feedback", sns_event(notification))

    assert CustomerRecord.get("C1").contact_status == "bounced"


def test_notifications_about_no_known_customer_or_unreadable_are_let_go(stack: LocalPipeline):
    unknown = sns_event(ses_notification("Bounce", "m-1", ["x@example.org"], "C404"))
    unreadable = sns_event(ses_notification("Delivery", "m-2", ["x@example.org"], "C1"))
    unreadable["Records"][0]["Sns"]["Message"] = "not json"

    assert stack.invoke("feedback", unknown)["feedback"][0]["outcome"] == "unknown_customer"
    assert stack.invoke("feedback", unreadable)["feedback"][0]["outcome"] == "malformed"


def test_the_sample_event_shipped_for_sam_local_invoke_is_an_ses_bounce():
    event = json.loads((Path(__file__).resolve().parents[2] / "events" / "sns-ses-bounce.json").read_text())

    feedback = parse_notification(json.loads(event["Records"][0]["Sns"]["Message"]))

    assert feedback is not None
    assert (feedback.status, feedback.customer_id, feedback.step) == (
        DeliveryStatus.BOUNCED,
        "C004",
        "formal_notice",
    )
    assert feedback.recipients == ("direction@transports-bernard.example",)


def test_sends_opens_and_clicks_are_not_kept():
    record = ses_notification("Delivery", "m-1", ["x@example.org"], "C1")
    record["eventType"] = "Open"

    assert parse_notification(record) is None
