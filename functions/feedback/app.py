"""SES delivery feedback through SNS: log each notification, mark addresses that bounce or complain."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime, xray_tracer
from relance.services.feedback import record_feedback

logger = Logger()
tracer = xray_tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ctx = runtime()
    # A plain dict: Powertools' data_classes package imports every event class it has for one field.
    results = [record_feedback(ctx, record["Sns"]["Message"]) for record in event.get("Records", [])]
    return {
        "feedback": [
            {"outcome": r.outcome, "customer_id": r.customer_id, "status": r.status} for r in results
        ]
    }
