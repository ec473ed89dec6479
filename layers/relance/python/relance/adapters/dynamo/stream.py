"""Items of the escalation log as DynamoDB Streams delivers them, read back into events.

A stream record's NewImage holds the item in DynamoDB's typed form ({"S": ...}, {"N": ...}, {"M": ...}),
the same form pynamodb reads from GetItem. It is read with the very model that wrote it (EventRecord) and
the same mapping (event_from_record), so the journal can never drift from what the log holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import AttributeDeserializationError

from relance.adapters.dynamo.mapping import event_from_record
from relance.adapters.dynamo.records import EventRecord
from relance.domain.events import EscalationEvent


def event_from_image(image: Mapping[str, Any]) -> EscalationEvent:
    """The event an image holds; ValueError naming the item's key when it is not a readable event."""
    where = _key_of(image)
    try:
        record = EventRecord.from_raw_data(dict(image))
        if record.customer_id is None or record.event_key is None:
            raise ValueError("the item has no customer_id or event_key")
        return event_from_record(record)
    except (AttributeDeserializationError, AttributeError, KeyError, TypeError, ValueError) as exc:
        # pynamodb and the domain's enums and dates each raise their own kind; one kind for the caller.
        raise ValueError(f"escalation log item {where} cannot be read as an event: {exc}") from exc


def _key_of(image: Mapping[str, Any]) -> str:
    def text(name: str) -> str:
        value = image.get(name)
        return str(value.get("S", "?")) if isinstance(value, Mapping) else "?"

    return f"{text('customer_id')}/{text('event_key')}"


class StreamImages:
    """Reads stream images of the escalation log (relance.services.journal.StreamImages)."""

    def event(self, image: Mapping[str, Any]) -> EscalationEvent:
        return event_from_image(image)
