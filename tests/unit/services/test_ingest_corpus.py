"""Every hostile file of tests/fixtures/bad through the ingest service: a clear report, and nothing lost.

The readers' own test (tests/unit/ingest/test_bad_corpus.py) checks what each file reads as; this one drops
each file on a stack in memory holding the corpus's book, as S3 would, and checks the report the finance
team gets: rows in = rows stored + rows rejected, each rejection with its reason, or the whole file refused
with a reason it can act on.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from relance.adapters.memory import memory_context
from relance.adapters.memory.context import ManualClock
from relance.domain.models import Customer, Invoice
from relance.rendering.summary import SummaryRenderer
from relance.services.ingest import ingest_object
from tests.conftest import FIGURES
from tests.fixtures.bad.corpus import CorpusCase, corpus_today, load_corpus

CASES = load_corpus()


def stack(empty: bool):
    clock = ManualClock()
    ctx = memory_context(clock=clock, renderer=SummaryRenderer())
    clock.now = ctx.calendar.at_opening(corpus_today()) + timedelta(minutes=5)
    if not empty:
        # The corpus's book: customers C1, C2, C3; open EUR invoices F-1 to F-5 of C1, 1 200,00 each.
        customers = [Customer(f"C{n}", f"Client {n}", f"c{n}@client.example") for n in (1, 2, 3)]
        invoices = [
            Invoice(f"F-{n}", "C1", corpus_today() - timedelta(days=40), corpus_today(), "EUR", Decimal(1200))
            for n in range(1, 6)
        ]
        ctx.book.create(customers, invoices)
    return ctx


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_file_gets_a_clear_report_and_every_row_is_stored_or_rejected(
    case: CorpusCase, record_property
):
    service = dict(case.service or {})
    ctx = stack(empty=service.get("book") == "empty")
    ctx.store.put_file(case.key, case.body(), "application/octet-stream")

    report = ingest_object(ctx, case.key)

    stored_report = ctx.store.read(report.key)
    assert stored_report  # the report is next to the file, whatever happened
    stored = report.created + report.updated + report.unchanged + report.applied_payments
    refused = report.error is not None
    # A file refused whole stores nothing and says why (the team fixes it and drops it again).
    figures = {"files": 1, "refused whole with a reason": int(refused), "rows in": 0, "stored": 0}
    if not refused:
        figures |= {"rows in": report.rows, "stored": stored, "rejected with a reason": report.rejected}
        figures["lost"] = report.rows - stored - report.rejected
    record_property(FIGURES, ("bad-input corpus", figures))
    if case.error is not None:
        assert report.error is not None
        assert case.error in report.error
        assert report.created + report.updated + report.applied_payments == 0
        return
    assert report.error is None, report.error
    assert report.rows == case.rows
    assert stored + report.rejected == report.rows
    # What the readers refuse is refused; storing may refuse more (a customer the book does not have).
    assert report.rejected >= case.rejected + int(service.get("rejected", 0))
    assert all(rejection.reason.strip() for rejection in report.rejections)
    reasons = " | ".join(rejection.reason for rejection in report.rejections)
    for reason in (*case.reasons, *service.get("reasons", ())):
        assert reason in reasons
    warnings = " | ".join(warning.message for warning in report.warnings)
    for warning in case.warnings:
        assert warning in warnings


def test_a_file_of_valid_rows_around_bad_ones_stores_the_valid_rows():
    """One bad cell no longer sends the whole file to the dead-letter queue: the rest is stored."""
    [case] = [case for case in CASES if case.name == "val-huge-amounts.csv"]
    ctx = stack(empty=False)
    ctx.store.put_file(case.key, case.body(), "application/octet-stream")

    report = ingest_object(ctx, case.key)

    assert report.rejected >= 1
    assert report.created + report.updated + report.unchanged + report.applied_payments >= 1
