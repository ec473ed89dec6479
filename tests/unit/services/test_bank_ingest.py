"""Bank statements dropped in the bucket: every credit applied to its invoices or reported with a reason.

On a stack in memory, through the ingest service, with the three real statements of tests/fixtures/samples.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from relance.domain.events import EventKind
from relance.domain.models import InvoiceStatus
from relance_tools.replay import MemoryPipeline

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
CUSTOMERS = b"customer_id;name;email\nK1;NAME;k1@client.example\nK2;Autre SARL;k2@client.example\n"


@pytest.fixture
def stack() -> MemoryPipeline:
    pipeline = MemoryPipeline.start(date(2015, 1, 5))
    pipeline.upload("incoming/customers/c.csv", CUSTOMERS)
    return pipeline


def invoices(pipeline: MemoryPipeline, *rows: str) -> None:
    body = "invoice_id;customer_id;issue_date;due_date;currency;total\n" + "\n".join(rows) + "\n"
    pipeline.upload("incoming/invoices/i.csv", body.encode())


@pytest.mark.parametrize(
    ("name", "payments", "not_payments"),
    [
        ("genkgo-camt053.v8.xml", 1, 0),
        ("betterplace-sepa_snippet.sta", 5, 6),  # 8 credits, 3 of them returned (RETOURE), and 3 debits
        ("jejik-rabobank-iban.sta", 0, 4),  # debits only
    ],
)
def test_every_statement_of_the_samples_ingests_and_each_credit_is_applied_or_reported(
    stack: MemoryPipeline, name: str, payments: int, not_payments: int
):
    report = stack.upload(f"incoming/bank/{name}", (SAMPLES / name).read_bytes())

    assert report["error"] is None
    assert report["kind"] == "bank"
    assert report["rows"] == payments
    assert report["applied_payments"] + report["rejected"] == payments
    stored = json.loads(stack.ctx.store.read(f"reports/ingest/bank/{name}.json"))
    assert len(stored["entries"]) == payments
    assert all(
        entry["outcome"] in {"applied", "unmatched"} and entry["reason"] for entry in stored["entries"]
    )
    if not_payments:
        assert any(f"{not_payments} entries are not payments" in w["message"] for w in stored["warnings"])


def test_the_camt053_credit_is_applied_by_its_creditor_reference_and_a_second_drop_changes_nothing(
    stack: MemoryPipeline,
):
    # The SCOR reference of the genkgo sample is the invoice's number; two other invoices are of 8.85 too.
    invoices(
        stack,
        "4654654654654654;K1;01/12/2014;31/12/2014;EUR;8,85",
        "4654654654654655;K1;01/12/2014;31/12/2014;EUR;8,85",
        "9999;K2;01/12/2014;31/12/2014;EUR;8,85",
    )
    body = (SAMPLES / "genkgo-camt053.v8.xml").read_bytes()

    first = stack.upload("incoming/bank/releve.xml", body)
    again = stack.upload("incoming/payments/releve-bis.xml", body)

    assert (first["applied_payments"], first["rejected"]) == (1, 0)
    assert (again["applied_payments"], again["unchanged"]) == (0, 1)
    [paid] = stack.ctx.book.invoices([("K1", "4654654654654654")]).values()
    assert paid.status is InvoiceStatus.PAID
    assert paid.paid_on == date(2014, 12, 31)
    payments = [e for e in stack.ctx.events.for_customer("K1") if e.kind is EventKind.PAYMENT]
    assert len(payments) == 1
    # The payer is now known for K1: a later credit of exactly one open invoice's amount can be matched.
    assert "iban:NL56AGDH9619008421" in stack.ctx.book.customer("K1").payers


def test_a_credit_naming_no_invoice_from_an_unknown_payer_is_reported_with_the_invoices_to_look_at(
    stack: MemoryPipeline,
):
    invoices(
        stack, "4654654654654655;K1;01/12/2014;31/12/2014;EUR;8,85", "9999;K2;01/12/2014;31/12/2014;EUR;8,85"
    )

    report = stack.upload("incoming/bank/releve.xml", (SAMPLES / "genkgo-camt053.v8.xml").read_bytes())

    assert (report["applied_payments"], report["rejected"]) == (0, 1)
    stored = json.loads(stack.ctx.store.read("reports/ingest/bank/releve.xml.json"))
    [rejection] = stored["rejections"]
    assert rejection["reason"].startswith("credit not applied:")


def test_a_credit_for_an_invoice_already_paid_is_reported_as_such_not_as_naming_none(stack: MemoryPipeline):
    """The same statement's credit arrives in a second statement after the invoice was paid by the first (a
    double payment): the report names the invoice as no longer owed, for a person to refund or allocate."""
    invoices(stack, "4654654654654654;K1;01/12/2014;31/12/2014;EUR;8,85")
    body = (SAMPLES / "genkgo-camt053.v8.xml").read_bytes()
    stack.upload("incoming/bank/releve.xml", body)
    # The bank's second statement carries a new transfer (its own reference) for the same invoice.
    second = body.replace(b"<AcctSvcrRef>", b"<AcctSvcrRef>BIS-").replace(b"<NtryRef>", b"<NtryRef>BIS-")

    report = stack.upload("incoming/bank/releve-2.xml", second)

    assert (report["applied_payments"], report["rejected"]) == (0, 1)
    stored = json.loads(stack.ctx.store.read("reports/ingest/bank/releve-2.xml.json"))
    [rejection] = stored["rejections"]
    assert "names 4654654654654654, no longer owed" in rejection["reason"]
