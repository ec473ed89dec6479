"""The morning digest for the finance team: receivables by age, DSO and trend, what went out, what needs
a person. Scheduled an hour after the daily run; writes reports/digest/<date>.*, emails DIGEST_RECIPIENTS."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime, xray_tracer
from relance.services.digest import run_digest
from relance.services.planner import run_request

logger = Logger()
tracer = xray_tracer()
metrics = Metrics()


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """`event` is the scheduler's Input (scheduled_time, execution_id), or {"run_date": "YYYY-MM-DD"} to
    redo a day; {"resend": true} emails a day already emailed once more."""
    ctx = runtime()
    request = run_request(event, ctx.calendar, ctx.clock())
    return run_digest(ctx, request.run_date, resend=bool(event.get("resend"))).as_dict()
