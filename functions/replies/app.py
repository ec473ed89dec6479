"""S3 ObjectCreated on inbound/ (a customer's reply, stored there by the SES receipt rule): link it to its
customer, record it, pause the case as it says, give the account manager a task. Never answers the sender."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime
from relance.services.replies import INBOUND_PREFIX, record_reply

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    ctx = runtime()
    replies = []
    for record in event.records:
        # S3 notifications carry the key URL-encoded; Powertools' S3Object.key does not decode it.
        key = unquote_plus(record.s3.get_object.key)
        if record.s3.bucket.name != ctx.settings.bucket or not key.startswith(INBOUND_PREFIX):
            continue
        # SES's receipt time, the same on every retry: the day the reply is recorded under.
        received_at = (
            datetime.fromisoformat(record.event_time.replace("Z", "+00:00")) if record.event_time else None
        )
        replies.append(record_reply(ctx, key, ctx.store.read(key), received_at).summary())
    return {"replies": replies}
