"""Keeps the late-payment rates current: fetches the ECB, Bundesbank and Bank of England rates into the
stack's rate store (rates/rates.json) as fetched, and measures RatesUnverified for its alarm. Daily; it
fetches only while a table of the half-year under way is not verified by a person (`relance rates`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from relance.bootstrap import runtime, xray_tracer
from relance.services.rates import run_rates_refresh

logger = Logger()
tracer = xray_tracer()
metrics = Metrics()


@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """`event` is the scheduler's Input; nothing in it is read: the day is the creditor's today."""
    return run_rates_refresh(runtime()).as_dict()
