"""SES delivery feedback through SNS: log each notification, mark addresses that bounce or complain."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime
from relance.services.feedback import record_feedback

logger = Logger()
# Every call goes through botocore (pynamodb included): patching all the libraries X-Ray knows would import
# pynamodb's and sqlite3's patches and probe a dozen database drivers at each cold start.
tracer = Tracer(patch_modules=("botocore",))
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
