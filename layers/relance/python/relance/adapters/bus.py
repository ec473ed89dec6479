"""Publishes the events other systems act on (suspension, hand-off) on the stack's EventBridge bus."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from relance.ports import PublishError

SOURCE = "relance"


class EventBusPublisher:
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> str:
        response = self._client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, sort_keys=True, default=str),
                    "EventBusName": self._bus,
                }
            ]
        )
        entry = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise PublishError(
                f"{detail_type} not published: {entry.get('ErrorCode')} {entry.get('ErrorMessage')}"
            )
        return str(entry["EventId"])
