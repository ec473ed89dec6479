"""DynamoDB Streams of the escalation log: each entry becomes one line of the journal log group."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime, xray_tracer
from relance.services.journal import write_journal

logger = Logger()
tracer = xray_tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Records as the stream gives them: the service reads each image with the model that wrote it.
    run = write_journal(runtime(), event.get("Records", []))
    counts = {"logged": run.logged, "repeated": run.repeated, "changed": run.changed}
    logger.info("journal batch", extra={**counts, "failed_at": run.failed_at})
    return run.response()
