"""The worker's batch: each queued customer dunned in turn; what fails goes back to the queue, some later.

The SQS event source hands the worker up to BatchSize messages and deletes those not reported failed. Two
failures are handed back with a visibility of their own, set on that message alone:

- a send refused for now (SES throttling, most often): the message comes back after a backoff growing with
  its receive count, so that a throttled SES is not asked again at once while the batch goes on. Nothing
  left: the dunning service released the dispatch claim, so the retry sends once.
- a customer not started because the invocation's remaining time might not cover it: handed back at once,
  for another invocation. A timeout mid-batch would fail the whole batch: the customers already done would
  come back (harmless, "already done"), the one being sent would keep its claim and be held for a person,
  and every batch-mate would be one receive closer to the dead-letter queue.

Any other failure keeps the queue's own visibility timeout.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from relance.config import Settings
from relance.observability import count_metric, logger
from relance.ports import Context, SendRefused
from relance.services.dunning import DispatchResult, process_customer

BACKOFF_FIRST_SECONDS = 30
BACKOFF_CAP_SECONDS = 900
# What one customer may take at worst besides its paced sends: SES's read timeout (30 s, see bootstrap), the
# DynamoDB, S3 and EventBridge calls and the record's own retries.
RECORD_RESERVE_MS = 30_000


@dataclass(frozen=True)
class WorkMessage:
    """One SQS record of the batch, as the event source delivers it."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> WorkMessage:
        attributes = record.get("attributes") or {}
        return cls(
            message_id=str(record["messageId"]),
            receipt_handle=str(record.get("receiptHandle", "")),
            body=str(record.get("body", "")),
            receive_count=int(attributes.get("ApproximateReceiveCount") or 1),
        )


@dataclass(frozen=True)
class Redelivery:
    """A message handed back to the queue, visible again in `delay_seconds`."""

    message: WorkMessage
    delay_seconds: int
    reason: str


@dataclass
class BatchOutcome:
    results: list[DispatchResult] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """Message ids reported failed: the queue keeps them."""
    redeliveries: list[Redelivery] = field(default_factory=list)

    def response(self) -> dict[str, Any]:
        """The partial batch response of an SQS event source with ReportBatchItemFailures."""
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in self.failed]}

    def hand_back(self, message: WorkMessage, delay_seconds: int, reason: str) -> None:
        self.failed.append(message.message_id)
        self.redeliveries.append(Redelivery(message, delay_seconds, reason))


def backoff_seconds(receive_count: int, message_id: str) -> int:
    """How long a throttled message stays away: 30 s after its first receive, doubling with each receive,
    at most 15 minutes; spread over the upper half of that by the message id, so that a batch throttled at
    once does not come back at once."""
    doublings = min(max(receive_count, 1) - 1, 16)
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_FIRST_SECONDS * 2**doublings)
    spread = int.from_bytes(hashlib.sha256(message_id.encode("utf-8")).digest()[:4], "big") / 0xFFFFFFFF
    return int(ceiling / 2 + spread * ceiling / 2)


def time_reserve_ms(settings: Settings) -> int:
    """The remaining time below which no customer is started: the worst case of one customer, its email and
    a call task each waiting for the pacer."""
    rate = settings.send_rate_per_worker
    pacing = 0.0 if rate is None else 2 * 1000 / rate
    return int(RECORD_RESERVE_MS + pacing)


def work_batch(
    ctx: Context,
    records: Sequence[Mapping[str, Any]],
    remaining_ms: Callable[[], int],
    redeliver: Callable[[Sequence[Redelivery]], None],
) -> BatchOutcome:
    """Duns the batch's customers in order; `redeliver` sets the visibility of those handed back.

    The first customer is always started, whatever the time left: an invocation that could start none
    would hand its batch back forever.
    """
    outcome = BatchOutcome()
    reserve = time_reserve_ms(ctx.settings)
    unstarted = 0
    for position, record in enumerate(records):
        message = WorkMessage.from_record(record)
        if position > 0 and remaining_ms() < reserve:
            outcome.hand_back(message, 0, f"not started: less than {reserve} ms left in the invocation")
            unstarted += 1
            continue
        customer_id = None
        try:
            body = json.loads(message.body)
            customer_id = str(body["customer_id"])
            result = process_customer(ctx, customer_id, str(body["run_id"]))
        except SendRefused as exc:
            delay = backoff_seconds(message.receive_count, message.message_id)
            logger.warning(
                "send refused, retried later",
                extra={"customer_id": customer_id, "delay_seconds": delay, "reason": str(exc)},
            )
            count_metric("SendRefused")
            outcome.hand_back(message, delay, str(exc))
            continue
        except Exception:
            # The record returns to the queue after its visibility timeout; its stack goes to the log.
            logger.exception(
                "customer failed", extra={"customer_id": customer_id, "message_id": message.message_id}
            )
            outcome.failed.append(message.message_id)
            continue
        logger.info(
            "customer processed",
            extra={
                "customer_id": result.customer_id,
                "outcome": result.outcome,
                "step": result.step,
                "reason": result.reason,
            },
        )
        outcome.results.append(result)
    if unstarted:
        logger.warning("customers handed back unstarted", extra={"count": unstarted})
        count_metric("HandedBackUnstarted", unstarted)
    if outcome.redeliveries:
        try:
            redeliver(outcome.redeliveries)
        except Exception:
            # They come back after the queue's own visibility timeout instead: later, never lost.
            logger.exception("could not change the visibility of handed-back messages")
    return outcome
