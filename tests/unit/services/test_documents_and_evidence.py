"""The documents as a court or a collector would receive them, built by the worker on the in-memory ports
with the real templates and PDFs: the formal notice, the call sheet, the hand-off pack, and what the worker
makes of records nobody checked.

Two debtors of the demo's book are run from 5 February 2026 to their hand-off, each email reported
delivered by SES the day it leaves: Transports Bernard (C004, business, 12,000 EUR due 11 February) and
Claire Petit (C007, consumer, 640 EUR due 19 February).
"""

from __future__ import annotations

import csv
import email
import hashlib
import io
import json
from contextlib import redirect_stdout
from datetime import date, timedelta
from decimal import Decimal
from email.policy import default
from email.utils import getaddresses
from io import BytesIO

import pytest
from pypdf import PdfReader

from relance.adapters.memory import MemoryContext
from relance.domain.engine import decide
from relance.domain.events import EventKind, Outcome
from relance.domain.evidence import retained_until
from relance.domain.policy import Action
from relance.ports import EvidenceConflict
from relance.services.customer_file import load_customer_file
from relance.services.feedback import record_feedback
from relance.services.handoff import prepare_handoff
from relance_tools.cli import main
from relance_tools.devstack import repository_root
from tests.aws_events import ses_notification

from .driver import (
    at,
    bill,
    case,
    client,
    customer,
    drop,
    events,
    pipeline,
    run_day,
    run_days,
    seed,
    sent,
    text_of,
)

DEMO = repository_root() / "demo"
NOTICE = "notices/C004/2026/03/2026-03-23-formal_notice-EUR.pdf"


def pdf_text(body: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(body)).pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def demo_customer(customer_id: str) -> dict[str, str]:
    with (DEMO / "customers.csv").open(encoding="utf-8") as rows:
        return next(row for row in csv.DictReader(rows, delimiter=";") if row["customer_id"] == customer_id)


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def report_deliveries(ctx: MemoryContext, since: int) -> int:
    """SES says each message sent since `since` was delivered, the moment it left; returns the new count."""
    moment = ctx.clock().isoformat().replace("+00:00", "Z")
    for item in ctx.mailer.sent[since:]:
        dispatch = str(item.message["X-Relance-Dispatch"])
        recipients = [address for _, address in getaddresses(item.message.get_all("To", []))]
        notification = ses_notification(
            "Delivery",
            item.message_id,
            recipients,
            dispatch.partition("#")[0],
            step=str(item.message["X-Relance-Step"]),
            timestamp=moment,
        )
        record_feedback(ctx, json.dumps(notification))
    return len(ctx.mailer.sent)


@pytest.fixture(scope="module")
def book() -> MemoryContext:
    ctx = pipeline(date(2026, 2, 5))
    drop(ctx, "incoming/customers/customers.csv", (DEMO / "customers.csv").read_bytes())
    rows = (DEMO / "invoices.csv").read_text(encoding="utf-8").splitlines()
    wanted = [rows[0], *(row for row in rows if row.startswith(("F2026-0104;", "F2026-0109;")))]
    assert drop(ctx, "incoming/invoices/invoices.csv", "\n".join(wanted) + "\n").created == 2
    reported = 0
    day = date(2026, 2, 5)
    while day <= date(2026, 5, 5):
        run_day(ctx, day)
        reported = report_deliveries(ctx, reported)
        day += timedelta(days=1)
    return ctx


# The formal notice.


def test_the_formal_notice_holds_every_mandatory_mention(book: MemoryContext):
    company = book.settings.company
    debtor = demo_customer("C004")

    text = pdf_text(book.store.read(NOTICE))

    assert "mise en demeure" in text
    # the creditor, as the stack is configured
    assert company.name in text
    assert f"SIREN {company.siren}" in text
    for line in company.address:
        assert line in text
    # the debtor, as the customers file gives it
    assert debtor["name"] in text
    assert f"SIREN {debtor['siren']}" in text
    assert debtor["address"] in text
    assert f"{debtor['postcode']} {debtor['city']}" in text
    # the invoice: number, date, due date, amount including VAT, paid, balance
    assert "F2026-0104 12/01/2026 11/02/2026 12 000,00 € 0,00 € 12 000,00 €" in text
    # the breakdown: principal, penalties with their rate and method, indemnity
    assert "Principal restant dû : 12 000,00 €" in text
    assert "Pénalités de retard arrêtées au 23 mars 2026" in text
    assert "intérêts simples, jours exacts / 365, sur le solde restant dû chaque jour" in text
    assert "au taux annuel de 12,15 %" in text
    assert "Indemnité forfaitaire pour frais de recouvrement : 40,00 €" in text
    # the deadline (8 days), the legal basis, the consequences, how to pay
    assert "sous huit jours à compter de la réception de la présente" in text
    for basis in ("article 1344 du Code civil", "article L441-10 du Code de commerce", "article D441-5"):
        assert basis in text
    assert "nous saisirons la juridiction compétente" in text
    assert "injonction de payer" in text
    assert f"IBAN {company.iban}" in text
    assert "en indiquant la référence C004 F2026-0104" in text


def test_the_formal_notice_is_a4_with_its_fonts_embedded_kept_five_years_and_is_the_logged_document(
    book: MemoryContext,
):
    body = book.store.read(NOTICE)
    [logged] = [
        event for event in events(book, "C004", EventKind.ESCALATION) if event.step == "formal_notice"
    ]

    for page in PdfReader(BytesIO(body)).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
        for font in page["/Resources"]["/Font"].values():
            assert "/FontFile2" in font.get_object()["/FontDescriptor"].get_object()
    assert "Échéance" in pdf_text(body)
    [ref] = logged.notices
    assert (ref.key, ref.sha256, ref.currency) == (NOTICE, sha256(body), "EUR")
    assert logged.channels == ("email", "letter")
    stored = book.store.objects[NOTICE]
    assert stored.retain_until == retained_until(date(2026, 3, 23), book.settings.notice_retention_days)
    assert stored.retain_until.date() == date(2031, 3, 23)
    with pytest.raises(EvidenceConflict):
        book.store.delete(NOTICE)


def test_the_notice_attached_to_the_email_is_the_stored_one(book: MemoryContext):
    [message] = [m for m in sent(book) if m["X-Relance-Dispatch"] == "C004#2026-03-23"]

    [attachment] = list(message.iter_attachments())

    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == book.store.read(NOTICE)
    text = text_of(message)
    assert "ci-joint notre mise en demeure de payer les sommes dues au titre de la facture F2026-0104" in text


def test_the_notice_breakdown_equals_relance_interest_for_the_same_invoice(book: MemoryContext):
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            [
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
            ]
        )
    claim = json.loads(out.getvalue())
    text = pdf_text(book.store.read(NOTICE))

    def french(amount: str) -> str:
        units, cents = f"{Decimal(amount):,.2f}".split(".")
        return f"{units.replace(',', ' ')},{cents} €"

    assert code == 0
    assert Decimal(claim["interest"]) > 0
    assert f"Pénalités de retard arrêtées au 23 mars 2026 : {french(claim['interest'])}" in text
    assert f"Indemnité forfaitaire pour frais de recouvrement : {french(claim['indemnity'])}" in text
    for period in claim["periods"]:
        assert f"= {french(period['interest'])}" in text
    assert f"Total réclamé : {french(claim['total_claim'])}" in text


# The call sheet.


def test_a_call_task_keeps_its_call_sheet_next_to_the_task(book: MemoryContext):
    task = json.loads(book.store.read("tasks/C004/2026-03-13-reminder_3.json"))
    sheet = book.store.read(task["sheet_key"]).decode("utf-8")

    assert task["sheet_key"] == "tasks/C004/2026-03-13-reminder_3.html"
    assert (task["customer_id"], task["case_id"], task["invoices"]) == ("C004", "C004-EUR-1", ["F2026-0104"])
    assert task["assignee"] == demo_customer("C004")["account_manager_email"]
    assert "Fiche d'appel : Transports Bernard SAS" in sheet
    assert "Trame d'appel" in sheet
    [manager_copy] = [
        m
        for m in sent(book)
        if m["X-Relance-Step"] == "call_task" and m["X-Relance-Dispatch"] == "C004#2026-03-13"
    ]
    assert manager_copy["To"] == task["assignee"]
    assert text_of(manager_copy, "html") == " ".join(sheet.split())


# The hand-off pack.


def test_the_handoff_pack_indexes_every_notice_and_email_with_their_hashes_ids_and_delivery(
    book: MemoryContext,
):
    logged = events(book, "C004")
    [handoff] = [e for e in logged if e.kind is EventKind.ESCALATION and e.step == "handoff"]
    [pack] = [ref for ref in handoff.notices if ref.key.startswith("handoff/")]

    index = json.loads(book.store.read(pack.key))

    assert (handoff.occurred_on, pack.key) == (date(2026, 4, 21), "handoff/C004/2026-04-21/evidence.json")
    assert pack.sha256 == sha256(book.store.read(pack.key))
    assert index["summary"]["sha256"] == sha256(book.store.read(index["summary"]["key"]))
    assert [notice["key"] for notice in index["notices"]] == [NOTICE]
    for notice in index["notices"]:
        assert notice["sha256"] == sha256(book.store.read(notice["key"]))
    # The messages to the debtor before the hand-off day; the account manager's call tasks are internal.
    before = {
        e.message_id
        for e in logged
        if e.kind in {EventKind.ESCALATION, EventKind.PLAN_REMINDER}
        and e.message_id
        and e.occurred_on < handoff.occurred_on
    }
    assert len(before) == 6  # courtesy, three reminders, the formal notice, the suspension
    assert {entry["message_id"] for entry in index["emails"]} == before
    assert {tuple(entry["delivery"]) for entry in index["emails"]} == {("delivered",)}
    assert index["debtor"]["siren"] == demo_customer("C004")["siren"]
    assert index["totals"][0]["principal"] == "12000.00"
    assert index["route"]["small_claims"] is False  # 12,000 EUR is over the 5,000 EUR of L125-1
    assert index["route"]["form"] == "Cerfa 12946*02"


def test_the_handoff_summaries_name_the_claim_and_the_route_to_court(book: MemoryContext):
    business = pdf_text(book.store.read("handoff/C004/2026-04-21/summary.pdf"))
    consumer = pdf_text(book.store.read("handoff/C007/2026-05-05/summary.pdf"))

    assert "Transports Bernard SAS" in business
    assert "SIREN 914852538" in business
    assert "injonction de payer" in business
    assert "Cerfa 12946*02" in business
    assert "59000 Lille" in business
    assert NOTICE in business
    assert "Éligible à la procédure simplifiée de recouvrement des petites créances" in consumer
    assert "tribunal judiciaire" in consumer
    assert "Cerfa 12948*06" in consumer


def test_each_case_climbs_its_policy_s_ladder_once_and_stops_with_collection(book: MemoryContext):
    for customer_id, invoice_id in (("C004", "F2026-0104"), ("C007", "F2026-0109")):
        debtor = customer(book, customer_id)
        ladder = [step.id for step in book.policies.for_customer(debtor).ladder]
        steps = [e.step for e in events(book, customer_id, EventKind.ESCALATION) if e.outcome is Outcome.SENT]
        assert steps == ["courtesy", *ladder], customer_id
        [handed] = debtor.cases
        assert (handed.state.value, handed.handed_off, debtor.next_action_on) == (
            "handed_off",
            (invoice_id,),
            None,
        )
    # The consumer policy suspends no service: Claire Petit goes from her notice to collection.
    assert [(kind, detail["customer_id"]) for kind, detail in book.bus.published] == [
        ("CustomerSuspensionRequested", "C004"),
        ("CollectionHandoffRequested", "C004"),
        ("CollectionHandoffRequested", "C007"),
    ]


# What the worker makes of a book nobody checked.


def test_the_formal_notice_covers_the_invoices_the_case_named_and_the_emails_say_which():
    """F-NEW fell due after the case's reminders, which named only F-OLD: the notice goes for F-OLD (the
    debtor was reminded of it), F-NEW is listed in the email but not put on notice."""
    ctx = pipeline(date(2026, 3, 2))
    reminded = case(
        ("reminder_1", date(2026, 1, 8), ("F-OLD",)),
        ("reminder_2", date(2026, 1, 20), ("F-OLD",)),
        ("reminder_3", date(2026, 2, 4), ("F-OLD",)),
        opened_on=date(2026, 1, 6),
    )
    seed(
        ctx,
        client("C1", cases=(reminded,), cases_opened=1, last_message_on=date(2026, 2, 4)),
        [bill("F-OLD", due=date(2026, 1, 5)), bill("F-NEW", due=date(2026, 2, 20), total="450.00")],
    )

    run_days(ctx, date(2026, 3, 2), date(2026, 3, 20))

    [notice_email, suspension] = [m for m in sent(ctx) if m["X-Relance-Step"] != "call_task"]
    assert notice_email["X-Relance-Step"] == "formal_notice"
    text = text_of(notice_email)
    assert "F-NEW" in text
    assert "ci-joint notre mise en demeure de payer les sommes dues au titre de la facture F-OLD." in text
    assert "La facture F-NEW, échue depuis notre dernier courrier, reste également due" in text
    [attachment] = list(notice_email.iter_attachments())
    notice = pdf_text(attachment.get_content())
    assert "F-OLD" in notice
    assert "F-NEW" not in notice
    assert customer(ctx).cases[0].noticed == ("F-OLD",)
    assert suspension["X-Relance-Step"] == "suspension"
    assert "sans que la facture F-OLD ait été réglée" in text_of(suspension)
    assert list(suspension.iter_attachments()) == []


def test_a_hostile_name_written_straight_into_the_book_stays_inert_through_the_worker():
    """Ingest refuses control characters in names; a record written another way still cannot add a header
    to the message or a script to its HTML."""
    ctx = pipeline(date(2026, 3, 2))
    hostile = client("C1", name='<script>alert("x")</script>\nBcc: victim@evil.example')
    seed(ctx, hostile, [bill("F1", courtesy_on=date(2026, 2, 23))])

    run_day(ctx, date(2026, 3, 2))

    [raw] = ctx.mailer.sent
    headers = raw.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers
    message = email.message_from_bytes(raw.raw, policy=default)
    assert message["Bcc"] is None
    recipients = getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
    assert {address for _, address in recipients} == {"compta@c1.example"}
    html = text_of(message, "html")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_the_handoff_pack_shows_ses_delivery_status_and_a_retry_rebuilds_the_same_pack():
    ctx = pipeline(date(2026, 3, 2))
    seed(ctx, client("C1"), [bill("F1", due=date(2026, 3, 4), total="3000.00")])
    day, reported = date(2026, 3, 2), 0
    courtesy_id = None
    while not [e for e in events(ctx, "C1", EventKind.ESCALATION) if e.step == "suspension"]:
        run_day(ctx, day)
        if courtesy_id is None and ctx.mailer.sent:
            courtesy_id = ctx.mailer.sent[0].message_id
            reported = report_deliveries(ctx, reported)  # SES reports the courtesy notice delivered
        day += timedelta(days=1)
    while True:
        at(ctx, day)
        who = customer(ctx)
        policy = ctx.policies.for_customer(who)
        decision = decide(who, ctx.book.invoices_of("C1"), policy, ctx.calendar, day)
        if decision.with_action(Action.HANDOFF):
            break
        run_day(ctx, day)
        day += timedelta(days=1)
    # A first attempt stored the pack and died before the email; SES feedback then arrives that day.
    [action] = decision.with_action(Action.HANDOFF)
    first = prepare_handoff(
        ctx,
        decision.customer,
        action,
        policy,
        f"C1#{day.isoformat()}",
        day,
        load_customer_file(ctx, "C1", policy),
    )
    suspension_id = ctx.mailer.sent[-1].message_id
    report_deliveries(ctx, len(ctx.mailer.sent) - 1)

    run_day(ctx, day)

    [handoff] = [e for e in events(ctx, "C1", EventKind.ESCALATION) if e.step == "handoff"]
    assert handoff.outcome is Outcome.SENT
    [pack] = [ref for ref in handoff.notices if ref.key.startswith("handoff/")]
    assert (pack.key, pack.sha256) == (first.key, first.sha256)
    index = json.loads(ctx.store.read(pack.key))
    statuses = {entry["message_id"]: entry["delivery"] for entry in index["emails"]}
    assert statuses[courtesy_id] == ["delivered"]
    # Logged during the hand-off day: after the pack's cut-off, so the retried pack is the same.
    assert statuses[suspension_id] == []
    assert index["route"]["small_claims"] is True  # 3,000 EUR and its interest
    assert sha256(ctx.store.read(index["summary"]["key"])) == index["summary"]["sha256"]
    assert [
        detail["evidence_pack"] for kind, detail in ctx.bus.published if kind == "CollectionHandoffRequested"
    ] == [{"key": pack.key, "sha256": pack.sha256}]
