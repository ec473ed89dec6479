"""SES feedback on the in-memory ports: each notification is logged once in the customer's escalation log,
and a bounce or a complaint from the customer's own address stops the emails to it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from relance.domain.events import EventKind, Outcome
from relance.domain.models import ContactStatus
from relance.services.feedback import DeliveryStatus, parse_notification, record_feedback
from tests.aws_events import ses_notification
from tests.journal_samples import captured_log

from .driver import bill, client, customer, events, pipeline, run_day, seed

MONDAY = date(2026, 3, 2)


@pytest.fixture
def ctx():
    return pipeline(MONDAY)


@pytest.fixture
def message_id(ctx) -> str:
    """C1 (with a cc) gets its case's first reminder on Monday 2 March 2026; SES's message id."""
    seed(ctx, client("C1", cc=("cc@c1.example",)), [bill("F1", courtesy_on=date(2026, 2, 23))])
    run_day(ctx, MONDAY)
    [message] = ctx.mailer.sent
    return message.message_id


def feedback(ctx, *notifications: dict) -> list[str]:
    return [record_feedback(ctx, json.dumps(notification)).outcome for notification in notifications]


def deliveries(ctx):
    return events(ctx, "C1", EventKind.DELIVERY)


def test_a_bounce_of_a_sent_message_marks_the_customer_and_logs_the_delivery_status(ctx, message_id):
    result = record_feedback(
        ctx, json.dumps(ses_notification("Bounce", message_id, ["compta@c1.example"], "C1"))
    )

    assert (result.outcome, result.customer_id, result.status, result.contact_status) == (
        "logged",
        "C1",
        "bounced",
        "bounced",
    )
    assert customer(ctx).contact_status is ContactStatus.BOUNCED
    [event] = deliveries(ctx)
    assert (event.message_id, event.outcome, event.step, event.invoice_ids, event.case_id) == (
        message_id,
        Outcome.BOUNCED,
        "reminder_1",
        ("F1",),
        "C1-EUR-1",
    )
    assert "smtp; 550 5.1.1 user unknown" in (event.reason or "")
    assert event.detail["recipients"] == "compta@c1.example"
    assert event.actor == "ses"


def test_a_redelivered_notification_is_logged_once(ctx, message_id):
    bounce = ses_notification("Bounce", message_id, ["compta@c1.example"], "C1")

    assert feedback(ctx, bounce, bounce) == ["logged", "duplicate"]
    assert len(deliveries(ctx)) == 1
    assert customer(ctx).contact_status is ContactStatus.BOUNCED


def test_a_delivery_is_logged_on_its_local_day_and_leaves_the_contact_status_alone(ctx, message_id):
    late_evening = ses_notification(
        "Delivery", message_id, ["compta@c1.example"], "C1", timestamp="2026-03-02T23:30:00Z"
    )

    feedback(ctx, late_evening)

    [event] = deliveries(ctx)
    # 23:30 UTC is already Tuesday in Paris.
    assert (event.outcome, event.occurred_on) == (Outcome.DELIVERED, date(2026, 3, 3))
    assert customer(ctx).contact_status is ContactStatus.OK


def test_a_complaint_marks_the_customer_and_a_later_bounce_does_not_soften_it(ctx, message_id):
    feedback(
        ctx,
        ses_notification("Complaint", message_id, ["compta@c1.example"], "C1"),
        ses_notification("Bounce", message_id, ["compta@c1.example"], "C1", timestamp="2026-03-03T08:00:00Z"),
    )

    assert customer(ctx).contact_status is ContactStatus.COMPLAINED
    assert sorted(event.outcome for event in deliveries(ctx)) == [Outcome.BOUNCED, Outcome.COMPLAINED]


def test_only_the_customers_own_address_changes_its_status(ctx, message_id):
    """A bounced cc, a transient bounce, a delay, or the account manager's copy of a call task is logged
    but stops nothing."""
    feedback(
        ctx,
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
    )

    assert customer(ctx).contact_status is ContactStatus.OK
    assert sorted(event.outcome.value for event in deliveries(ctx)) == [
        "bounced",
        "bounced",
        "delayed",
        "soft_bounced",
    ]


def test_the_customer_comes_from_the_dispatch_header_when_ses_includes_the_headers(ctx, message_id):
    notification = ses_notification("Bounce", message_id, ["compta@c1.example"], "C1", headers=True)
    notification["mail"]["tags"].pop("customer_id")

    assert feedback(ctx, notification) == ["logged"]
    assert customer(ctx).contact_status is ContactStatus.BOUNCED


def test_a_bounced_customer_is_no_longer_emailed_the_account_manager_calls_instead(ctx, message_id):
    feedback(ctx, ses_notification("Bounce", message_id, ["compta@c1.example"], "C1"))

    run_day(ctx, date(2026, 3, 13))  # the case's second reminder

    [_, call_task] = ctx.mailer.sent
    assert call_task.message["To"] == "am@creditor.example"
    [_, second] = events(ctx, "C1", EventKind.ESCALATION)
    assert (second.step, second.channels, second.message_id) == ("reminder_2", ("call_task",), None)


def test_notifications_about_no_known_customer_or_unreadable_are_let_go(ctx):
    unknown = ses_notification("Bounce", "m-1", ["x@example.org"], "C404")
    opened = ses_notification("Delivery", "m-2", ["x@example.org"], "C1")
    opened["eventType"] = "Open"

    assert feedback(ctx, unknown, opened) == ["unknown_customer", "ignored"]
    assert record_feedback(ctx, "not json").outcome == "malformed"
    assert record_feedback(ctx, json.dumps({"eventType": "Bounce"})).outcome == "malformed"


def test_the_sample_event_shipped_for_sam_local_invoke_is_an_ses_bounce():
    event = json.loads((Path(__file__).resolve().parents[3] / "events" / "sns-ses-bounce.json").read_text())

    feedback_ = parse_notification(json.loads(event["Records"][0]["Sns"]["Message"]))

    assert feedback_ is not None
    assert (feedback_.status, feedback_.customer_id, feedback_.step) == (
        DeliveryStatus.BOUNCED,
        "C004",
        "formal_notice",
    )
    assert feedback_.recipients == ("direction@transports-bernard.example",)


def test_sends_opens_and_clicks_are_not_kept():
    record = ses_notification("Delivery", "m-1", ["x@example.org"], "C1")
    record["eventType"] = "Open"

    assert parse_notification(record) is None


def test_feedback_on_the_team_digest_touches_no_customer_and_says_when_the_team_lost_it(ctx, message_id):
    """The morning digest goes to the finance team, not to a customer: its delivery or bounce belongs to
    nobody's file, but a bounce means the team no longer gets it, so it is logged as an error."""
    delivered = ses_notification("Delivery", "digest-1", ["compta@creditor.example"], step="digest")
    bounced = ses_notification("Bounce", "digest-2", ["compta@creditor.example"], step="digest")

    with captured_log() as log:
        outcomes = feedback(ctx, delivered, bounced)

    assert outcomes == ["team", "team"]
    assert deliveries(ctx) == []
    assert customer(ctx).contact_status is ContactStatus.OK
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    assert [(line["level"], line["status"]) for line in lines if line.get("step") == "digest"] == [
        ("INFO", "delivered"),
        ("ERROR", "bounced"),
    ]
