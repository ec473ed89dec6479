"""`make bench`: speed and cost figures, printed, never asserted by timed tests.

Targets (issue 5): at most 5 ms per email render and 20 ms per formal-notice PDF on a 2-core machine; the
hand-off summary is printed too (one per file handed off, no target).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from tests.benchmarks import layer

ROOT = Path(__file__).resolve().parents[1]


def median_ms(work: Callable[[], object], runs: int) -> tuple[float, float]:
    work()  # first call pays template compilation and font loading, as a warm Lambda has
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bench_rendering() -> list[tuple[str, str]]:
    from relance.config import Company
    from relance.domain.models import Customer, Invoice
    from relance.policies import get_policy
    from relance.rendering.environment import render_email
    from relance.rendering.pdf import formal_notice_pdf, handoff_summary_pdf
    from relance.services import documents
    from relance.services.handoff import collection_route
    from relance.services.penalties import claims_for

    company = Company(
        "Atelier Durand SAS",
        "917764672",
        ("12 rue des Ateliers", "75011 Paris"),
        "FR76 3000 6000 0112 3456 7890 189",
        "+33 1 84 00 00 00",
        "compta@durand.example",
    )
    customer = Customer(
        "C1",
        "Transports Bernard SAS",
        "direction@bernard.example",
        siren="914852538",
        address=("2 rue des Routiers", "59000 Lille"),
    )
    invoices = [
        Invoice(
            f"F2026-{n:04d}",
            "C1",
            date(2026, 1, 2),
            date(2026, 2, 2) + timedelta(days=n),
            "EUR",
            Decimal("1234.56") * (n + 1),
        )
        for n in range(5)
    ]
    policy = get_policy("fr-b2b-standard")
    step = policy.steps[policy.index_of("reminder_2")]
    today = date(2026, 3, 23)
    claims = claims_for("FR", customer, invoices, today)
    context = documents.message_context(
        company=company,
        customer=customer,
        step=step,
        acted=[(invoice, step) for invoice in invoices],
        others=[],
        today=today,
        account_manager=None,
        claims=claims,
    )
    letter = documents.letter_context(
        company=company,
        customer=customer,
        invoices=invoices,
        claims=claims,
        currency="EUR",
        today=today,
        deadline=today + timedelta(days=8),
    )
    handoff = documents.handoff_context(
        company=company,
        customer=customer,
        invoices=invoices,
        claims=claims,
        today=today,
        language="fr",
        dispatch_id="C1#2026-03-23",
        history=[
            {
                "on": today - timedelta(days=30 - 7 * n),
                "kind": "escalation",
                "step": step_id,
                "channels": ["email"],
                "outcome": "sent",
                "message_id": f"0102019c-{n:04d}-message-id-from-ses-000000",
                "invoice_ids": [invoice.invoice_id for invoice in invoices],
                "reason": None,
                "actor": "system",
                "delivery": ["delivered"],
                "deliveries": [],
            }
            for n, step_id in enumerate(("reminder_1", "reminder_2", "reminder_3", "formal_notice"))
        ],
        payments=[],
        notices=[
            {
                "on": today - timedelta(days=9),
                "step": "formal_notice",
                "key": "notices/C1/2026/03/2026-03-14-formal_notice-EUR.pdf",
                "sha256": "0" * 64,
                "currency": "EUR",
                "invoice_ids": [invoice.invoice_id for invoice in invoices],
                "deadline": today - timedelta(days=1),
            }
        ],
    )
    handoff["route"] = collection_route("FR", customer, handoff["claims"])
    email_median, email_p95 = median_ms(lambda: render_email(step.template, context), 300)
    pdf_median, pdf_p95 = median_ms(lambda: formal_notice_pdf(letter), 60)
    pack_median, pack_p95 = median_ms(lambda: handoff_summary_pdf(handoff), 60)
    claim_median, _ = median_ms(lambda: claims_for("FR", customer, invoices, today), 300)
    return [
        (
            "email render (reminder_2, 5 invoices, text + HTML)",
            f"{email_median:.2f} ms median, {email_p95:.2f} ms p95 (target <= 5 ms)",
        ),
        (
            "formal notice PDF (5 invoices, A4)",
            f"{pdf_median:.2f} ms median, {pdf_p95:.2f} ms p95 (target <= 20 ms)",
        ),
        (
            "hand-off summary PDF (5 invoices, 4 emails, 1 notice)",
            f"{pack_median:.2f} ms median, {pack_p95:.2f} ms p95",
        ),
        ("late-payment claims (5 invoices)", f"{claim_median:.3f} ms median"),
    ]


def bench_engine() -> list[tuple[str, str]]:
    from relance.domain.calendar import BusinessCalendar
    from relance.domain.engine import decide
    from relance.domain.models import Customer, DunningState, Invoice
    from relance.policies import get_policy

    calendar = BusinessCalendar()
    policy = get_policy("fr-b2b-standard")
    customer = Customer("C1", "X", "x@example.org")
    invoices = [
        Invoice(
            f"F{n}",
            "C1",
            date(2026, 1, 1),
            date(2026, 2, 1) + timedelta(days=n % 40),
            "EUR",
            Decimal("100.00"),
            dunning=DunningState(("courtesy",), date(2026, 1, 28)),
        )
        for n in range(20)
    ]
    median, _ = median_ms(lambda: decide(customer, invoices, policy, calendar, date(2026, 3, 2)), 300)
    return [("engine decision (one customer, 20 open invoices)", f"{median:.3f} ms median")]


def bench_cold_start() -> list[tuple[str, str]]:
    figures = []
    for name in ("ingest", "planner", "worker", "feedback"):
        code = (
            "import time,importlib.util,sys;t=time.perf_counter();"
            f"s=importlib.util.spec_from_file_location('app','{ROOT}/functions/{name}/app.py');"
            "m=importlib.util.module_from_spec(s);s.loader.exec_module(m);"
            "print((time.perf_counter()-t)*1000)"
        )
        runs = sorted(
            float(
                subprocess.run(  # noqa: S603 - our own interpreter on our own handler files
                    [sys.executable, "-c", code],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"},
                ).stdout
            )
            for _ in range(5)
        )
        figures.append((f"cold-start import of functions/{name}/app.py", f"{runs[2]:.0f} ms median of 5"))
    return figures


def bench_pipeline() -> list[tuple[str, str]]:
    """Reads per dispatch and ingest throughput, counted on the embedded AWS (moto times mean nothing)."""
    import warnings

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    os.environ.update(POWERTOOLS_TRACE_DISABLED="true")
    from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord
    from relance_tools.devstack import EmbeddedAws, deploy_stack, verify_sender
    from relance_tools.local_pipeline import LocalPipeline

    aws = EmbeddedAws.start()
    try:
        stack = deploy_stack(
            {"SenderEmail": "bench@creditor.example", "CompanyName": "Bench SAS"}, stack_name="relance-bench"
        )
        verify_sender("bench@creditor.example")
        quiet = open(os.devnull, "w")  # noqa: SIM115 - the handlers' log lines are not the figures
        pipeline = LocalPipeline.start(aws, stack, date(2026, 1, 5), log_stream=quiet)
        customers = 60
        rows = ["customer_id;name;email"] + [
            f"B{n:04d};Client {n};compta{n}@client.example" for n in range(customers)
        ]
        pipeline.upload("incoming/customers/bench.csv", "\n".join(rows).encode())
        invoices = ["invoice_id;customer_id;issue_date;due_date;total"] + [
            f"I{n:05d};B{n % customers:04d};2026-01-02;{date(2026, 1, 12) + timedelta(days=n % 30)};"
            f"{100 + n % 900},{n % 100:02d}"
            for n in range(600)
        ]
        start = time.perf_counter()
        pipeline.upload("incoming/invoices/bench.csv", "\n".join(invoices).encode())
        ingest_seconds = time.perf_counter() - start
        start = time.perf_counter()
        pipeline.upload("incoming/invoices/bench.csv", "\n".join(invoices).encode())
        reupload_seconds = time.perf_counter() - start

        calls: dict[str, int] = {}
        items = {"read": 0}

        def count(http_response: object, parsed: dict, model: object, **kwargs: object) -> None:
            name = model.name  # type: ignore[attr-defined]
            calls[name] = calls.get(name, 0) + 1
            items["read"] += int(parsed.get("Count", 0)) + (
                1 if name == "GetItem" and parsed.get("Item") else 0
            )
            items["read"] += sum(
                len(found) for found in parsed.get("Responses", {}).values() if isinstance(found, list)
            )

        # pynamodb keeps one connection (one botocore client) per model: count on each.
        clients = {
            id(c): c
            for c in (
                model._get_connection().connection.client
                for model in (CustomerRecord, InvoiceRecord, EventRecord)
            )
        }.values()
        for client in clients:
            client.meta.events.register("after-call.dynamodb", count)
        dispatches = 0
        for offset in range(30):
            day = pipeline.run_day(date(2026, 1, 5) + timedelta(days=offset))
            dispatches += sum(1 for item in day.processed if not item["failed"])
        for client in clients:
            client.meta.events.unregister("after-call.dynamodb", count)
        messages = len(aws.sent_messages())
    finally:
        aws.stop()
    return [
        ("ingest 600 invoice rows (moto over HTTP, not AWS)", f"{600 / ingest_seconds:.0f} rows/s"),
        ("re-upload of the same 600 rows (no write)", f"{600 / reupload_seconds:.0f} rows/s"),
        ("30 days, 60 customers: customers processed", f"{dispatches}, {messages} messages sent"),
        (
            "DynamoDB calls per customer processed",
            f"{sum(calls.values()) / max(dispatches, 1):.1f} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(calls.items()))})",
        ),
        ("DynamoDB items read per customer processed", f"{items['read'] / max(dispatches, 1):.1f}"),
    ]


def main() -> None:
    from tests.benchmarks import ingest, replay, replies, scale

    print(f"Relance benchmark on {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}")
    sections = (
        bench_rendering,
        bench_engine,
        bench_cold_start,
        layer.run,
        ingest.run,
        replay.run,
        replies.run,
        bench_pipeline,
        scale.run,
    )
    for section in sections:
        for label, figure in section():
            print(f"  {label:<58} {figure}")


if __name__ == "__main__":
    main()
