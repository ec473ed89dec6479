"""SES delivery feedback through SNS: log each notification, mark addresses that bounce or complain."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime
from relance.services.feedback import record_feedback

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context: LambdaContext) -> dict[str, Any]:
    ctx = runtime()
    results = [record_feedback(ctx, record.sns.message) for record in event.records]
    return {
        "feedback": [
            {"outcome": r.outcome, "customer_id": r.customer_id, "status": r.status} for r in results
        ]
    }
