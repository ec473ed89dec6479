"""What SES would say of a message it accepted: the recipient's server answers, here always "delivered".

moto accepts mail but delivers nothing, and the in-memory mailer neither: the demo and the replay play
the recipient's server, and hand the notification to the feedback service the way SNS would.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def raw_headers(raw: str) -> dict[str, str]:
    """The top-level headers of a raw message, names lower-cased (what SES reports as mail.headers)."""
    found: dict[str, str] = {}
    for line in raw.replace("\r\n", "\n").split("\n"):
        if not line:
            break
        if line[0] in " \t" or ":" not in line:
            continue
        name, value = line.split(":", 1)
        found[name.strip().lower()] = value.strip()
    return found


def delivery_notification(
    raw: str, message_id: str, source: str, destinations: list[str], moment: datetime
) -> str:
    """The SES event-publishing record of a delivery, as the SNS message body the feedback function reads.

    The customer and dispatch come from the message's own headers, as SES would give them back in its
    mail tags.
    """
    headers = raw_headers(raw)
    dispatch = headers.get("x-relance-dispatch", "")
    customer_id, _, _ = dispatch.partition("#")
    when = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    recipients = sorted(set(destinations))
    notification: dict[str, Any] = {
        "eventType": "Delivery",
        "mail": {
            "timestamp": when,
            "source": source,
            "messageId": message_id,
            "destination": recipients,
            "headers": [{"name": name, "value": value} for name, value in headers.items()],
            "tags": {
                "customer_id": [customer_id],
                "dispatch": [dispatch.replace("#", "_")],
                "step": [headers.get("x-relance-step", "")],
            },
        },
        "delivery": {
            "timestamp": when,
            "recipients": recipients,
            "processingTimeMillis": 1200,
            "smtpResponse": "250 2.0.0 OK",
            "reportingMTA": "embedded-aws.invalid",
        },
    }
    return json.dumps(notification)
