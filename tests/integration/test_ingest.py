"""Ingest end to end on the embedded AWS (moto over HTTP): files in incoming/, items in DynamoDB, reports."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pynamodb.connection.base import Connection

from relance.adapters.dynamo.mapping import customer_from_record
from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord
from relance.ingest.report import IngestReport
from relance.services.ingest import ingest_object
from relance_tools.local_pipeline import LocalPipeline

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

CUSTOMERS = (
    "Code client;Raison sociale;Email;Langue;Type;Adresse;Code postal;Ville\r\n"
    "C1;Dupont SARL;compta@dupont.example;fr;B2B;12 rue des Lilas;69001;Lyon\r\n"
    "C2;Smith Ltd;ap@smith.example;anglais;B2B;1 High Street;EC1A 1BB;London\r\n"
)
INVOICES = (
    "N° facture;Code client;Date;Échéance;Montant TTC\r\n"
    "F-001;C1;02/01/2026;01/02/2026;1 200,00\r\n"
    "F-002;C1;15/01/2026;14/02/2026;350,50\r\n"
    "F-003;C2;20/02/2026;22/03/2026;99,90\r\n"
)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every DynamoDB write pynamodb sends, by operation name."""
    seen: Counter[str] = Counter()
    original = Connection.dispatch

    def dispatch(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        if operation_name in WRITES:
            seen[operation_name] += 1
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", dispatch)
    return seen


def drop(stack: LocalPipeline, key: str, body: bytes | str) -> IngestReport:
    data = body.encode("utf-8") if isinstance(body, str) else body
    stack.runtime.client("s3").put_object(Bucket=stack.runtime.settings.bucket, Key=key, Body=data)
    report = ingest_object(stack.runtime, key)
    if report.error is None:
        # Nothing lost: every row is counted once, as stored, left as it was, applied or rejected.
        outcomes = (
            report.created + report.updated + report.unchanged + report.rejected + report.applied_payments
        )
        assert report.rows == outcomes
        assert report.rejected == len(report.rejections)
    return report


def stored_report(stack: LocalPipeline, key: str) -> dict[str, Any]:
    body = stack.runtime.client("s3").get_object(Bucket=stack.runtime.settings.bucket, Key=key)["Body"].read()
    return json.loads(body)


def all_items() -> list[dict[str, Any]]:
    return [
        item.serialize()
        for model in (CustomerRecord, InvoiceRecord, EventRecord)
        for item in model.scan(consistent_read=True)
    ]


def with_book(stack: LocalPipeline) -> None:
    assert drop(stack, "incoming/customers/clients.csv", CUSTOMERS).created == 2
    assert drop(stack, "incoming/invoices/2026-03.csv", INVOICES).created == 3


def test_a_french_invoices_file_is_stored_and_scheduled_and_its_report_written(stack: LocalPipeline):
    drop(stack, "incoming/customers/clients.csv", CUSTOMERS)

    report = drop(stack, "incoming/invoices/2026-03.csv", INVOICES)

    assert (report.kind, report.rows, report.created, report.rejected) == ("invoices", 3, 3, 0)
    invoice = InvoiceRecord.get("C1", "F-001")
    assert (invoice.total, invoice.amount_paid, invoice.status) == (
        Decimal("1200.00"),
        Decimal("0.00"),
        "open",
    )
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 1, 2), date(2026, 2, 1))
    assert invoice.source_file == "incoming/invoices/2026-03.csv"
    # Overdue on Monday 2 March 2026: in the daily index for today, on its customer's shard.
    assert invoice.next_action_on == date(2026, 3, 2)
    assert invoice.due_shard is not None
    assert invoice.due_shard.startswith("due#")
    saved = stored_report(stack, "reports/ingest/invoices/2026-03.csv.json")
    assert saved["file"] == "incoming/invoices/2026-03.csv"
    assert (saved["rows"], saved["created"], saved["updated"], saved["unchanged"], saved["rejected"]) == (
        3,
        3,
        0,
        0,
        0,
    )
    assert saved["received_at"].startswith("2026-03-02T")


def test_a_malformed_row_is_reported_with_its_reason_and_the_other_rows_are_stored(stack: LocalPipeline):
    drop(stack, "incoming/customers/clients.csv", CUSTOMERS)
    body = INVOICES + "F-004;C1;31/02/2026;14/04/2026;12,00\r\nF-005;C2;01/03/2026;31/03/2026;-5\r\n"

    report = drop(stack, "incoming/invoices/2026-03.csv", body)

    assert (report.rows, report.created, report.rejected) == (5, 3, 2)
    saved = stored_report(stack, "reports/ingest/invoices/2026-03.csv.json")
    assert saved["rejections"] == [
        {
            "line": 5,
            "reason": "issue_date '31/02/2026' is not a date of the calendar (day is out of range for month)",
            "values": {
                "N° facture": "F-004",
                "Code client": "C1",
                "Date": "31/02/2026",
                "Échéance": "14/04/2026",
                "Montant TTC": "12,00",
            },
        },
        {
            "line": 6,
            "reason": "total '-5' is negative; amounts must be positive",
            "values": {
                "N° facture": "F-005",
                "Code client": "C2",
                "Date": "01/03/2026",
                "Échéance": "31/03/2026",
                "Montant TTC": "-5",
            },
        },
    ]
    assert sorted(item.invoice_id for item in InvoiceRecord.scan()) == ["F-001", "F-002", "F-003"]


def test_an_invoice_for_an_unknown_customer_is_rejected_saying_to_upload_customers_first(
    stack: LocalPipeline,
):
    drop(stack, "incoming/customers/clients.csv", CUSTOMERS)

    report = drop(stack, "incoming/invoices/f.csv", INVOICES + "F-009;C404;01/03/2026;31/03/2026;10,00\r\n")

    assert (report.created, report.rejected) == (3, 1)
    [rejection] = report.rejections
    assert rejection.line == 5
    assert rejection.reason.startswith("customer 'C404' is unknown: upload the customers file first")
    assert rejection.values["N° facture"] == "F-009"
    assert not list(InvoiceRecord.query("C404"))


def test_dropping_the_same_files_again_writes_nothing_to_the_tables(
    stack: LocalPipeline, writes: Counter[str]
):
    with_book(stack)
    payments = "facture;date;montant;reference\r\nF-001;03/03/2026;200,00;VIR-77\r\n"
    drop(stack, "incoming/payments/p.csv", payments)
    before = all_items()
    writes.clear()

    customers = drop(stack, "incoming/customers/clients.csv", CUSTOMERS)
    invoices = drop(stack, "incoming/invoices/2026-03.csv", INVOICES)
    again = drop(stack, "incoming/payments/p.csv", payments)

    assert sum(writes.values()) == 0
    assert all_items() == before
    assert (customers.unchanged, customers.created, customers.updated) == (2, 0, 0)
    assert (invoices.unchanged, invoices.created, invoices.updated) == (3, 0, 0)
    assert (again.unchanged, again.applied_payments) == (1, 0)


def test_a_changed_row_updates_only_the_files_fields_and_keeps_the_dunning_state(
    stack: LocalPipeline, writes: Counter[str]
):
    with_book(stack)
    stored = InvoiceRecord.get("C1", "F-001")
    stored.update(
        actions=[
            InvoiceRecord.steps_done.set(["courtesy", "reminder_1"]),
            InvoiceRecord.last_step_on.set(date(2026, 2, 20)),
        ]
    )
    writes.clear()

    report = drop(stack, "incoming/invoices/2026-03.csv", INVOICES.replace("1 200,00", "1 250,00"))

    assert (report.updated, report.unchanged) == (1, 2)
    assert writes == Counter({"UpdateItem": 1})
    invoice = InvoiceRecord.get("C1", "F-001")
    assert invoice.total == Decimal("1250.00")
    assert invoice.steps_done == ["courtesy", "reminder_1"]
    assert invoice.last_step_on == date(2026, 2, 20)


def test_payments_mark_an_invoice_paid_and_another_partly_paid(stack: LocalPipeline):
    with_book(stack)
    payments = (
        "Facture;Date de règlement;Montant;Référence\r\n"
        "F-001;05/03/2026;1 200,00;VIR-1\r\n"
        "F-002;05/03/2026;100,50;VIR-2\r\n"
    )

    report = drop(stack, "incoming/payments/2026-03-05.csv", payments)

    assert (report.kind, report.applied_payments, report.rejected) == ("payments", 2, 0)
    paid = InvoiceRecord.get("C1", "F-001")
    assert (paid.status, paid.paid_on, paid.amount_paid) == ("paid", date(2026, 3, 5), Decimal("1200.00"))
    assert paid.next_action_on is None  # out of the daily index
    assert paid.due_shard is None
    partly = InvoiceRecord.get("C1", "F-002")
    assert (partly.status, partly.amount_paid, partly.total - partly.amount_paid) == (
        "open",
        Decimal("100.50"),
        Decimal("250.00"),
    )
    assert partly.next_action_on is not None  # still chased for the rest
    events = [event for event in EventRecord.query("C1") if event.kind == "payment"]
    assert sorted((event.invoice_ids[0], event.amount) for event in events) == [
        ("F-001", Decimal("1200.00")),
        ("F-002", Decimal("100.50")),
    ]
    # Paid 32 days after its due date (1 February): the customer's payment behaviour counts it.
    customer = CustomerRecord.get("C1")
    assert (customer.late_invoices, customer.average_days_late) == (1, Decimal("32.00"))


def test_the_same_payment_in_two_files_is_applied_once(stack: LocalPipeline):
    with_book(stack)
    line = "F-002;05/03/2026;100,00;VIR-9\r\n"

    first = drop(stack, "incoming/payments/releve-1.csv", "facture;date;montant;reference\r\n" + line)
    second = drop(
        stack,
        "incoming/payments/releve-2.csv",
        "facture;date;montant;reference\r\n" + line + "F-003;06/03/2026;99,90;VIR-10\r\n",
    )

    assert (first.applied_payments, second.applied_payments, second.unchanged) == (1, 1, 1)
    assert InvoiceRecord.get("C1", "F-002").amount_paid == Decimal("100.00")
    assert len([event for event in EventRecord.query("C1") if event.kind == "payment"]) == 1


def test_two_identical_payments_without_reference_in_one_file_are_both_applied_and_only_once(
    stack: LocalPipeline,
):
    with_book(stack)
    payments = "facture;date;montant\r\nF-001;05/03/2026;100,00\r\nF-001;05/03/2026;100,00\r\n"

    first = drop(stack, "incoming/payments/p.csv", payments)
    again = drop(stack, "incoming/payments/p-copy.csv", payments)

    assert (first.applied_payments, again.applied_payments, again.unchanged) == (2, 0, 2)
    assert InvoiceRecord.get("C1", "F-001").amount_paid == Decimal("200.00")


def test_an_overpayment_is_applied_with_a_warning_and_an_unknown_invoice_rejected(stack: LocalPipeline):
    with_book(stack)

    report = drop(
        stack,
        "incoming/payments/p.csv",
        "facture;date;montant\r\nF-003;05/03/2026;100,00\r\nF-404;05/03/2026;10,00\r\n",
    )

    assert (report.applied_payments, report.rejected) == (1, 1)
    assert [(w.line, w.message) for w in report.warnings] == [(2, "overpaid by 0.10 EUR")]
    assert report.rejections[0].line == 3
    assert report.rejections[0].reason.startswith(
        "invoice 'F-404' is unknown: upload the invoices file first"
    )
    assert InvoiceRecord.get("C2", "F-003").status == "paid"


def test_a_customer_flagged_do_not_dun_leaves_the_daily_index(stack: LocalPipeline):
    with_book(stack)
    assert InvoiceRecord.get("C1", "F-001").next_action_on is not None

    report = drop(
        stack,
        "incoming/customers/clients.csv",
        "customer_id;name;email;do_not_dun\r\nC1;Dupont SARL;compta@dupont.example;oui\r\n",
    )

    assert report.updated == 1
    assert CustomerRecord.get("C1").do_not_dun is True
    assert CustomerRecord.get("C1").address == ["12 rue des Lilas", "69001 Lyon"]  # no column: kept
    assert [InvoiceRecord.get("C1", number).next_action_on for number in ("F-001", "F-002")] == [None, None]


def test_a_factur_x_pdf_creates_its_buyer_and_its_invoice(stack: LocalPipeline):
    report = drop(
        stack, "incoming/invoices/F20260023.pdf", (SAMPLES / "akretion_invoice_EN16931.pdf").read_bytes()
    )

    assert (report.kind, report.format, report.created, report.rejected) == ("e-invoice", "pdf", 1, 0)
    customer = CustomerRecord.get("3654789851")
    assert (customer.name, customer.email, customer.country) == ("LE CLIENT", "buyer@buyer.com", "FR")
    invoice = InvoiceRecord.get("3654789851", "F20260023")
    assert (invoice.total, invoice.due_date, invoice.purchase_order) == (
        Decimal("104.90"),
        date(2026, 3, 2),
        "PO201925478",
    )
    assert "created from the e-invoice buyer" in report.warnings[0].message

    again = drop(
        stack, "incoming/invoices/F20260023-basic.xml", (SAMPLES / "factur-x-basic.xml").read_bytes()
    )

    assert (again.unchanged, again.created) == (1, 0)  # the BASIC XML of the same invoice finds it unchanged


def test_an_avoir_credits_the_invoice_it_references_once(stack: LocalPipeline):
    drop(
        stack,
        "incoming/customers/c.csv",
        "customer_id;name;email\r\nFR19787878784;Ma jolie boutique;compta@boutique.example\r\n",
    )
    drop(
        stack,
        "incoming/invoices/f.csv",
        "invoice_id;customer_id;issue_date;due_date;total\r\nFA-2017-0010;FR19787878784;13/11/2017;13/12/2017;500,00\r\n",
    )
    avoir = (SAMPLES / "validAvoir_FR_type380_BASICWL.pdf").read_bytes()

    first = drop(stack, "incoming/invoices/avoir.pdf", avoir)
    second = drop(stack, "incoming/invoices/avoir-copy.pdf", avoir)

    assert (first.applied_payments, second.applied_payments, second.unchanged) == (1, 0, 1)
    invoice = InvoiceRecord.get("FR19787878784", "FA-2017-0010")
    assert invoice.amount_paid == Decimal("233.47")
    [event] = [event for event in EventRecord.query("FR19787878784") if event.kind == "payment"]
    assert event.occurred_on == date(2017, 11, 16)
    assert event.reason == "credit note AV-2017-0005"


def test_an_unreadable_file_still_gets_a_report_with_its_reason(stack: LocalPipeline):
    report = drop(stack, "incoming/invoices/broken.json", b'[{"invoice_id": "F-1",}]')

    assert report.error is not None
    assert report.error.startswith("the JSON is broken at line 1")
    saved = stored_report(stack, "reports/ingest/invoices/broken.json.json")
    assert saved["error"] == report.error
    assert saved["rows"] == 0


def test_a_file_of_unknown_kind_is_reported_as_such(stack: LocalPipeline):
    report = drop(stack, "incoming/export.csv", "colonne;autre\r\n1;2\r\n")

    assert report.kind == "unknown"
    assert report.error is not None
    assert report.error.startswith("cannot tell what 'export.csv' holds")
    assert stored_report(stack, "reports/ingest/export.csv.json")["kind"] == "unknown"


def test_the_ingest_handler_reads_the_s3_notification_and_returns_the_summary(stack: LocalPipeline):
    drop(stack, "incoming/customers/clients.csv", CUSTOMERS)

    result = stack.upload("incoming/invoices/factures-mars-2026.csv", INVOICES.encode("cp1252"))

    [summary] = result["files"]
    assert (summary["kind"], summary["created"], summary["rejected"]) == ("invoices", 3, 0)
    assert summary["report_key"] == "reports/ingest/invoices/factures-mars-2026.csv.json"
    assert InvoiceRecord.get("C1", "F-001").total == Decimal("1200.00")


def test_an_einvoice_whose_unknown_buyer_has_no_email_is_rejected_saying_what_to_do(stack: LocalPipeline):
    report = drop(stack, "incoming/invoices/12115118.xml", (SAMPLES / "ubl-tc434-example1.xml").read_bytes())

    assert (report.created, report.rejected) == (0, 1)
    assert report.rejections[0].reason.startswith(
        "the buyer 'ODIN 59' (ids: 10202, ODIN 59) is not a known customer"
    )
    assert "upload the customers file first" in report.rejections[0].reason
    assert not list(CustomerRecord.scan())


def test_a_storage_failure_midway_leaves_a_report_and_fails_the_invocation_for_a_retry(
    stack: LocalPipeline, monkeypatch: pytest.MonkeyPatch
):
    drop(stack, "incoming/customers/clients.csv", CUSTOMERS)

    def unavailable(records: object) -> None:
        raise RuntimeError("DynamoDB is throttling")

    monkeypatch.setattr(stack.runtime.invoices, "create_many", unavailable)

    with pytest.raises(RuntimeError, match="throttling"):
        drop(stack, "incoming/invoices/2026-03.csv", INVOICES)

    saved = stored_report(stack, "reports/ingest/invoices/2026-03.csv.json")
    assert saved["error"].startswith("stopped while storing (RuntimeError: DynamoDB is throttling)")
    monkeypatch.undo()
    assert drop(stack, "incoming/invoices/2026-03.csv", INVOICES).created == 3


def test_a_payment_that_makes_a_customer_a_repeat_late_payer_replans_its_other_invoices(stack):
    """policies/selection/rules.yaml sends business customers with 3 late invoices to the strict policy."""
    rt = stack.runtime
    stack.upload("incoming/customers/c.csv", b"customer_id;name;email\nC1;Client;c1@client.example\n")
    stack.upload(
        "incoming/invoices/f.csv",
        b"invoice_id;customer_id;issue_date;due_date;total\n"
        b"F1;C1;2026-01-02;2026-01-20;100,00\nF2;C1;2026-01-02;2026-01-21;100,00\n"
        b"F3;C1;2026-01-02;2026-01-22;100,00\nOPEN;C1;2026-02-20;2026-03-20;100,00\n",
    )
    before = InvoiceRecord.get("C1", "OPEN").next_action_on

    stack.upload(
        "incoming/payments/p.csv",
        b"invoice_id;paid_on;amount\nF1;2026-02-25;100\nF2;2026-02-26;100\nF3;2026-02-27;100\n",
    )

    customer = customer_from_record(CustomerRecord.get("C1"))
    assert customer.late_invoices == 3
    assert rt.policy_for(customer).name == "strict"
    # strict: courtesy five days before the due date (Sunday 15, so Monday 16); standard: three.
    assert (before, InvoiceRecord.get("C1", "OPEN").next_action_on) == (date(2026, 3, 17), date(2026, 3, 16))
