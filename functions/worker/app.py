"""The work queue: dun each customer of the batch; failed records go back to the queue on their own."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime
from relance.services.dunning import process_customer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> dict[str, Any]:
    body = record.json_body
    try:
        result = process_customer(runtime(), str(body["customer_id"]), str(body["run_id"]))
    except Exception:
        # The batch processor keeps failures quiet: the record returns to the queue, its stack to the log.
        logger.exception(
            "customer failed", extra={"customer_id": body.get("customer_id"), "message_id": record.message_id}
        )
        raise
    logger.info(
        "customer processed",
        extra={
            "customer_id": result.customer_id,
            "outcome": result.outcome,
            "step": result.step,
            "reason": result.reason,
        },
    )
    return {"customer_id": result.customer_id, "outcome": result.outcome}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
