"""The documents as a court or a collector would receive them: the demo's formal notice and hand-off
packs, the call sheets, and what the worker builds from records nobody checked."""

from __future__ import annotations

import csv
import email
import hashlib
import json
from datetime import date, timedelta
from email.policy import default
from email.utils import getaddresses
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from relance.adapters.dynamo.mapping import customer_from_record, invoice_from_record
from relance.adapters.dynamo.records import CustomerRecord, EventRecord
from relance.domain.engine import decide
from relance.domain.policy import Action
from relance.services.customer_file import load_customer_file
from relance.services.handoff import prepare_handoff
from relance_tools.cli.demo import DEMO_PARAMETERS
from relance_tools.local_pipeline import LocalPipeline

from .seed import add_customer, add_invoice
from .test_feedback import ses_notification, sns_event

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def timeline(out: Path) -> list[dict]:
    return json.loads((out / "timeline.json").read_text(encoding="utf-8"))


def demo_customer(customer_id: str) -> dict[str, str]:
    with (ROOT / "demo" / "customers.csv").open(encoding="utf-8") as rows:
        return next(row for row in csv.DictReader(rows, delimiter=";") if row["customer_id"] == customer_id)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- the demo's documents


def test_the_demos_formal_notice_holds_every_mandatory_mention(demo: Path):
    [notice] = sorted((demo / "notices").glob("C004_*formal_notice*.pdf"))
    debtor = demo_customer("C004")

    text = pdf_text(notice)

    assert "mise en demeure" in text
    # the creditor, as the stack is configured
    assert DEMO_PARAMETERS["CompanyName"] in text
    assert f"SIREN {DEMO_PARAMETERS['CompanySiren']}" in text
    for line in DEMO_PARAMETERS["CompanyAddress"].split("|"):
        assert line in text
    # the debtor, as the customers file gives it
    assert debtor["name"] in text
    assert f"SIREN {debtor['siren']}" in text
    assert debtor["address"] in text
    assert f"{debtor['postcode']} {debtor['city']}" in text
    # the invoice: number, date, due date, amount including VAT, paid, balance, penalties, indemnity
    assert "F2026-0104 12/01/2026 11/02/2026 12 000,00 € 0,00 € 12 000,00 €" in text
    # the breakdown: principal, penalties with their rate and method, indemnity
    assert "Principal restant dû : 12 000,00 €" in text
    assert "Pénalités de retard arrêtées au 23 mars 2026" in text
    assert "intérêts simples, jours exacts / 365, sur le solde restant dû chaque jour" in text
    assert "au taux annuel de 12,15 %" in text
    assert "Indemnité forfaitaire pour frais de recouvrement : 40,00 €" in text
    # the deadline, the legal basis, the consequences, how to pay
    assert "au plus tard le 31 mars 2026" in text
    for basis in ("article 1344 du Code civil", "article L441-10 du Code de commerce", "article D441-5"):
        assert basis in text
    assert "nous saisirons la juridiction compétente" in text
    assert "injonction de payer" in text
    assert f"IBAN {DEMO_PARAMETERS['CompanyIban']}" in text
    assert "en indiquant la référence C004 F2026-0104" in text


def test_the_demos_formal_notice_is_a4_with_its_fonts_embedded_and_is_the_logged_document(demo: Path):
    [notice] = sorted((demo / "notices").glob("C004_*formal_notice*.pdf"))
    [logged] = [entry for entry in timeline(demo) if entry["notice_key"] and entry["customer_id"] == "C004"]

    for page in PdfReader(notice).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        for font in page["/Resources"]["/Font"].values():
            assert "/FontFile2" in font.get_object()["/FontDescriptor"].get_object()
    assert "€" in pdf_text(notice)
    assert "Échéance" in pdf_text(notice)
    assert sha256(notice) == logged["notice_sha256"]


def test_the_demos_handoff_pack_indexes_every_notice_and_email_with_their_hashes_and_ids(demo: Path):
    events = [entry for entry in timeline(demo) if entry["customer_id"] == "C004"]
    [handoff] = [e for e in events if e["kind"] == "escalation" and e["step"] == "handoff"]
    folder = demo / "handoff"

    index = json.loads((folder / "C004_2026-04-21_evidence.json").read_text(encoding="utf-8"))

    assert handoff["evidence_key"] == "handoff/C004/2026-04-21/evidence.json"
    assert index["summary"]["sha256"] == sha256(folder / "C004_2026-04-21_summary.pdf")
    for notice in index["notices"]:
        stored = demo / "notices" / notice["key"].removeprefix("notices/").replace("/", "_")
        assert notice["sha256"] == sha256(stored)
    # Messages to the debtor; the account manager's call-task emails are internal, not evidence.
    sent_before = {
        e["message_id"]
        for e in events
        if e["kind"] in {"escalation", "plan_reminder"} and e["message_id"] and e["date"] < handoff["date"]
    }
    assert {email_["message_id"] for email_ in index["emails"]} == sent_before
    assert index["debtor"]["siren"] == demo_customer("C004")["siren"]
    assert index["totals"][0]["principal"] == "12000.00"
    assert index["route"]["small_claims"] is False  # 12,000 EUR is over the 5,000 EUR of L125-1
    assert index["route"]["form"] == "Cerfa 12946*02"


def test_the_demos_handoff_summary_names_the_claim_and_the_route_to_court(demo: Path):
    business = pdf_text(demo / "handoff" / "C004_2026-04-21_summary.pdf")
    consumer = pdf_text(demo / "handoff" / "C007_2026-05-05_summary.pdf")

    assert "Transports Bernard SAS" in business
    assert "SIREN 914852538" in business
    assert "injonction de payer" in business
    assert "Cerfa 12946*02" in business
    assert "59000 Lille" in business
    assert "notices/C004/2026/03/2026-03-23-formal_notice-EUR.pdf" in business
    assert "Éligible à la procédure simplifiée de recouvrement des petites créances" in consumer
    assert "tribunal judiciaire" in consumer
    assert "Cerfa 12948*06" in consumer


def test_the_demos_call_sheets_are_kept_next_to_their_tasks(demo: Path):
    tasks = sorted((demo / "tasks").glob("*.json"))

    assert tasks
    for path in tasks:
        task = json.loads(path.read_text(encoding="utf-8"))
        sheet = demo / "tasks" / task["sheet_key"].removeprefix("tasks/").replace("/", "_")
        html = sheet.read_text(encoding="utf-8")
        assert task["customer_id"] in html
        assert "Trame d'appel" in html or "Call script" in html


# ---------------------------------------------------------------- built by the worker


def sent(stack: LocalPipeline) -> list[email.message.EmailMessage]:
    return [email.message_from_string(m["raw_data"], policy=default) for m in stack.aws.sent_messages()]


def test_a_suspension_email_that_carries_a_younger_invoices_notice_says_which_invoice_it_covers(
    stack: LocalPipeline,
):
    add_customer("C1")
    add_invoice(
        stack.runtime,
        "F-OLD",
        due=date(2026, 1, 5),
        steps=("courtesy", "reminder_1", "reminder_2", "reminder_3", "formal_notice"),
        last_step_on=date(2026, 2, 16),
    )
    add_invoice(
        stack.runtime,
        "F-NEW",
        due=date(2026, 1, 20),
        steps=("courtesy", "reminder_1", "reminder_2", "reminder_3"),
        last_step_on=date(2026, 2, 20),
    )

    stack.run_day(date(2026, 3, 2))

    [message] = sent(stack)
    assert message["X-Relance-Step"] == "suspension"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "Pièce jointe : notre mise en demeure de payer concernant la facture F-NEW" in text
    assert "sans que la facture F-OLD ait été réglée" in text
    notice = " ".join(page.extract_text() for page in PdfReader(BytesIO(attachment.get_content())).pages)
    assert "F-NEW" in notice
    assert "F-OLD" not in notice


def test_a_hostile_name_written_straight_into_the_table_stays_inert_through_the_worker(stack: LocalPipeline):
    """Ingest refuses control characters in names; a record written another way still cannot add a
    header to the message or a script to its HTML."""
    add_customer("C1", name='<script>alert("x")</script>\nBcc: victim@evil.example')
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )

    stack.run_day(date(2026, 3, 2))

    [raw] = stack.aws.sent_messages()
    headers = raw["raw_data"].split("\r\n\r\n", 1)[0]
    assert "\r\nBcc:" not in headers
    # Whatever SES was given as recipients, the only address in it is the customer's.
    assert {address for _, address in getaddresses(raw["destinations"])} == {"compta@c1.example"}
    message = email.message_from_string(raw["raw_data"], policy=default)
    assert message["Bcc"] is None
    assert [address.addr_spec for address in message["To"].addresses] == ["compta@c1.example"]
    html = message.get_body(("html",)).get_content()
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_a_call_task_keeps_its_call_sheet_next_to_the_task(stack: LocalPipeline):
    add_customer("C1")
    add_invoice(
        stack.runtime,
        "F1",
        due=date(2026, 1, 30),
        steps=("courtesy", "reminder_1", "reminder_2"),
        last_step_on=date(2026, 2, 16),
    )

    stack.run_day(date(2026, 3, 2))

    rt = stack.runtime
    task = json.loads(rt.store.read("tasks/C1/2026-03-02-reminder_3.json"))
    sheet = rt.store.read(task["sheet_key"]).decode("utf-8")
    assert task["sheet_key"] == "tasks/C1/2026-03-02-reminder_3.html"
    assert "Fiche d'appel : Client C1 SARL" in sheet
    assert "Trame d'appel" in sheet
    [manager_copy] = [m for m in sent(stack) if m["X-Relance-Step"] == "call_task"]
    assert manager_copy.get_body(("html",)).get_content().split() == sheet.split()


def test_the_handoff_pack_shows_ses_delivery_status_and_a_retry_rebuilds_the_same_pack(stack: LocalPipeline):
    rt = stack.runtime
    add_customer("C1")
    add_invoice(rt, "F1", due=date(2026, 3, 4), total="3000.00")
    day = date(2026, 3, 2)
    delivered = None
    while not [e for e in EventRecord.query("C1") if e.step == "suspension" and e.kind == "escalation"]:
        stack.run_day(day)
        if delivered is None and stack.aws.sent_messages():
            # SES reports the courtesy notice delivered the day it left.
            delivered = stack.aws.sent_messages()[0]["id"]
            stack.invoke(
                "feedback", sns_event(ses_notification("Delivery", delivered, ["compta@c1.example"], "C1"))
            )
        day += timedelta(days=1)
    while True:
        stack.set_day(day)
        customer = customer_from_record(CustomerRecord.get("C1"))
        policy = rt.policy_for(customer)
        invoices = [invoice_from_record(record) for record in rt.invoices.for_customer("C1")]
        decision = decide(customer, invoices, policy, rt.calendar, day)
        if decision.with_action(Action.HANDOFF):
            break
        stack.run_day(day)
        day += timedelta(days=1)
    # A first attempt stored the pack and died before the email; SES feedback then arrives that day.
    first = prepare_handoff(
        rt,
        customer,
        decision.with_action(Action.HANDOFF),
        f"C1#{day.isoformat()}",
        day,
        load_customer_file(rt, "C1", policy),
    )
    suspension_email = stack.aws.sent_messages()[-1]["id"]
    stack.invoke(
        "feedback", sns_event(ses_notification("Delivery", suspension_email, ["compta@c1.example"], "C1"))
    )

    stack.run_day(day)

    [handoff] = [e for e in EventRecord.query("C1") if e.step == "handoff" and e.kind == "escalation"]
    assert handoff.outcome == "sent"
    [pack] = [ref for ref in handoff.notices if ref.key.startswith("handoff/")]
    assert (pack.key, pack.sha256) == (first.key, first.sha256)
    index = json.loads(rt.store.read(pack.key))
    statuses = {entry["message_id"]: entry["delivery"] for entry in index["emails"]}
    assert statuses[delivered] == ["delivered"]
    # Logged during the hand-off day: after the pack's cut-off, so the retried pack is the same.
    assert statuses[suspension_email] == []
    assert index["route"]["small_claims"] is True  # 3,000 EUR and its interest
    assert hashlib.sha256(rt.store.read(index["summary"]["key"])).hexdigest() == index["summary"]["sha256"]
