"""The morning digest in template.yaml: its schedule follows the daily run, its role reads the book and writes
its reports only, its figures reach the receivables dashboard, its failures reach the alarms."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from relance.domain.aging import Bucket, age_receivables, dso_by_currency
from relance.services.digest import ATTENTION_KINDS, Attention, Digest, SentStep, Window, measure
from tests.unit.domain.builders import invoice

from .test_template import (
    _SUB_VARIABLE,
    _allowed_actions,
    _as_list,
    _function_roles,
    load_template,
    translate,
)


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def cfn(sam: dict[str, Any]) -> dict[str, Any]:
    return translate(sam)


def _schedule_of(cfn: dict[str, Any], function: str) -> dict[str, Any]:
    (schedule,) = [
        r["Properties"]
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::Scheduler::Schedule"
        and r["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    ]
    return schedule


def _cron(expression: Any, sam: dict[str, Any], hour: int) -> tuple[int, int]:
    """(hour, minute) of a schedule's cron once CloudFormation has put ScheduleHour in."""
    if "Fn::Sub" not in expression:
        raise AssertionError(expression)
    argument = expression["Fn::Sub"]
    text, variables = (argument, {}) if isinstance(argument, str) else argument
    values = {"ScheduleHour": str(hour)}
    for name, value in variables.items():
        mapping, key, field = value["Fn::FindInMap"]
        assert key == {"Ref": "ScheduleHour"}
        values[name] = str(sam["Mappings"][mapping][str(hour)][field])
    cron = _SUB_VARIABLE.sub(lambda match: values[match.group(1)], text)
    minute, hour_text = re.fullmatch(r"cron\((\d+) (\d+) \* \* \? \*\)", cron).groups()  # type: ignore[union-attr]
    return int(hour_text), int(minute)


def test_the_digest_runs_after_the_daily_run_the_same_day_whatever_its_hour(sam, cfn):
    planner, digest = _schedule_of(cfn, "PlannerFunction"), _schedule_of(cfn, "DigestFunction")

    for hour in range(24):
        run = _cron(planner["ScheduleExpression"], sam, hour)
        after = _cron(digest["ScheduleExpression"], sam, hour)
        gap = (after[0] * 60 + after[1]) - (run[0] * 60 + run[1])
        assert 59 <= gap <= 60, (hour, run, after)  # an hour later, 23:59 for a run at 23:00
    assert (
        digest["ScheduleExpressionTimezone"] == planner["ScheduleExpressionTimezone"] == {"Ref": "Timezone"}
    )
    assert json.loads(digest["Target"]["Input"]) == json.loads(planner["Target"]["Input"])


def test_the_digest_reads_the_book_writes_its_reports_and_sends_as_the_sender_only(sam, cfn):
    allowed = _allowed_actions(_function_roles(cfn)["DigestFunction"])
    services = {action.split(":")[0] for action, _ in allowed}

    assert {(a, t) for a, t in allowed if a.startswith("dynamodb:")} == {
        ("dynamodb:Scan", "CustomersTable"),
        ("dynamodb:Query", "InvoicesTable"),
        ("dynamodb:Query", "EventsTable"),
        # The sparse due indexes, for the customers still due after the run.
        ("dynamodb:Query", "CustomersTable"),
    }
    statements = sam["Resources"]["DigestFunction"]["Properties"]["Policies"][0]["Statement"]
    bucket = "arn:${AWS::Partition}:s3:::relance-${AWS::AccountId}-${AWS::Region}-${StackSuffix}"
    objects = {
        (action, resource["Fn::Sub"][0].removeprefix(bucket))
        for statement in statements
        for action in _as_list(statement["Action"])
        if action.startswith("s3:")
        for resource in _as_list(statement["Resource"])
    }
    assert objects == {
        ("s3:ListBucket", ""),
        ("s3:GetObject", "/reports/ingest/*"),
        ("s3:GetObject", "/reports/digest/*"),
        ("s3:PutObject", "/reports/digest/*"),
    }
    assert {a for a, _ in allowed if a.startswith("ses:")} == {"ses:SendEmail", "ses:SendRawEmail"}
    assert not services & {"sqs", "events", "sns"}


def test_listing_the_bucket_is_limited_to_the_reports_the_digest_reads(sam):
    statements = sam["Resources"]["DigestFunction"]["Properties"]["Policies"][0]["Statement"]
    [listing] = [s for s in statements if s["Action"] == "s3:ListBucket"]

    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["reports/ingest/*", "reports/digest/*"]}}


def test_a_failed_digest_raises_an_alarm_and_logs_in_its_own_group(cfn):
    resources = cfn["Resources"]
    watched = [
        r["Properties"]["Dimensions"][0]["Value"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Dimensions")
    ]
    assert {"Ref": "DigestFunction"} in watched
    function = resources["DigestFunction"]["Properties"]
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "DigestLogGroup"}
    assert resources["DigestLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_every_figure_on_the_receivables_dashboard_is_one_the_digest_sends(sam, monkeypatch):
    body = sam["Resources"]["ReceivablesDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(_SUB_VARIABLE.sub("resolved", body))["widgets"]
    shown = {
        re.search(r"SELECT \w+\((\w+)\)", metric[0]["expression"]).group(1)  # type: ignore[union-attr]
        for widget in widgets
        for metric in widget["properties"]["metrics"]
    }
    day = date(2026, 3, 2)
    invoices = [invoice("F1", due=date(2026, 1, 10)), invoice("F2", due=date(2026, 3, 20))]
    aging = age_receivables(invoices, day)
    digest = Digest(
        day=day,
        window=Window(day, day),
        open_day=True,
        aging=aging,
        dso=dso_by_currency(invoices, day, aging),
        trend={},
        sent=(SentStep("reminder_1", messages=2, invoices=2, amounts={"EUR": Decimal("10.00")}),),
        payments={},
        attention=(Attention("held", "C1#2026-03-02", "held", customer_id="C1"),),
    )
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Relance")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "relance")
    output = io.StringIO()

    with redirect_stdout(output):
        measure(digest)

    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    sent = {metric["Name"] for line in lines for metric in line["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert shown <= sent
    buckets = {line["bucket"] for line in lines if "ReceivablesAging" in line}
    assert buckets == {bucket.value for bucket in Bucket}
    assert {line["kind"] for line in lines if "NeedsAPerson" in line} == set(ATTENTION_KINDS)
