"""Ingest on the in-memory ports: files dropped in incoming/, the book brought up to date with its cases
and daily index settled, a report for every file. The clock is Monday 2 March 2026."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from relance.domain.events import EventKind
from relance.domain.models import CaseState, InvoiceStatus
from relance.ingest.report import IngestReport
from relance.services import levers
from relance.services.ingest import ingest_object

from .driver import customer, drop, events, invoice, pipeline, run_day

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"
MONDAY = date(2026, 3, 2)

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
def ctx():
    return pipeline(MONDAY)


def ingest(ctx, key: str, body: bytes | str) -> IngestReport:
    report = drop(ctx, key, body)
    if report.error is None:
        # Nothing lost: every row is counted once, as stored, left as it was, applied or rejected.
        counted = (
            report.created + report.updated + report.unchanged + report.rejected + report.applied_payments
        )
        assert report.rows == counted
        assert report.rejected == len(report.rejections)
    return report


def stored_report(ctx, key: str) -> dict[str, Any]:
    return json.loads(ctx.store.read(key))


def with_book(ctx) -> None:
    assert ingest(ctx, "incoming/customers/clients.csv", CUSTOMERS).created == 2
    assert ingest(ctx, "incoming/invoices/2026-03.csv", INVOICES).created == 3


def everything(ctx) -> tuple[Any, ...]:
    customers = list(ctx.book.all_customers())
    return (
        customers,
        [ctx.book.invoices_of(item.customer_id) for item in customers],
        [ctx.events.for_customer(item.customer_id) for item in customers],
    )


def test_an_invoices_file_is_stored_its_overdue_invoices_open_a_case_and_its_report_is_written(ctx):
    ingest(ctx, "incoming/customers/clients.csv", CUSTOMERS)

    report = ingest(ctx, "incoming/invoices/2026-03.csv", INVOICES)

    assert (report.kind, report.rows, report.created, report.rejected) == ("invoices", 3, 3, 0)
    stored = invoice(ctx, "F-001")
    assert (stored.total, stored.amount_paid, stored.status) == (Decimal("1200.00"), 0, InvoiceStatus.OPEN)
    assert (stored.issue_date, stored.due_date) == (date(2026, 1, 2), date(2026, 2, 1))
    # The customer carries the index and the case; the invoice carries neither.
    assert stored.legacy_next_action_on is None
    [case] = customer(ctx, "C1").cases
    assert (case.case_id, case.opened_on, case.state, case.steps) == (
        "C1-EUR-1",
        date(2026, 2, 2),
        CaseState.OPEN,
        (),
    )
    assert customer(ctx, "C1").next_action_on == MONDAY
    [opened] = events(ctx, "C1", EventKind.CASE)
    assert (opened.step, opened.invoice_ids, opened.actor) == (
        "opened",
        ("F-001", "F-002"),
        "file:incoming/invoices/2026-03.csv",
    )
    # C2's invoice falls due on Sunday 22 March: its courtesy notice three days before, no case yet.
    assert (customer(ctx, "C2").cases, customer(ctx, "C2").next_action_on) == ((), date(2026, 3, 19))
    saved = stored_report(ctx, "reports/ingest/invoices/2026-03.csv.json")
    assert saved["file"] == "incoming/invoices/2026-03.csv"
    counts = [saved[name] for name in ("rows", "created", "updated", "unchanged", "rejected")]
    assert counts == [3, 3, 0, 0, 0]
    assert saved["received_at"].startswith("2026-03-02T")


def test_a_file_in_windows_1252_is_read_as_such(ctx):
    ingest(ctx, "incoming/customers/clients.csv", CUSTOMERS)

    report = ingest(ctx, "incoming/invoices/factures-mars-2026.csv", INVOICES.encode("cp1252"))

    assert (report.created, report.rejected) == (3, 0)
    assert invoice(ctx, "F-001").total == Decimal("1200.00")


def test_a_malformed_row_is_reported_with_its_reason_and_the_other_rows_are_stored(ctx):
    ingest(ctx, "incoming/customers/clients.csv", CUSTOMERS)
    body = INVOICES + "F-004;C1;31/02/2026;14/04/2026;12,00\r\nF-005;C2;01/03/2026;31/03/2026;-5\r\n"

    report = ingest(ctx, "incoming/invoices/2026-03.csv", body)

    assert (report.rows, report.created, report.rejected) == (5, 3, 2)
    saved = stored_report(ctx, "reports/ingest/invoices/2026-03.csv.json")
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
    stored = [item.invoice_id for who in ("C1", "C2") for item in ctx.book.invoices_of(who)]
    assert stored == ["F-001", "F-002", "F-003"]


def test_an_invoice_for_an_unknown_customer_is_rejected_saying_to_upload_customers_first(ctx):
    ingest(ctx, "incoming/customers/clients.csv", CUSTOMERS)

    report = ingest(ctx, "incoming/invoices/f.csv", INVOICES + "F-009;C404;01/03/2026;31/03/2026;10,00\r\n")

    assert (report.created, report.rejected) == (3, 1)
    [rejection] = report.rejections
    assert rejection.line == 5
    assert rejection.reason.startswith("customer 'C404' is unknown: upload the customers file first")
    assert rejection.values["N° facture"] == "F-009"
    assert ctx.book.invoices_of("C404") == []


def test_dropping_the_same_files_again_writes_nothing_but_their_reports(ctx):
    with_book(ctx)
    payments = "facture;date;montant;reference\r\nF-001;03/03/2026;200,00;VIR-77\r\n"
    ingest(ctx, "incoming/payments/p.csv", payments)
    before, writes = everything(ctx), ctx.book.writes

    customers = ingest(ctx, "incoming/customers/clients.csv", CUSTOMERS)
    invoices = ingest(ctx, "incoming/invoices/2026-03.csv", INVOICES)
    again = ingest(ctx, "incoming/payments/p.csv", payments)

    assert ctx.book.writes == writes
    assert everything(ctx) == before
    assert (customers.unchanged, customers.created, customers.updated) == (2, 0, 0)
    assert (invoices.unchanged, invoices.created, invoices.updated) == (3, 0, 0)
    assert (again.unchanged, again.applied_payments) == (1, 0)


def test_a_changed_row_updates_that_invoice_alone_and_leaves_the_case_where_it_stands(ctx):
    with_book(ctx)
    run_day(ctx, MONDAY)  # the case's first reminder names F-001 and F-002
    case, writes = customer(ctx, "C1").cases, ctx.book.writes

    report = ingest(ctx, "incoming/invoices/2026-03.csv", INVOICES.replace("1 200,00", "1 250,00"))

    assert (report.updated, report.unchanged) == (1, 2)
    assert ctx.book.writes == writes + 1
    assert invoice(ctx, "F-001").total == Decimal("1250.00")
    assert customer(ctx, "C1").cases == case
    assert case[0].step_ids == ("reminder_1",)


def test_payments_mark_an_invoice_paid_and_another_partly_paid_and_the_case_goes_on_for_the_rest(ctx):
    with_book(ctx)
    payments = (
        "Facture;Date de règlement;Montant;Référence\r\n"
        "F-001;05/03/2026;1 200,00;VIR-1\r\n"
        "F-002;05/03/2026;100,50;VIR-2\r\n"
    )

    report = ingest(ctx, "incoming/payments/2026-03-05.csv", payments)

    assert (report.kind, report.applied_payments, report.rejected) == ("payments", 2, 0)
    paid = invoice(ctx, "F-001")
    assert (paid.status, paid.paid_on, paid.amount_paid) == (
        InvoiceStatus.PAID,
        date(2026, 3, 5),
        Decimal("1200"),
    )
    partly = invoice(ctx, "F-002")
    assert (partly.status, partly.amount_paid, partly.balance) == (
        InvoiceStatus.OPEN,
        Decimal("100.50"),
        Decimal("250.00"),
    )
    # F-002 is still owed: the case stays open and the customer in the index.
    assert [case.case_id for case in customer(ctx, "C1").cases] == ["C1-EUR-1"]
    assert customer(ctx, "C1").next_action_on is not None
    logged = sorted((e.invoice_ids[0], e.amount) for e in events(ctx, "C1", EventKind.PAYMENT))
    assert logged == [("F-001", Decimal("1200.00")), ("F-002", Decimal("100.50"))]
    # Paid 32 days after its due date (1 February): the customer's payment behaviour counts it.
    assert (customer(ctx, "C1").late_invoices, customer(ctx, "C1").average_days_late) == (1, Decimal("32.00"))


def test_the_last_payment_of_a_case_closes_it_and_takes_the_customer_out_of_the_index(ctx):
    with_book(ctx)

    ingest(
        ctx,
        "incoming/payments/p.csv",
        "facture;date;montant\r\nF-001;05/03/2026;1200\r\nF-002;05/03/2026;350,50\r\n",
    )

    assert customer(ctx, "C1").cases == ()
    assert customer(ctx, "C1").next_action_on is None
    assert {event.step for event in events(ctx, "C1", EventKind.CASE)} == {"opened", "closed"}


def test_the_same_payment_in_two_files_is_applied_once(ctx):
    with_book(ctx)
    line = "F-002;05/03/2026;100,00;VIR-9\r\n"

    first = ingest(ctx, "incoming/payments/releve-1.csv", "facture;date;montant;reference\r\n" + line)
    second = ingest(
        ctx,
        "incoming/payments/releve-2.csv",
        "facture;date;montant;reference\r\n" + line + "F-003;06/03/2026;99,90;VIR-10\r\n",
    )

    assert (first.applied_payments, second.applied_payments, second.unchanged) == (1, 1, 1)
    assert invoice(ctx, "F-002").amount_paid == Decimal("100.00")
    assert len(events(ctx, "C1", EventKind.PAYMENT)) == 1


def test_two_identical_payments_without_reference_in_one_file_are_both_applied_and_only_once(ctx):
    with_book(ctx)
    payments = "facture;date;montant\r\nF-001;05/03/2026;100,00\r\nF-001;05/03/2026;100,00\r\n"

    first = ingest(ctx, "incoming/payments/p.csv", payments)
    again = ingest(ctx, "incoming/payments/p-copy.csv", payments)

    assert (first.applied_payments, again.applied_payments, again.unchanged) == (2, 0, 2)
    assert invoice(ctx, "F-001").amount_paid == Decimal("200.00")


def test_an_overpayment_is_applied_with_a_warning_and_an_unknown_invoice_rejected(ctx):
    with_book(ctx)

    report = ingest(
        ctx,
        "incoming/payments/p.csv",
        "facture;date;montant\r\nF-003;02/03/2026;100,00\r\nF-404;02/03/2026;10,00\r\n",
    )

    assert (report.applied_payments, report.rejected) == (1, 1)
    assert [(w.line, w.message) for w in report.warnings] == [(2, "overpaid by 0.10 EUR")]
    assert report.rejections[0].line == 3
    assert report.rejections[0].reason.startswith(
        "invoice 'F-404' is unknown: upload the invoices file first"
    )
    assert invoice(ctx, "F-003", "C2").status is InvoiceStatus.PAID


def test_a_customer_flagged_do_not_dun_leaves_the_daily_index_and_keeps_what_the_file_omits(ctx):
    with_book(ctx)
    assert customer(ctx, "C1").next_action_on is not None

    report = ingest(
        ctx,
        "incoming/customers/clients.csv",
        "customer_id;name;email;do_not_dun\r\nC1;Dupont SARL;compta@dupont.example;oui\r\n",
    )

    assert report.updated == 1
    flagged = customer(ctx, "C1")
    assert (flagged.do_not_dun, flagged.next_action_on) == (True, None)
    assert flagged.address == ("12 rue des Lilas", "69001 Lyon")  # no column: kept
    assert run_day(ctx, MONDAY).planned.customers_queued == 0


def test_a_factur_x_pdf_creates_its_buyer_and_its_invoice_and_its_xml_finds_it_unchanged(ctx):
    report = ingest(
        ctx, "incoming/invoices/F20260023.pdf", (SAMPLES / "akretion_invoice_EN16931.pdf").read_bytes()
    )

    assert (report.kind, report.format, report.created, report.rejected) == ("e-invoice", "pdf", 1, 0)
    buyer = customer(ctx, "3654789851")
    assert (buyer.name, buyer.email, buyer.country) == ("LE CLIENT", "buyer@buyer.com", "FR")
    stored = invoice(ctx, "F20260023", "3654789851")
    assert (stored.total, stored.due_date, stored.purchase_order) == (
        Decimal("104.90"),
        date(2026, 3, 2),
        "PO201925478",
    )
    assert "created from the e-invoice buyer" in report.warnings[0].message

    again = ingest(
        ctx, "incoming/invoices/F20260023-basic.xml", (SAMPLES / "factur-x-basic.xml").read_bytes()
    )

    assert (again.unchanged, again.created) == (1, 0)


def test_an_avoir_credits_the_invoice_it_references_once(ctx):
    ingest(
        ctx,
        "incoming/customers/c.csv",
        "customer_id;name;email\r\nFR19787878784;Ma jolie boutique;compta@boutique.example\r\n",
    )
    ingest(
        ctx,
        "incoming/invoices/f.csv",
        "invoice_id;customer_id;issue_date;due_date;total\r\n"
        "FA-2017-0010;FR19787878784;13/11/2017;13/12/2017;500,00\r\n",
    )
    avoir = (SAMPLES / "validAvoir_FR_type380_BASICWL.pdf").read_bytes()

    first = ingest(ctx, "incoming/invoices/avoir.pdf", avoir)
    second = ingest(ctx, "incoming/invoices/avoir-copy.pdf", avoir)

    assert (first.applied_payments, second.applied_payments, second.unchanged) == (1, 0, 1)
    assert invoice(ctx, "FA-2017-0010", "FR19787878784").amount_paid == Decimal("233.47")
    [event] = events(ctx, "FR19787878784", EventKind.PAYMENT)
    assert (event.occurred_on, event.reason) == (date(2017, 11, 16), "credit note AV-2017-0005")


def test_an_unreadable_file_still_gets_a_report_with_its_reason(ctx):
    report = ingest(ctx, "incoming/invoices/broken.json", b'[{"invoice_id": "F-1",}]')

    assert report.error is not None
    assert report.error.startswith("the JSON is broken at line 1")
    saved = stored_report(ctx, "reports/ingest/invoices/broken.json.json")
    assert (saved["error"], saved["rows"]) == (report.error, 0)


def test_a_file_of_unknown_kind_is_reported_as_such(ctx):
    report = ingest(ctx, "incoming/export.csv", "colonne;autre\r\n1;2\r\n")

    assert report.kind == "unknown"
    assert report.error is not None
    assert report.error.startswith("cannot tell what 'export.csv' holds")
    assert stored_report(ctx, "reports/ingest/export.csv.json")["kind"] == "unknown"


def test_a_file_missing_from_the_bucket_gets_a_report_saying_so(ctx):
    report = ingest_object(ctx, "incoming/invoices/gone.csv")

    assert report.error is not None
    assert report.error.startswith("the file cannot be read from the bucket")
    assert stored_report(ctx, "reports/ingest/invoices/gone.csv.json")["error"] == report.error


def test_an_einvoice_whose_unknown_buyer_has_no_email_is_rejected_saying_what_to_do(ctx):
    report = ingest(ctx, "incoming/invoices/12115118.xml", (SAMPLES / "ubl-tc434-example1.xml").read_bytes())

    assert (report.created, report.rejected) == (0, 1)
    assert report.rejections[0].reason.startswith(
        "the buyer 'ODIN 59' (ids: 10202, ODIN 59) is not a known customer"
    )
    assert "upload the customers file first" in report.rejections[0].reason
    assert list(ctx.book.all_customers()) == []


def test_a_storage_failure_midway_leaves_a_report_and_fails_for_a_retry_that_finishes_the_job(
    ctx, monkeypatch
):
    ingest(ctx, "incoming/customers/clients.csv", CUSTOMERS)

    def throttled(*args: object, **kwargs: object) -> None:
        raise RuntimeError("DynamoDB is throttling")

    monkeypatch.setattr(ctx.book, "save", throttled)

    with pytest.raises(RuntimeError, match="throttling"):
        ingest(ctx, "incoming/invoices/2026-03.csv", INVOICES)

    saved = stored_report(ctx, "reports/ingest/invoices/2026-03.csv.json")
    assert saved["error"].startswith("stopped while storing (RuntimeError: DynamoDB is throttling)")
    monkeypatch.undo()
    assert ingest(ctx, "incoming/invoices/2026-03.csv", INVOICES).created == 3


def test_a_payment_that_makes_a_customer_a_repeat_late_payer_replans_it_under_the_strict_policy(ctx):
    """policies/selection/rules.yaml sends business customers with 3 late invoices to the strict policy."""
    ingest(
        ctx,
        "incoming/customers/c.csv",
        "customer_id;name;email\nC1;Client 1;c1@x.example\nC2;Client 2;c2@x.example\n",
    )
    ingest(
        ctx,
        "incoming/invoices/f.csv",
        "invoice_id;customer_id;issue_date;due_date;total\n"
        "A1;C1;2026-01-02;2026-01-20;100,00\nA2;C1;2026-01-02;2026-01-21;100,00\n"
        "A3;C1;2026-01-02;2026-01-22;100,00\nA-OPEN;C1;2026-02-20;2026-03-20;100,00\n"
        "B1;C2;2026-01-02;2026-01-20;100,00\nB2;C2;2026-01-02;2026-01-21;100,00\n"
        "B-OPEN;C2;2026-02-20;2026-03-20;100,00\n",
    )

    ingest(
        ctx,
        "incoming/payments/p.csv",
        "invoice_id;paid_on;amount\nA1;2026-02-25;100\nA2;2026-02-26;100\nA3;2026-02-27;100\n"
        "B1;2026-02-25;100\nB2;2026-02-26;100\n",
    )

    repeat, twice = customer(ctx, "C1"), customer(ctx, "C2")
    assert (repeat.late_invoices, twice.late_invoices) == (3, 2)
    assert ctx.policies.for_customer(repeat).name == "strict"
    assert ctx.policies.for_customer(twice).name == "fr-b2b-standard"
    # Nothing overdue any more: the cases closed. What falls due on Friday 20 March gets its courtesy
    # notice five days before under strict (Sunday 15, so Monday 16), three under the standard policy.
    assert (repeat.cases, twice.cases) == ((), ())
    assert (repeat.next_action_on, twice.next_action_on) == (date(2026, 3, 16), date(2026, 3, 17))


def test_an_invoice_changed_by_the_file_keeps_a_person_s_pause(ctx):
    with_book(ctx)
    levers.pause(ctx, "F-001", "attente avoir", actor="julie", until=date(2026, 3, 20))

    ingest(ctx, "incoming/invoices/2026-03.csv", INVOICES.replace("1 200,00", "1 250,00"))

    changed = invoice(ctx, "F-001")
    assert (changed.total, changed.paused_until, changed.pause_reason) == (
        Decimal("1250.00"),
        date(2026, 3, 20),
        "attente avoir",
    )
