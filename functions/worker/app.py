"""The work queue: dun each customer of the batch; failed records go back to the queue, a throttled send's
later (relance.services.work_batch)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime, xray_tracer
from relance.services.work_batch import Redelivery, work_batch

logger = Logger()
tracer = xray_tracer()
metrics = Metrics()


def redeliver(redeliveries: Sequence[Redelivery]) -> None:
    """Gives each handed-back message its own visibility timeout: SQS shows it again after that delay."""
    rt = runtime()
    for start in range(0, len(redeliveries), 10):  # ten entries a call at most
        entries = [
            {
                "Id": str(n),
                "ReceiptHandle": item.message.receipt_handle,
                "VisibilityTimeout": item.delay_seconds,
            }
            for n, item in enumerate(redeliveries[start : start + 10])
        ]
        answer = rt.client("sqs").change_message_visibility_batch(
            QueueUrl=rt.settings.work_queue_url, Entries=entries
        )
        for failed in answer.get("Failed", []):
            logger.warning("visibility not changed", extra={"entry": failed})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records", [])
    outcome = work_batch(runtime(), records, context.get_remaining_time_in_millis, redeliver)
    if records and len(outcome.failed) == len(records):
        # Every record failed: so does the invocation, as with Powertools' batch processor (errors alarm, and
        # the event source slows down). Imported here: the batch utility adds 10 ms to every cold start.
        from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

        raise BatchProcessingError(f"All {len(records)} records failed processing (logged above)")
    return outcome.response()
