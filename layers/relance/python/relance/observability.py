"""The escalation log as people read it in CloudWatch: one structured line and one metric per action."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger, single_metric
from aws_lambda_powertools.metrics import MetricUnit

# A child of the handler's Logger: same service name, same JSON format, same Lambda context keys.
logger = Logger(child=True)


def event_fields(event: Any) -> dict[str, Any]:
    """The fields of an escalation event that a person filters on in Logs Insights."""
    return {
        "customer_id": event.customer_id,
        "kind": event.kind.value,
        "step": event.step,
        "channels": list(event.channels),
        "outcome": event.outcome.value,
        "reason": event.reason,
        "invoice_ids": list(event.invoice_ids),
        "currency": event.currency,
        "amount_due": str(event.amount) if event.amount is not None else None,
        "message_id": event.message_id,
        "notice_keys": [notice.key for notice in event.notices],
        "run_id": event.run_id,
        "occurred_on": event.occurred_on.isoformat(),
    }


def log_escalation(event: Any) -> None:
    logger.info("escalation", extra={"escalation": event_fields(event)})
    count_metric("Escalations", step=event.step or event.kind.value, outcome=event.outcome.value)


def count_metric(name: str, value: float = 1, **dimensions: str) -> None:
    """One EMF metric line. Without a namespace (a replay, a test) there is no CloudWatch to count for: the
    metric is dropped rather than failing the work it measures."""
    if not os.environ.get("POWERTOOLS_METRICS_NAMESPACE"):
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)


def gauge_metric(name: str, value: Decimal | int, unit: str = "None", **dimensions: str) -> None:
    """One EMF metric line for a level measured now (an amount owed, a number of days), not an event counted.

    `unit` is CloudWatch's ("None" for amounts and days, "Count" for numbers of things). Amounts are Decimal
    everywhere else; CloudWatch keeps doubles, so the conversion happens here, at the boundary, only.
    """
    if not os.environ.get("POWERTOOLS_METRICS_NAMESPACE"):
        return
    with single_metric(name=name, unit=MetricUnit(unit), value=float(value)) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)
