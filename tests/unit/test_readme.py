"""The README's examples are what the code does: the bus event, the interest figures, the timeline's
fields, the default policy's table and every command line it shows."""

from __future__ import annotations

import io
import json
import re
import shlex
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import pytest

from relance.domain.events import EventKind
from relance.policies import load_policies
from relance_tools.cli import build_parser, main
from relance_tools.cli.dated_files import actions_by_date, payments_by_date
from relance_tools.replay import MemoryPipeline, replay
from relance_tools.timeline import timeline

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO = ROOT / "demo"
START = date(2025, 12, 6)


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def section(title: str) -> str:
    start = README.index(title)
    following = README.find("\n#", start + len(title))
    return README[start : following if following != -1 else None]


def table_rows(text: str) -> dict[str, list[str]]:
    """First cell (backticks removed) -> the other cells, for each row of the markdown tables in text."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0].replace("`", "")] = cells[1:]
    return rows


@pytest.fixture(scope="module")
def demo() -> MemoryPipeline:
    """The demo's files replayed in memory, as `relance demo` plays them on the embedded AWS."""
    pipeline = MemoryPipeline.start(START)
    replay(
        pipeline,
        ("customers.csv", (DEMO / "customers.csv").read_bytes()),
        ("invoices.csv", (DEMO / "invoices.csv").read_bytes()),
        payments_by_date("payments.csv", (DEMO / "payments.csv").read_bytes()),
        actions_by_date((DEMO / "actions.csv").read_bytes()),
        START,
        168,
    )
    return pipeline


def test_the_bus_event_example_is_the_demo_s_suspension_as_published(demo: MemoryPipeline) -> None:
    [example] = [json.loads(block) for block in blocks("json") if '"dispatch_id"' in block]
    published = [
        detail
        for kind, detail in demo.ctx.bus.published
        if kind == "CustomerSuspensionRequested" and detail["dispatch_id"] == example["dispatch_id"]
    ]
    assert len(published) == 1
    [detail] = published
    # The README abbreviates the notice's SHA-256 as "...".
    for shown, real in zip(example["evidence"], detail["evidence"], strict=True):
        assert shown["sha256"] == "..."
        assert re.fullmatch(r"[0-9a-f]{64}", real["sha256"])
        shown["sha256"] = real["sha256"]
    assert example == detail


def test_the_interest_example_prints_what_the_readme_says() -> None:
    [command] = [
        line for block in blocks("sh") for line in block.splitlines() if line.startswith("relance interest")
    ]
    output = io.StringIO()
    with redirect_stdout(output):
        assert main(shlex.split(command)[1:]) == 0
    result = json.loads(output.getvalue())

    said = section("### Late-payment interest")
    fields = re.findall(r"`(\w+)`\s+\(", said)
    assert {"periods", "interest", "indemnity"} <= set(fields)
    assert [field for field in fields if field not in result] == []
    figures = dict(re.findall(r"`(interest|indemnity)`\s+\(([\d.]+)\)", said))
    assert figures == {"interest": result["interest"], "indemnity": result["indemnity"]}
    assert set(result["periods"][0]) == {"from", "to", "days", "rate", "balance", "interest"}


def test_the_timeline_table_names_every_field_and_every_kind(demo: MemoryPipeline) -> None:
    rows = table_rows(section("`timeline.json` is a list of events"))
    documented = {name.strip() for first in rows for name in first.split(",")} - {"field"}
    entries = timeline(demo.ctx)

    assert documented == set(entries[0])
    kinds = set(re.findall(r"`(\w+)`", rows["kind"][0]))
    assert {entry["kind"] for entry in entries} <= kinds <= {kind.value for kind in EventKind}
    # What people and customers add, which the demo's files do not all show.
    assert {"call", "letter", "reply", "status", "delivery"} <= kinds


def test_the_default_policy_table_is_the_shipped_policy() -> None:
    rows = table_rows(section("### Escalation policies"))
    policy = load_policies().get("fr-b2b-standard")

    for step in policy.steps:
        when = rows[step.id][0]
        offset = f"{step.offset_days:+d} days" if step.offset_days > 0 else f"{-step.offset_days} days before"
        assert offset in when, step.id
    assert [name for name in rows if name not in {"step"}] == [step.id for step in policy.steps]


def test_every_command_line_shown_is_one_the_command_accepts() -> None:
    parser = build_parser()
    lines = [
        line.split("  #")[0].strip()
        for block in blocks("sh")
        for line in block.replace("\\\n", " ").splitlines()
        if line.startswith("relance ")
    ]
    assert len(lines) >= 15
    for line in lines:
        # "[--json]" marks an option shown as optional: the line must parse with it and without it.
        required = re.sub(r"\s*\[[^\]]*\]", "", line)
        optional = re.sub(r"\[([^\]]*)\]", r"\1", line)
        for variant in {required, optional}:
            if "F]" in line or "YYYY" in line:  # the synopsis of `relance demo`, not an example
                continue
            try:
                parser.parse_args(shlex.split(variant)[1:])
            except SystemExit:
                pytest.fail(f"the README shows a command the CLI refuses: {variant}")
