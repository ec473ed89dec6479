"""The events AWS hands the functions, built from the samples in tests/fixtures/aws-events: SES
notifications about one of our messages, and the SNS envelope Lambda receives them in."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "aws-events"
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
