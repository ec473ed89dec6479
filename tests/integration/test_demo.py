"""`relance demo` end to end: what a finance team would look at after `make demo`."""

from __future__ import annotations

import email
import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from email.policy import default
from pathlib import Path

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.integration
DEMO = Path(__file__).resolve().parents[2] / "demo"


def timeline(out: Path) -> list[dict]:
    return json.loads((out / "timeline.json").read_text(encoding="utf-8"))


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(text.replace("\u00a0", " ").split())


def test_every_email_parses_with_a_text_and_an_html_part(demo: Path):
    messages = sorted((demo / "emails").glob("*.eml"))

    assert len(messages) >= 30
    for path in messages:
        message = email.message_from_bytes(path.read_bytes(), policy=default)
        assert message.get_body(("plain",)) is not None, path.name
        assert message.get_body(("html",)) is not None, path.name
        assert message["Subject"], path.name


def test_the_formal_notice_names_the_debtor_invoices_amount_and_deadline(demo: Path):
    [notice] = sorted((demo / "notices").glob("C004_*formal_notice*.pdf"))

    text = pdf_text(notice)

    assert "MISE EN DEMEURE" in text
    assert "Transports Bernard SAS" in text
    assert "F2026-0104" in text
    assert "12 000,00 €" in text  # principal due
    # The 8 days run from receipt of the registered letter: no calendar date is printed as the deadline.
    assert "sous huit jours à compter de la réception de la présente" in text
    assert "Atelier Durand SAS" in text


def test_the_notice_breakdown_equals_relance_interest_for_the_same_invoice(demo: Path):
    [notice] = sorted((demo / "notices").glob("C004_*formal_notice*.pdf"))
    cli = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from relance_tools.cli import main; sys.exit(main(sys.argv[1:]))",
            "interest",
            "--jurisdiction",
            "FR",
            "--amount",
            "12000.00",
            "--currency",
            "EUR",
            "--due",
            "2026-02-11",
            "--as-of",
            "2026-03-23",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    claim = json.loads(cli.stdout)
    text = pdf_text(notice)

    def french(amount: str) -> str:
        units, cents = f"{Decimal(amount):,.2f}".split(".")
        return f"{units.replace(',', ' ')},{cents} €"

    assert Decimal(claim["interest"]) > 0
    assert f"Pénalités de retard arrêtées au 23 mars 2026 : {french(claim['interest'])}" in text
    assert f"Indemnité forfaitaire pour frais de recouvrement : {french(claim['indemnity'])}" in text
    for period in claim["periods"]:
        assert f"= {french(period['interest'])}" in text
    total = Decimal(claim["total_claim"])
    assert f"Total réclamé : {french(str(total))}" in text


def test_the_disputing_customer_gets_nothing_after_the_dispute(demo: Path):
    events = [e for e in timeline(demo) if e["customer_id"] == "C003"]
    dispute = next(e for e in events if e["kind"] == "status" and e["step"] == "disputed")

    later = [e for e in events if e["kind"] == "escalation" and e["date"] >= dispute["date"]]

    assert dispute["date"] == "2026-02-20"
    assert later == []


def test_the_customer_with_several_invoices_has_one_case_taking_each_step_once(demo: Path):
    """Menuiserie Leroy's three invoices are one case: one formal notice, one suspension, one hand-off."""
    events = [e for e in timeline(demo) if e["customer_id"] == "C006" and e["kind"] == "escalation"]
    steps = [(e["step"], e["case_id"]) for e in events if e["case_id"] is not None]

    assert [step for step, _ in steps] == [
        "reminder_1",
        "reminder_2",
        "reminder_3",
        "formal_notice",
        "suspension",
        "handoff",
    ]
    assert {case_id for _, case_id in steps} == {"C006-EUR-1"}
    [notice] = [e for e in events if e["step"] == "formal_notice"]
    # Paid on 18 March, F2026-0106 is no longer owed when the notice goes on the 30th.
    assert notice["invoice_ids"] == ["F2026-0107", "F2026-0108"]
    assert notice["notice_key"] == "notices/C006/2026/03/2026-03-30-formal_notice-EUR.pdf"


def test_each_case_opens_before_its_first_step_and_closes_when_nothing_is_owed(demo: Path):
    events = timeline(demo)
    opened = {e["case_id"]: e["date"] for e in events if e["kind"] == "case" and e["step"] == "opened"}
    closed = {e["case_id"]: e["date"] for e in events if e["kind"] == "case" and e["step"] == "closed"}
    stepped = [e for e in events if e["kind"] == "escalation" and e["step"] != "courtesy"]

    assert stepped
    for event in stepped:
        assert event["case_id"] in opened, event
        assert opened[event["case_id"]] <= event["date"], event
        assert event["case_id"] not in closed or event["date"] <= closed[event["case_id"]], event
    # Each debtor that paid everything: its case closed the day of its last payment.
    assert closed == {
        "C002-EUR-1": "2026-02-27",
        "C005-EUR-1": "2026-04-02",
        "C008-EUR-1": "2026-03-20",
        "C009-EUR-1": "2026-03-24",
    }
    notices = [e["case_id"] for e in events if e["kind"] == "escalation" and e["step"] == "formal_notice"]
    assert sorted(notices) == sorted(set(notices))  # one formal notice per case


def test_the_customer_with_several_invoices_gets_one_message_a_day_listing_them(demo: Path):
    messages_by_day: dict[str, int] = defaultdict(int)
    grouped = []
    for event in timeline(demo):
        if event["customer_id"] == "C006" and event["kind"] == "escalation" and "email" in event["channels"]:
            messages_by_day[event["date"]] += 1
            if len(event["invoice_ids"]) > 1:
                grouped.append(event)

    assert max(messages_by_day.values()) == 1
    assert any(len(event["invoice_ids"]) == 3 for event in grouped)


def test_paid_invoices_get_nothing_after_their_payment(demo: Path):
    events = timeline(demo)
    for payment in (e for e in events if e["kind"] == "payment"):
        [invoice] = payment["invoice_ids"]
        fully_paid = invoice in {"F2026-0101", "F2026-0102", "F2026-0111", "F2026-0105", "F2026-0106"}
        if not fully_paid:
            continue
        after = [
            e
            for e in events
            if e["kind"] == "escalation" and invoice in e["invoice_ids"] and e["date"] >= payment["date"]
        ]
        assert after == [], invoice


def test_the_good_payer_receives_nothing(demo: Path):
    assert [e for e in timeline(demo) if e["customer_id"] == "C001" and e["kind"] == "escalation"] == []


def test_malformed_rows_are_reported_and_the_others_stored(demo: Path):
    report = json.loads((demo / "reports" / "invoices_invoices.csv.json").read_text(encoding="utf-8"))

    assert report["created"] == 11
    reasons = {rejection["values"]["invoice_id"]: rejection["reason"] for rejection in report["rejections"]}
    assert set(reasons) == {"F2026-0112", "F2026-0113"}
    assert "negative" in reasons["F2026-0112"] or "-150" in reasons["F2026-0112"]
    assert "C099" in reasons["F2026-0113"]


def test_the_timeline_is_documented_shape(demo: Path):
    for entry in timeline(demo):
        assert {
            "date",
            "customer_id",
            "invoice_ids",
            "step",
            "channels",
            "outcome",
            "message_id",
            "notice_key",
            "amount_due",
            "case_id",
            "kind",
            "currency",
        } <= set(entry)
    assert "dispatches sent" in (demo / "stdout.txt").read_text(encoding="utf-8")


def test_replaying_the_demos_files_in_memory_logs_the_same_events_on_the_same_dates(
    demo: Path, tmp_path: Path
):
    """`relance replay` runs the same services on the in-memory ports: what it shows a finance team before
    deploying is what the stack does."""
    from relance_tools.cli import main

    code = main(
        [
            "replay",
            "--customers", str(DEMO / "customers.csv"),
            "--invoices", str(DEMO / "invoices.csv"),
            "--payments", str(DEMO / "payments.csv"),
            "--actions", str(DEMO / "actions.csv"),
            "--replies", str(DEMO / "replies"),
            "--bank", str(DEMO / "bank"),
            "--start", "2025-12-06",
            "--days", "169",
            "--out", str(tmp_path),
            "--no-documents",
        ]
    )  # fmt: skip
    assert code == 0

    def events(folder: Path) -> list[tuple[object, ...]]:
        timeline = json.loads((folder / "timeline.json").read_text(encoding="utf-8"))
        fields = ("date", "customer_id", "case_id", "kind", "step", "invoice_ids", "outcome", "amount_due")
        return [tuple(json.dumps(entry[name]) for name in fields) for entry in timeline]

    assert events(tmp_path) == events(demo)


def test_the_emails_written_are_the_archive_and_each_hash_is_the_logs(demo: Path):
    logged = {
        entry["email_key"].removeprefix("emails/").replace("/", "_"): entry["email_sha256"]
        for entry in timeline(demo)
        if entry.get("email_key")
    }
    files = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in (demo / "emails").glob("*.eml")
    }

    assert files  # every customer email, from the bucket's archive
    assert files == logged


def test_two_replies_are_read_one_pauses_a_case_and_the_other_is_in_the_handoff_pack(demo: Path):
    """demo/replies: C002 promises to pay on 27/02 (and does), C004 says it paid after the formal notice
    (the bank never shows it: the hand-off goes ahead, with the reply in its pack)."""
    replies = [(e["date"], e["customer_id"], e["step"]) for e in timeline(demo) if e["kind"] == "reply"]
    assert replies == [("2026-02-25", "C002", "promise"), ("2026-03-25", "C004", "already_paid")]
    [pack] = sorted((demo / "handoff").glob("C004_*evidence.json"))
    [reply] = json.loads(pack.read_text(encoding="utf-8"))["replies"]
    assert (reply["class"], reply["inbound_key"]) == ("already_paid", "inbound/2026-03-25-C004-already-paid")
    assert "déjà réglé" in reply["quote"]


def test_the_bank_statement_is_read_its_credit_applied_and_the_unknown_transfer_reported(demo: Path):
    """demo/bank: a camt.053 dropped under incoming/bank/ on 05/05, reported under reports/ingest/."""
    report = json.loads((demo / "reports" / "bank_2026-05-05-camt053.xml.json").read_text(encoding="utf-8"))
    outcomes = {entry["reference"]: entry["outcome"] for entry in report["entries"]}
    assert (report["format"], report["applied_payments"], outcomes) == (
        "camt.053",
        1,
        {"VIR-90502": "applied", "VIR-90503": "unmatched"},
    )
    payments = [e for e in timeline(demo) if e["customer_id"] == "C004" and e["kind"] == "payment"]
    assert [(e["date"], e["invoice_ids"]) for e in payments] == [("2026-05-05", ["F2026-0104"])]


def test_the_console_shows_progress_and_the_summary_and_no_error(demo: Path):
    """What a newcomer sees: a line a simulated week on stderr, the timeline on stdout; every log line in
    lambda-logs.jsonl under the stack's service name, none on the console, and no logging error."""
    stderr = (demo / "stderr.txt").read_text(encoding="utf-8")
    stdout = (demo / "stdout.txt").read_text(encoding="utf-8")

    progress = [line for line in stderr.splitlines() if "customers worked so far" in line]
    assert len(progress) >= 20
    for console in (stderr, stdout):
        assert "Traceback" not in console
        assert "Logging error" not in console
        assert '"level":' not in console
    lines = [json.loads(line) for line in (demo / "lambda-logs.jsonl").read_text().splitlines() if line]
    assert {line["service"] for line in lines if "service" in line} == {"relance"}
    assert "dispatches sent" in stdout
