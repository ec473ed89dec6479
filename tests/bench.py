"""`make bench`: speed and cost figures, printed, never asserted by timed tests.

Targets (issue 5): at most 5 ms per email render and 20 ms per formal-notice PDF on a 2-core machine; the
hand-off summary is printed too (one per file handed off, no target).
"""

from __future__ import annotations

import os
import statistics
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


def _case_email(template: str, count: int) -> tuple[str, dict]:
    """The render context of a case message naming `count` overdue invoices, built as the dunning service
    builds it (tests.unit.rendering.contexts holds the same shapes for the template tests)."""
    from relance.domain.cases import CaseAction
    from relance.domain.models import Invoice, MessageKind
    from relance.domain.policy import Action
    from relance.services import messages
    from relance.services.penalties import claims_for
    from tests.unit.rendering import contexts

    step = contexts.step_for(template)
    debtor = contexts.customer(True, "fr")
    bills = [
        Invoice(
            f"F2026-{n:04d}",
            debtor.customer_id,
            date(2026, 1, 2),
            date(2026, 2, 2) + timedelta(days=n % 20),
            "EUR",
            Decimal("1234.56") * (n + 1),
        )
        for n in range(count)
    ]
    case = contexts.case_before(step, bills)
    letter = tuple(bills) if Action.LETTER in step.actions else ()
    action = CaseAction(case, step, MessageKind.STEP, 0, tuple(bills), letter)
    claims = claims_for("FR", debtor, bills, contexts.TODAY) if step.claim_penalties else {}
    context = messages.message_context(
        company=contexts.company(True),
        customer=debtor,
        parts=messages.MessageParts(step=step, actions=(action,), upcoming=()),
        today=contexts.TODAY,
        account_manager=None,
        claims=claims,
    )
    return step.template, context


def bench_rendering() -> list[tuple[str, str]]:
    from relance.rendering.environment import render_email
    from relance.rendering.pdf import formal_notice_pdf, handoff_summary_pdf
    from relance.services.penalties import claims_for
    from tests.unit.rendering import contexts

    template, five = _case_email("reminder_2", 5)
    _, many = _case_email("reminder_3", 25)
    letter = contexts.letter_context("fr")
    handoff = contexts.handoff_context("fr")
    debtor, bills = contexts.customer(True, "fr"), contexts.invoices(True)
    email_median, email_p95 = median_ms(lambda: render_email(template, five), 300)
    many_median, many_p95 = median_ms(lambda: render_email("reminder_3", many), 100)
    pdf_median, pdf_p95 = median_ms(lambda: formal_notice_pdf(letter), 60)
    pack_median, pack_p95 = median_ms(lambda: handoff_summary_pdf(handoff), 60)
    claim_median, _ = median_ms(lambda: claims_for("FR", debtor, bills, contexts.TODAY), 300)
    return [
        (
            "email render (reminder_2, 5 invoices, text + HTML)",
            f"{email_median:.2f} ms median, {email_p95:.2f} ms p95 (target <= 5 ms)",
        ),
        (
            "email render (reminder_3 with penalties, 25 invoices)",
            f"{many_median:.2f} ms median, {many_p95:.2f} ms p95",
        ),
        (
            f"formal notice PDF ({len(letter['invoices'])} invoices, A4)",
            f"{pdf_median:.2f} ms median, {pdf_p95:.2f} ms p95 (target <= 20 ms)",
        ),
        (
            "hand-off summary PDF (history, notices, payments)",
            f"{pack_median:.2f} ms median, {pack_p95:.2f} ms p95",
        ),
        (f"late-payment claims ({len(bills)} invoices)", f"{claim_median:.3f} ms median"),
    ]


def bench_engine() -> list[tuple[str, str]]:
    from relance.domain.calendar import BusinessCalendar
    from relance.domain.engine import decide
    from relance.domain.models import Customer, Invoice
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
        )
        for n in range(20)
    ]
    median, _ = median_ms(lambda: decide(customer, invoices, policy, calendar, date(2026, 3, 2)), 300)
    return [("engine decision (one customer, 20 open invoices, one case)", f"{median:.3f} ms median")]


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
    # The services' INFO lines (one per planned day) would interleave with the figures; warnings still show.
    from relance import observability

    observability.logger.setLevel("WARNING")
    sections = (
        bench_rendering,
        bench_engine,
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
