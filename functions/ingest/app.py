"""S3 ObjectCreated on incoming/: read the file, store its rows, write a report next to it."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime
from relance.services.ingest import ingest_object

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    ctx = runtime()
    # S3 notifications carry the key URL-encoded ("factures+mars.csv"); Powertools decodes it only in the
    # EventBridge variant of the event.
    reports = [
        ingest_object(ctx, unquote_plus(record.s3.get_object.key)).summary()
        for record in event.records
        if record.s3.bucket.name == ctx.settings.bucket
    ]
    return {"files": reports}
