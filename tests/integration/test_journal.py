"""The journal on moto's server: the escalation log's DynamoDB stream, read as Lambda's event source mapping
reads it, through the real journal handler. A lever run from the command line (another process, as on a
person's laptop) and a payment read from a file both reach the journal with the customer's name."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest

from relance.bootstrap import Runtime, use_runtime
from relance_tools.devstack import EmbeddedAws, register_stack, repository_root
from relance_tools.local_pipeline import LocalPipeline
from tests.journal_samples import captured_log, logged
from tests.unit.services.driver import client

pytestmark = pytest.mark.integration

CUSTOMERS = (
    "Code client;Raison sociale;Email;Langue;Type;Adresse;Code postal;Ville\r\n"
    "C1;Dupont SARL;compta@dupont.example;fr;B2B;12 rue des Lilas;69001;Lyon\r\n"
)
INVOICES = (
    "N° facture;Code client;Date;Échéance;Montant TTC\r\n"
    "F-001;C1;02/01/2026;01/02/2026;1 200,00\r\n"
    "F-002;C1;15/01/2026;14/02/2026;350,50\r\n"
)
PAYMENTS = "invoice_id;paid_on;amount;reference\r\nF-002;02/03/2026;350,50;VIR-90001\r\n"


def stream_arn_of(rt: Runtime) -> str:
    """The escalation log's stream, which the embedded stack enables as template.yaml declares it."""
    table = rt.client("dynamodb").describe_table(TableName=rt.settings.events_table)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    return str(table["LatestStreamArn"])


def relance(aws: EmbeddedAws, stack: LocalPipeline, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The `relance` command in a process of its own, on the embedded stack, as on a person's laptop."""
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [
            sys.executable,
            "-c",
            "import sys; from relance_tools.cli import main; sys.exit(main(sys.argv[1:]))",
            *arguments,
            "--stack",
            stack.stack.stack_name,
            "--endpoint",
            aws.endpoint,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=repository_root(),
    )


def invoke_journal(stack: LocalPipeline, event: dict[str, Any]) -> tuple[dict[str, Any], io.StringIO]:
    """The journal handler's response, and what it and the services logged."""
    log = stack.log_stream = io.StringIO()
    use_runtime(Runtime(stack.runtime.settings, clock=stack.runtime.clock))
    try:
        with captured_log(log):
            response = stack.invoke("journal", event)
    finally:
        use_runtime(stack.runtime)
        stack.log_stream = None
    return response, log


def test_a_lever_from_the_cli_and_a_payment_from_a_file_reach_the_journal_with_the_name(
    stack: LocalPipeline, aws: EmbeddedAws
):
    rt = stack.runtime
    stream_arn_of(rt)  # enabled as template.yaml declares it
    stack.upload("incoming/customers/clients.csv", CUSTOMERS.encode("utf-8"))
    stack.upload("incoming/invoices/factures.csv", INVOICES.encode("utf-8"))
    register_stack(stack.stack, simulated_today="2026-03-02")

    lever = relance(
        aws,
        stack,
        "pause",
        "F-001",
        "--reason",
        "dispute",
        "--note",
        "quantity disputed in the email of 27/02",
        "--actor",
        "marie.martin",
    )
    assert lever.returncode == 0, lever.stderr
    stack.upload("incoming/payments/virements.csv", PAYMENTS.encode("utf-8"))

    response, log = invoke_journal(stack, {"Records": stack.stream_records()})

    assert response == {"batchItemFailures": []}
    journal = logged(log)
    # The lever's save also opened the customer's case (its invoices are overdue): logged with it.
    assert sorted(line["kind"] for line in journal) == ["case", "payment", "status"]
    assert {line["customer_name"] for line in journal} == {"Dupont SARL"}
    lines = {line["kind"]: line for line in journal}
    dispute, payment = lines["status"], lines["payment"]
    assert (dispute["customer_name"], dispute["invoice_ids"], dispute["step"]) == (
        "Dupont SARL",
        "F-001",
        "disputed",
    )
    assert (dispute["actor"], dispute["attention"]) == ("marie.martin", "disputed")
    assert (payment["customer_name"], payment["invoice_ids"]) == ("Dupont SARL", "F-002")
    assert (payment["amount"], payment["currency"]) == ("350.50", "EUR")
    assert payment["actor"] == "file:incoming/payments/virements.csv"
    # The lines are the log's own entries: same keys.
    logged_keys = {(e.customer_id, e.event_key) for e in rt.events.for_customer("C1")}
    assert {(line["customer_id"], line["event_key"]) for line in journal} == logged_keys

    # The same file from a person's laptop: `relance history` in another process reads the whole case.
    history = relance(aws, stack, "history", "C1")
    assert history.returncode == 0, history.stderr
    assert "C1 Dupont SARL" in history.stdout
    assert "C1-EUR-1" in history.stdout
    timeline = history.stdout.split("Timeline", 1)[1]
    for said in ("opened", "disputed", "marie.martin", "payment", "file:incoming/payments/virements.csv"):
        assert said in timeline


def test_a_batch_delivered_twice_logs_its_lines_again_with_the_same_keys(stack: LocalPipeline):
    """At least once: the second delivery repeats the lines, which the saved queries count once by key."""
    rt = stack.runtime
    stream_arn_of(rt)  # enabled as template.yaml declares it
    stack.upload("incoming/customers/clients.csv", CUSTOMERS.encode("utf-8"))
    stack.upload("incoming/invoices/factures.csv", INVOICES.encode("utf-8"))
    stack.upload("incoming/payments/virements.csv", PAYMENTS.encode("utf-8"))
    event = {"Records": stack.stream_records()}

    first = logged(invoke_journal(stack, event)[1])
    again = logged(invoke_journal(stack, event)[1])

    assert [line["event_key"] for line in first] == [line["event_key"] for line in again]
    assert "payment" in {line["kind"] for line in first}


def test_the_handler_reads_the_recorded_stream_event(stack: LocalPipeline):
    """events/dynamodb-stream.json: a formal notice, a plan break written without the customer's name (read
    from the customers table), and an item removed by hand."""
    stack.runtime.book.create(customers=[client("C1", name="Dupont SARL")])
    event = json.loads((repository_root() / "events" / "dynamodb-stream.json").read_text(encoding="utf-8"))

    response, log = invoke_journal(stack, event)

    assert response == {"batchItemFailures": []}
    lines = logged(log)
    assert [(line["kind"], line["customer_name"], line.get("attention")) for line in lines] == [
        ("escalation", "Dupont SARL", "letter to post"),
        ("status", "Dupont SARL", "plan broken"),
    ]
    [removed] = logged(log, "escalation log item changed")
    assert (removed["level"], removed["change"]) == ("WARNING", "REMOVE")
    [batch] = logged(log, "journal batch")
    assert (batch["logged"], batch["changed"]) == (2, 1)
