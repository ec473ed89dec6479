"""S3 ObjectCreated on incoming/: read the file, store its rows, write a report next to it."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime, xray_tracer
from relance.services.ingest import ingest_object

logger = Logger()
tracer = xray_tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ctx = runtime()
    # Read as a plain dict: Powertools' data_classes package imports every event class it has (about 20 ms
    # of each cold start) for two fields. S3 notifications carry the key URL-encoded ("factures+mars.csv").
    reports = [
        ingest_object(ctx, unquote_plus(record["s3"]["object"]["key"])).summary()
        for record in event.get("Records", [])
        if record["s3"]["bucket"]["name"] == ctx.settings.bucket
    ]
    return {"files": reports}
