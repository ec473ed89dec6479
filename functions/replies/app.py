"""S3 ObjectCreated on inbound/ (a customer's reply, stored there by the SES receipt rule): link it to its
customer, record it, pause the case as it says, give the account manager a task. Never answers the sender."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime, xray_tracer
from relance.services.replies import INBOUND_PREFIX, record_reply

logger = Logger()
tracer = xray_tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ctx = runtime()
    replies = []
    # Read as a plain dict: Powertools' data_classes package imports every event class it has (about 20 ms
    # of each cold start) for three fields.
    for record in event.get("Records", []):
        # S3 notifications carry the key URL-encoded ("r%C3%A9ponse+1.eml").
        key = unquote_plus(record["s3"]["object"]["key"])
        if record["s3"]["bucket"]["name"] != ctx.settings.bucket or not key.startswith(INBOUND_PREFIX):
            continue
        # SES's receipt time, the same on every retry: the day the reply is recorded under.
        event_time = record.get("eventTime")
        received_at = datetime.fromisoformat(event_time.replace("Z", "+00:00")) if event_time else None
        replies.append(record_reply(ctx, key, ctx.store.read(key), received_at).summary())
    return {"replies": replies}
