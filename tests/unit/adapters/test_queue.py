"""The work queue's adapter: ten messages a call, several calls at once, and a refusal named."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from relance.adapters.queue import SQS_BATCH, WorkQueue
from relance.ports import QueueError


class Sqs:
    """SendMessageBatch as SQS answers it; refuses the entries whose body names a refused customer."""

    def __init__(self, refuse: frozenset[str] = frozenset()) -> None:
        self.refuse = refuse
        self.calls: list[list[dict[str, Any]]] = []
        self._lock = threading.Lock()

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            self.calls.append(Entries)
        failed = [
            {"Id": entry["Id"], "SenderFault": True, "Code": "InvalidMessageContents", "Message": "refused"}
            for entry in Entries
            if json.loads(entry["MessageBody"])["customer_id"] in self.refuse
        ]
        return {"Successful": [], "Failed": failed}


def bodies(count: int) -> list[dict[str, str]]:
    return [{"customer_id": f"C{n:03d}", "run_id": "daily-2026-03-02"} for n in range(count)]


def test_every_body_goes_once_ten_a_call() -> None:
    sqs = Sqs()

    assert WorkQueue(sqs, "url").send_all(bodies(95)) == 95

    sent = [json.loads(entry["MessageBody"])["customer_id"] for call in sqs.calls for entry in call]
    assert sorted(sent) == [body["customer_id"] for body in bodies(95)]
    assert max(len(call) for call in sqs.calls) == SQS_BATCH
    assert len(sqs.calls) == 10


def test_a_refused_message_fails_the_whole_send_and_says_how_many() -> None:
    sqs = Sqs(refuse=frozenset({"C004", "C057"}))

    with pytest.raises(QueueError, match="2 message\\(s\\) not queued: refused"):
        WorkQueue(sqs, "url").send_all(bodies(95))


def test_nothing_to_send_makes_no_call() -> None:
    sqs = Sqs()

    assert WorkQueue(sqs, "url").send_all([]) == 0
    assert sqs.calls == []
