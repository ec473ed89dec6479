"""`relance replay`: a book's past, day by day, in memory, with the services the stack runs."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from relance.policies import load_policies
from relance.rendering.summary import SummaryRenderer
from relance_tools.cli import main
from relance_tools.cli.dated_files import actions_by_date, payments_by_date
from relance_tools.invariants import step_ranks, violations
from relance_tools.ledger import INVOICES, write_ledger
from relance_tools.replay import MemoryPipeline, replay

DEMO = Path(__file__).resolve().parents[3] / "demo"


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def demo_args(out: Path) -> list[str]:
    return [
        "replay",
        "--customers", str(DEMO / "customers.csv"),
        "--invoices", str(DEMO / "invoices.csv"),
        "--payments", str(DEMO / "payments.csv"),
        "--actions", str(DEMO / "actions.csv"),
        "--start", "2025-12-06",
        "--days", "169",
        "--out", str(out),
    ]  # fmt: skip


def test_replaying_the_demo_writes_its_timeline_emails_and_notices_with_a_line_a_month(tmp_path):
    code, stdout, stderr = run_cli(*demo_args(tmp_path))

    assert code == 0
    timeline = json.loads((tmp_path / "timeline.json").read_text(encoding="utf-8"))
    steps = [(e["customer_id"], e["step"]) for e in timeline if e["kind"] == "escalation"]
    assert [step for customer, step in steps if customer == "C006"] == [
        "courtesy", "reminder_1", "reminder_2", "reminder_3", "formal_notice", "suspension", "handoff"
    ]  # fmt: skip
    assert len(list((tmp_path / "notices").glob("*.pdf"))) == 4
    assert (
        (tmp_path / "notices" / next((tmp_path / "notices").iterdir()).name).read_bytes().startswith(b"%PDF")
    )
    assert len(list((tmp_path / "emails").glob("*.eml"))) >= 35
    months = [line for line in stderr.splitlines() if line[:7].count("-") == 1 and "dispatches" in line]
    assert [line[:7] for line in months] == ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert "formal notices" in stdout


def test_without_documents_nothing_is_rendered_and_the_same_steps_are_logged(tmp_path):
    run_cli(*demo_args(tmp_path / "full"))
    code, _, _ = run_cli(*demo_args(tmp_path / "bare"), "--no-documents")

    assert code == 0
    assert not (tmp_path / "bare" / "emails").exists()

    def steps(folder: Path) -> list[tuple[str, str, str]]:
        timeline = json.loads((folder / "timeline.json").read_text(encoding="utf-8"))
        return [(e["date"], e["customer_id"], e["step"]) for e in timeline if e["kind"] == "escalation"]

    assert steps(tmp_path / "bare") == steps(tmp_path / "full")


def test_a_two_year_book_of_2466_invoices_replays_with_every_case_invariant_kept(tmp_path):
    files = write_ledger(tmp_path)
    pipeline = MemoryPipeline.start(files.start, SummaryRenderer())
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        replay(
            pipeline,
            ("customers.csv", files.customers.read_bytes()),
            ("invoices.csv", files.invoices.read_bytes()),
            payments_by_date("payments.csv", files.payments.read_bytes()),
            actions_by_date(files.actions.read_bytes()),
            files.start,
            files.days,
        )

    events = pipeline.ctx.events.all_events()
    invoices = sum(
        len(pipeline.ctx.book.invoices_of(c.customer_id)) for c in pipeline.ctx.book.all_customers()
    )
    assert invoices == INVOICES
    assert sum(1 for event in events if event.step == "formal_notice") > 100
    assert violations(events, step_ranks(load_policies().values())) == []
