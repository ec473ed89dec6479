"""The scheduled rates function on moto's server: a half-year with no verified rate makes it store the
fetched rows in the documents bucket and emit RatesUnverified above zero, the metric its alarm watches.
The central banks' answers are the recorded ones (no network)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest

from relance.services import rates as rates_service
from relance_tools.cli import main
from relance_tools.devstack import register_stack
from relance_tools.local_pipeline import LocalPipeline

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "unit" / "money" / "fixtures" / "rates"
FILES = {"ecb": "ecb_mrr_fr.csv", "bundesbank": "bundesbank_su0115.json", "boe": "boe_iudbedr.csv"}


def recorded() -> tuple[dict[str, str], dict[str, str]]:
    return {name: (FIXTURES / file).read_text(encoding="utf-8") for name, file in FILES.items()}, {}


def emitted(log: str, name: str) -> list[float]:
    values = []
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and name in record and "_aws" in record:
            value = record[name]
            values += [float(item) for item in value] if isinstance(value, list) else [float(value)]
    return values


def test_a_half_year_without_a_verified_rate_raises_the_rates_unverified_metric(
    stack: LocalPipeline, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(rates_service, "fetch_responses", recorded)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Relance")
    stack.set_day(date(2026, 11, 30))
    stack.log_stream = io.StringIO()

    result = stack.invoke("rates", {"scheduled_time": "2026-11-30T05:15:00Z"})

    assert result["period"] == "2026-H2"
    assert result["rates_unverified"] > 0
    assert "ECB_MRO 2026-H2" in result["unverified"]
    assert result["errors"] == []
    assert any(value > 0 for value in emitted(stack.log_stream.getvalue(), "RatesUnverified"))
    stored = stack.runtime.client("s3").get_object(
        Bucket=stack.runtime.settings.bucket, Key="rates/rates.json"
    )
    rows = json.loads(stored["Body"].read())["rows"]
    assert {"table": "ECB_MRO", "half": "2026-H2", "status": "fetched"}.items() <= next(
        row for row in rows if (row["table"], row["half"]) == ("ECB_MRO", "2026-H2")
    ).items()


def test_a_person_verifies_the_stacks_rates_with_relance_rates_and_the_alarm_metric_falls(
    stack: LocalPipeline, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(rates_service, "fetch_responses", recorded)
    stack.set_day(date(2026, 11, 30))
    before = stack.invoke("rates", {})
    register_stack(stack.stack)
    target = ["--stack", stack.stack.stack_name, "--endpoint", stack.aws.endpoint]

    assert main(["rates", *target, "--verify", "2026-H2", "--table", "ECB_MRO", "--by", "J. Moreau"]) == 0
    assert "verified: ECB_MRO 2026-H2" in capsys.readouterr().out
    stack.runtime.rate_store._cached = None  # the function's warm cache; a new instance reads again
    after = stack.invoke("rates", {})

    assert "ECB_MRO 2026-H2" in before["unverified"]
    assert "ECB_MRO 2026-H2" not in after["unverified"]
    assert after["rates_unverified"] == before["rates_unverified"] - 1
