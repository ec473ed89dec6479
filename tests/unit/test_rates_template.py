"""The rates function in template.yaml: a daily schedule, a role that reads and writes the rate store only,
its own log group, and an alarm on RatesUnverified, the metric services/rates.py emits."""

from __future__ import annotations

from typing import Any

import pytest

from .test_template import _allowed_actions, _as_list, _function_roles, load_template, translate


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def cfn(sam: dict[str, Any]) -> dict[str, Any]:
    return translate(sam)


def test_the_rates_function_reads_and_writes_the_rate_store_and_nothing_else(sam, cfn):
    allowed = _allowed_actions(_function_roles(cfn)["RatesFunction"])
    statements = sam["Resources"]["RatesFunction"]["Properties"]["Policies"][0]["Statement"]
    bucket = "arn:${AWS::Partition}:s3:::relance-${AWS::AccountId}-${AWS::Region}-${StackSuffix}"
    objects = {
        (action, resource["Fn::Sub"][0].removeprefix(bucket))
        for statement in statements
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
    }

    assert objects == {("s3:GetObject", "/rates/*"), ("s3:PutObject", "/rates/*"), ("s3:ListBucket", "")}
    [listing] = [s for s in statements if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["rates/*"]}}
    services = {action.split(":")[0] for action, _ in allowed}
    assert not services & {"dynamodb", "ses", "sqs", "events", "sns"}


def test_it_runs_daily_and_logs_in_its_own_group(sam, cfn):
    function = sam["Resources"]["RatesFunction"]["Properties"]
    [event] = function["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"].startswith("cron(")
    assert "* * ? *" in (event["Properties"]["ScheduleExpression"])
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "RatesLogGroup"}
    assert cfn["Resources"]["RatesLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_a_half_year_without_a_verified_rate_and_a_failed_run_each_raise_an_alarm(cfn):
    alarms = [r["Properties"] for r in cfn["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    [unverified] = [a for a in alarms if a.get("MetricName") == "RatesUnverified"]
    assert (unverified["Namespace"], unverified["Threshold"], unverified["ComparisonOperator"]) == (
        "Relance",
        0,
        "GreaterThanThreshold",
    )
    assert unverified["Dimensions"] == [{"Name": "service", "Value": "relance"}]
    assert any(
        a.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": "RatesFunction"}}] for a in alarms
    )
