"""The work queue between the planner and the dunning worker."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from relance.ports import QueueError

SQS_BATCH = 10


class WorkQueue:
    def __init__(self, client: Any, url: str) -> None:
        self._client = client
        self._url = url

    def send_all(self, bodies: Sequence[Mapping[str, Any]]) -> int:
        for start in range(0, len(bodies), SQS_BATCH):
            chunk = bodies[start : start + SQS_BATCH]
            response = self._client.send_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(position), "MessageBody": json.dumps(body, sort_keys=True)}
                    for position, body in enumerate(chunk)
                ],
            )
            failed = response.get("Failed", [])
            if failed:
                raise QueueError(
                    f"{len(failed)} message(s) not queued: {failed[0].get('Message', failed[0])}"
                )
        return len(bodies)
