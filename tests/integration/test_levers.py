"""The levers through the command line, on the embedded stack found as a deployed one is (describe_stacks).

Each test registers the fresh embedded stack in CloudFormation, as `relance demo --serve` does, and runs
`relance ... --endpoint URL --stack relance-test`: the very code path of a deployed stack, plus the
endpoint. The simulated clock is Monday 2 March 2026.
"""

from __future__ import annotations

import getpass
import io
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from datetime import date
from decimal import Decimal

import pytest

from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord
from relance_tools.cli import main
from relance_tools.devstack import register_stack
from relance_tools.local_pipeline import LocalPipeline

from .seed import add_customer, add_invoice

pytestmark = pytest.mark.integration

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(stack: LocalPipeline) -> Cli:
    register_stack(stack.stack, simulated_today="2026-03-02")

    def run(*args: str) -> tuple[int, str, str]:
        # Not capsys: the handlers' loggers, loaded once per session, must not keep a test's stream.
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main([*args, "--endpoint", stack.aws.endpoint, "--stack", stack.stack.stack_name])
        return code, out.getvalue().strip(), err.getvalue().strip()

    return run


def statuses(customer_id: str) -> list[EventRecord]:
    return [event for event in EventRecord.query(customer_id) if event.kind == "status"]


def reminded(stack: LocalPipeline, customer_id: str = "C1") -> None:
    add_customer(customer_id)
    add_invoice(
        stack.runtime,
        "F1",
        customer_id,
        due=date(2026, 2, 26),
        steps=("courtesy",),
        last_step_on=date(2026, 2, 23),
    )


def test_a_dispute_stops_reminders_and_logs_who_decided(stack: LocalPipeline, cli: Cli):
    reminded(stack)

    code, out, _ = cli(
        "pause", "F1", "--reason", "dispute", "--note", "livraison contestée", "--actor", "julie"
    )
    stack.run_day(date(2026, 3, 2))

    assert code == 0
    assert out == "F1 (C1): disputed; next action: none"
    record = InvoiceRecord.get("C1", "F1")
    assert (record.status, record.next_action_on) == ("disputed", None)
    [event] = statuses("C1")
    assert (event.step, event.actor, event.reason) == ("disputed", "julie", "dispute: livraison contestée")
    assert stack.aws.sent_messages() == []


def test_a_pause_for_another_reason_needs_a_date_then_resumes_by_itself(stack: LocalPipeline, cli: Cli):
    reminded(stack)

    refused = cli("pause", "F1", "--reason", "attente avoir")
    code, out, _ = cli("pause", "F1", "--reason", "attente avoir", "--until", "2026-03-10")

    assert refused[0] == 2
    assert (
        refused[2]
        == "relance pause: a pause for 'attente avoir' needs --until DATE (only a dispute pauses with no end)"
    )
    assert code == 0
    assert out == "F1 (C1): open until 2026-03-10; next action: 2026-03-11"
    [event] = statuses("C1")
    assert (event.step, event.actor, event.reason) == ("paused", getpass.getuser(), "attente avoir")
    assert stack.run_day(date(2026, 3, 2)).planned["customers_queued"] == 0


def test_resume_puts_a_disputed_invoice_back_where_it_stopped(stack: LocalPipeline, cli: Cli):
    reminded(stack)
    cli("pause", "F1", "--reason", "dispute")

    code, out, _ = cli("resume", "F1", "--actor", "marc")
    stack.run_day(date(2026, 3, 2))

    assert code == 0
    assert out == "F1 (C1): open; next action: 2026-03-02"
    assert InvoiceRecord.get("C1", "F1").steps_done == ["courtesy", "reminder_1"]
    assert [(event.step, event.actor) for event in statuses("C1")][-1] == ("open", "marc")


def test_a_promise_pauses_until_its_date_and_refuses_a_date_in_the_past(stack: LocalPipeline, cli: Cli):
    reminded(stack)

    past = cli("promise", "F1", "--until", "2026-02-27")
    _, out, _ = cli("promise", "F1", "--until", "2026-03-20", "--actor", "julie")

    assert past[0] == 2
    assert past[2] == "relance promise: 2026-02-27 is in the past (today is 2026-03-02)"
    assert out == "F1 (C1): promised until 2026-03-20; next action: 2026-03-23"


def test_a_plan_replaces_the_schedule_with_its_instalments(stack: LocalPipeline, cli: Cli):
    reminded(stack)

    short = cli("plan", "F1", "--instalments", "2026-04-10:500.00,2026-05-11:500.00")
    code, out, _ = cli("plan", "F1", "--instalment", "2026-04-10:600.00", "--instalment", "2026-05-11:600.00")

    assert short[0] == 2
    assert short[2] == "relance plan: the instalments sum to 1000.00 EUR but the balance of F1 is 1200.00 EUR"
    assert code == 0
    assert out.startswith("F1 (C1): plan; next action: 2026-04-13")
    record = InvoiceRecord.get("C1", "F1")
    assert record.status == "plan"
    assert [(item.due_on, item.amount) for item in record.plan.instalments] == [
        (date(2026, 4, 10), Decimal("600.00")),
        (date(2026, 5, 11), Decimal("600.00")),
    ]
    [event] = statuses("C1")
    assert json.loads(event.detail)["instalments"] == "2026-04-10:600.00,2026-05-11:600.00"


def test_unknown_and_ambiguous_invoice_numbers_are_one_line_errors(stack: LocalPipeline, cli: Cli):
    reminded(stack, "C1")
    add_customer("C2")
    add_invoice(stack.runtime, "F1", "C2", due=date(2026, 2, 26))

    unknown = cli("resume", "F9")
    ambiguous = cli("resume", "F1")
    chosen = cli("resume", "F1", "--customer", "C2")

    assert unknown[2] == "relance resume: no invoice 'F9'"
    assert (
        ambiguous[2]
        == "relance resume: invoice number 'F1' exists for several customers (C1, C2); pass --customer"
    )
    assert chosen[0] == 0


def test_a_held_dispatch_released_as_not_sent_goes_out_on_the_next_run(stack: LocalPipeline, cli: Cli):
    reminded(stack)
    assert stack.runtime.customers.claim_dispatch(CustomerRecord.get("C1"), "C1#2026-03-02", stack.clock())
    stack.run_day(date(2026, 3, 2))
    assert stack.aws.sent_messages() == []

    code, out, _ = cli("release", "C1", "--actor", "julie", "--note", "SES shows no message for C1 today")
    stack.run_day(date(2026, 3, 3))

    assert code == 0
    assert out == "C1: dispatch C1#2026-03-02 released; the next run sends it"
    assert len(stack.aws.sent_messages()) == 1
    [event] = statuses("C1")
    assert (event.step, event.actor, json.loads(event.detail)["was_sent"]) == ("released", "julie", "no")


def test_a_held_dispatch_released_as_sent_records_its_steps_and_sends_nothing(stack: LocalPipeline, cli: Cli):
    reminded(stack)
    assert stack.runtime.customers.claim_dispatch(CustomerRecord.get("C1"), "C1#2026-03-02", stack.clock())
    stack.run_day(date(2026, 3, 2))

    code, _, _ = cli("release", "C1", "--was-sent", "--actor", "julie")
    stack.run_day(date(2026, 3, 3))

    assert code == 0
    assert stack.aws.sent_messages() == []
    invoice = InvoiceRecord.get("C1", "F1")
    assert invoice.steps_done == ["courtesy", "reminder_1"]
    assert invoice.next_action_on == date(2026, 3, 13)
    kinds = [(event.kind, event.step, event.outcome, event.actor) for event in EventRecord.query("C1")]
    assert ("escalation", "reminder_1", "recorded", "julie") in kinds
    assert ("status", "released", "recorded", "julie") in kinds
    assert CustomerRecord.get("C1").pending_dispatch is None


def test_release_refuses_a_customer_with_nothing_held(stack: LocalPipeline, cli: Cli):
    reminded(stack)

    assert cli("release", "C1")[2] == "relance release: customer C1 has no held dispatch"


def test_the_demo_serves_its_stack_to_the_levers_until_stopped(tmp_path):
    """`relance demo --serve` end to end: the levers find the demo's stack by name on its endpoint."""
    command = [
        sys.executable,
        "-c",
        "import sys; from relance_tools.cli import main; sys.exit(main(sys.argv[1:]))",
    ]
    demo = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [*command, "demo", "--days", "62", "--serve", "--out", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert demo.stdout is not None
        serving = next(line for line in demo.stdout if line.startswith("Embedded AWS serving at"))
        endpoint = serving.split()[4].rstrip(",")
        preview = subprocess.run(  # noqa: S603
            [*command, "preview", "--days", "5", "--json", "--endpoint", endpoint, "--stack", "relance-demo"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        promise = subprocess.run(  # noqa: S603
            [
                *command,
                "promise",
                "F2026-0104",
                "--until",
                "2026-02-20",
                "--endpoint",
                endpoint,
                "--stack",
                "relance-demo",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)

    assert demo.returncode == 0
    assert json.loads(preview.stdout)["from"] == "2026-02-05"  # the demo's last simulated day
    assert promise.stdout.strip() == "F2026-0104 (C004): promised until 2026-02-20; next action: 2026-02-23"
    assert json.loads((tmp_path / "stack.json").read_text(encoding="utf-8"))["endpoint"] == endpoint
