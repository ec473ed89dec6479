"""The work queue between the planner and the dunning worker."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from relance.ports import QueueError

SQS_BATCH = 10
# SendMessageBatch calls in flight at once. One after another, 50,000 due customers are 5,000 calls of
# 10-20 ms: up to 100 s of the planner's 120 s (docs/scale.md); eight at a time, about 12 s. boto3's
# clients are thread-safe, and the connection pool holds ten.
SENDERS = 8


class WorkQueue:
    def __init__(self, client: Any, url: str) -> None:
        self._client = client
        self._url = url

    def send_all(self, bodies: Sequence[Mapping[str, Any]]) -> int:
        """Queues every body, ten a call; raises QueueError naming what was refused. A retried run queues
        them all again, which is harmless: the worker claims each customer's day once."""
        chunks = [bodies[start : start + SQS_BATCH] for start in range(0, len(bodies), SQS_BATCH)]
        with ThreadPoolExecutor(max_workers=max(1, min(SENDERS, len(chunks)))) as pool:
            failed = [entry for refused in pool.map(self._send, chunks) for entry in refused]
        if failed:
            raise QueueError(f"{len(failed)} message(s) not queued: {failed[0].get('Message', failed[0])}")
        return len(bodies)

    def _send(self, chunk: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        response = self._client.send_message_batch(
            QueueUrl=self._url,
            Entries=[
                {"Id": str(position), "MessageBody": json.dumps(body, sort_keys=True)}
                for position, body in enumerate(chunk)
            ],
        )
        return list(response.get("Failed", []))
