"""The morning digest at the end of `relance demo`: written through its handler on the embedded AWS, with
the same figures as the same book replayed in memory."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from relance_tools.cli.dated_files import actions_by_date, payments_by_date
from relance_tools.dated_drops import files_by_date, replies_by_date
from relance_tools.replay import MemoryPipeline, replay

pytestmark = pytest.mark.integration
DEMO = Path(__file__).resolve().parents[2] / "demo"


def test_the_demo_writes_its_last_days_digest_with_the_figures_of_the_replay(demo: Path):
    [line] = re.findall(r"Morning digest of (\d{4}-\d{2}-\d{2})", (demo / "stdout.txt").read_text("utf-8"))
    day = date.fromisoformat(line)
    written = {path.name for path in (demo / "digest").iterdir()}
    on_moto = json.loads((demo / "digest" / f"{day}.json").read_text(encoding="utf-8"))
    start = date(2025, 12, 6)
    pipeline = MemoryPipeline.start(start)
    replay(
        pipeline,
        ("customers.csv", (DEMO / "customers.csv").read_bytes()),
        ("invoices.csv", (DEMO / "invoices.csv").read_bytes()),
        payments_by_date("payments.csv", (DEMO / "payments.csv").read_bytes()),
        actions_by_date((DEMO / "actions.csv").read_bytes()),
        start,
        (day - start).days + 1,
        replies=replies_by_date(DEMO / "replies"),
        statements=files_by_date(DEMO / "bank"),
    )
    in_memory = json.loads(pipeline.ctx.store.read(f"reports/digest/{day}.json"))

    assert written == {f"{day}.{extension}" for extension in ("html", "txt", "csv", "json")}
    assert on_moto["currencies"] == in_memory["currencies"]
    assert on_moto["attention"] == in_memory["attention"]
    assert {item["customer_id"] for item in on_moto["attention"] if item["kind"] == "handoff"} >= {"C004"}
    page = (demo / "digest" / f"{day}.html").read_text(encoding="utf-8")
    assert 'class="bar" data-bucket="over_90" width="320"' in page
