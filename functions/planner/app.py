"""The daily schedule: queue one message per customer with something due today."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime, xray_tracer
from relance.services.planner import plan_day, run_request

logger = Logger()
tracer = xray_tracer()
metrics = Metrics()


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """`event` is the scheduler's Input (scheduled_time, execution_id), or {"run_date": ...} to replay."""
    ctx = runtime()
    return plan_day(ctx, run_request(event, ctx.calendar, ctx.clock())).as_dict()
