"""The morning digest on the in-memory ports: the demo's book replayed with a digest every morning, and small
books for what the demo does not show. What the finance team reads is checked against the files it dropped
and the escalation log, never against the digest's own arithmetic."""

from __future__ import annotations

import csv
import email
import html.parser
import io
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.policy import default
from pathlib import Path

import pytest

from relance.adapters.memory import memory_context, memory_settings
from relance.adapters.memory.context import ManualClock
from relance.config import Settings
from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.models import CaseState, Instalment, InvoiceStatus
from relance.ports import SendRejected
from relance.services import levers
from relance.services.digest import CHART_CHARACTERS, CHART_PIXELS, digest_key, run_digest
from relance.services.feedback import record_feedback
from relance_tools.cli.dated_files import actions_by_date, payments_by_date
from relance_tools.replay import MemoryPipeline, replay
from tests.aws_events import ses_notification

from .driver import at, bill, case, client, drop, pipeline, run_day, run_days, seed, text_of

DEMO = Path(__file__).resolve().parents[3] / "demo"
START = date(2025, 12, 6)
DAYS = 169
LAST = START + timedelta(days=DAYS - 1)  # Saturday 23 May 2026
BUCKETS = ("not_due", "1-30", "31-60", "61-90", "over_90")


# ---------------------------------------------------------------- the demo's book, a digest every morning


@pytest.fixture(scope="module")
def demo() -> MemoryPipeline:
    """The demo's files replayed in memory with a digest after every day's run. Before the last day's, the
    worker of Friday 22 May dies after claiming C008's dispatch, and C005's last email bounces."""
    pipeline = MemoryPipeline.start(START)
    replay(
        pipeline,
        ("customers.csv", (DEMO / "customers.csv").read_bytes()),
        ("invoices.csv", (DEMO / "invoices.csv").read_bytes()),
        payments_by_date("payments.csv", (DEMO / "payments.csv").read_bytes()),
        actions_by_date((DEMO / "actions.csv").read_bytes()),
        START,
        DAYS - 1,
        digest_days=DAYS - 1,
    )
    ctx = pipeline.ctx
    friday = ctx.calendar.at_opening(LAST - timedelta(days=1)) + timedelta(minutes=6)
    ctx.book.claim_dispatch(
        ctx.book.customer("C008"), f"C008#{(LAST - timedelta(days=1)).isoformat()}", friday
    )
    [*_, last_to_c005] = [sent for sent in ctx.mailer.sent if sent.tags.get("customer_id") == "C005"]
    pipeline.set_day(LAST)
    record_feedback(
        ctx,
        json.dumps(
            ses_notification(
                "Bounce",
                last_to_c005.message_id,
                ["accounts@thames-consulting.example"],
                "C005",
                timestamp="2026-05-23T06:30:00.000Z",
            )
        ),
    )
    pipeline.run_day(LAST)
    pipeline.digest(LAST)
    return pipeline


def record(pipeline: MemoryPipeline, day: date) -> dict:
    return json.loads(pipeline.ctx.store.read(digest_key(day, "json")))


def attention(pipeline: MemoryPipeline, day: date, kind: str) -> list[dict]:
    return [item for item in record(pipeline, day)["attention"] if item["kind"] == kind]


def test_the_last_digest_lists_c004s_hand_off_and_the_held_and_bounced_customers(demo):
    handoffs = {item["customer_id"]: item for item in attention(demo, LAST, "handoff")}
    [held] = attention(demo, LAST, "held")
    [bounced] = attention(demo, LAST, "address")

    assert handoffs["C004"]["subject"] == "C004-EUR-1"
    assert handoffs["C004"]["lines"] == ["F2026-0104"]
    assert (handoffs["C004"]["amount"], handoffs["C004"]["on"]) == ("12000.00", "2026-04-21")
    assert set(handoffs) == {"C004", "C006", "C007"}
    assert (held["customer_id"], held["subject"]) == ("C008", "C008#2026-05-22")
    assert (bounced["customer_id"], bounced["code"]) == ("C005", "bounced")
    [dispute] = attention(demo, LAST, "dispute")
    assert (dispute["customer_id"], dispute["subject"]) == ("C003", "F2026-0103")
    text = demo.ctx.store.read(digest_key(LAST, "txt")).decode("utf-8")
    assert "C004 Transports Bernard SAS : dossier C004-EUR-1 transmis au recouvrement le 21/04/2026" in text
    assert "« relance release C008 »" in text
    assert "C005 Thames Consulting Ltd : accounts@thames-consulting.example rejeté (définitif)" in text


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))


def aging_from_the_files(day: date) -> dict[str, tuple[Decimal, int]]:
    """The demo's open invoices on `day` by age, from its three CSV files alone: rows of an unknown
    customer or with an amount below zero are the ones the ingest rejects; a payment counts from its date."""
    with (DEMO / "customers.csv").open(encoding="utf-8") as handle:
        known = {row["customer_id"] for row in csv.DictReader(handle, delimiter=";")}
    paid: dict[str, Decimal] = defaultdict(Decimal)
    with (DEMO / "payments.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            if datetime.strptime(row["paid_on"], "%d/%m/%Y").date() <= day:
                paid[row["invoice_id"]] += _amount(row["amount"])
    buckets = {name: (Decimal("0"), 0) for name in BUCKETS}
    with (DEMO / "invoices.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            total = _amount(row["total"])
            if row["customer_id"] not in known or total <= 0:
                continue
            balance = total - paid[row["invoice_id"]]
            if balance <= 0:
                continue
            late = (day - datetime.strptime(row["due_date"], "%d/%m/%Y").date()).days
            name = (
                "not_due"
                if late <= 0
                else "1-30"
                if late <= 30
                else "31-60"
                if late <= 60
                else "61-90"
                if late <= 90
                else "over_90"
            )
            amount, count = buckets[name]
            buckets[name] = (amount + balance, count + 1)
    return buckets


def test_every_mornings_aging_equals_a_recomputation_from_the_demos_files(demo):
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        expected = aging_from_the_files(day)

        figures = record(demo, day)["currencies"]["EUR"]

        got = {name: (Decimal(item["amount"]), item["count"]) for name, item in figures["buckets"].items()}
        assert got == expected, day
        assert Decimal(figures["overdue"]) == sum(
            amount for name, (amount, _) in expected.items() if name != "not_due"
        )


class _Bars(html.parser.HTMLParser):
    """The chart's bars: the cells marked as bars, with the width mail clients draw them at."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "td" and values.get("class") == "bar":
            width = int(values["width"] or 0)
            assert f"width: {width}px" in (values.get("style") or "")  # the attribute and the style agree
            assert values.get("bgcolor")
            self.bars[values["data-bucket"] or ""] = width


@pytest.mark.parametrize("day", [date(2026, 2, 20), date(2026, 3, 23), date(2026, 4, 15), LAST])
def test_the_chart_reads_at_a_glance_its_bars_are_proportional_to_the_buckets(demo, day):
    buckets = record(demo, day)["currencies"]["EUR"]["buckets"]
    amounts = {name: Decimal(item["amount"]) for name, item in buckets.items()}
    parser = _Bars()
    parser.feed(demo.ctx.store.read(digest_key(day, "html")).decode("utf-8"))
    text = demo.ctx.store.read(digest_key(day, "txt")).decode("utf-8")

    top = max(amounts.values())
    assert set(parser.bars) == {name for name, amount in amounts.items() if amount > 0}
    assert max(parser.bars.values()) == CHART_PIXELS
    for name, width in parser.bars.items():
        assert abs(width - amounts[name] / top * CHART_PIXELS) <= 1, name
    # The text part draws the same chart in characters, one line per bucket.
    lines = [line for line in text.splitlines() if line.startswith("  ") and "€" in line]
    assert len(lines) == len(BUCKETS)
    for line, name in zip(lines, BUCKETS, strict=True):
        length = len(line) - len(line.rstrip("#"))
        assert abs(length - amounts[name] / top * CHART_CHARACTERS) <= 1, (name, line)


def test_what_was_sent_is_told_per_step_with_the_letters_to_post(demo):
    monday = date(2026, 3, 23)
    window = [monday - timedelta(days=2), monday - timedelta(days=1), monday]  # since Friday's run
    logged = [
        event
        for customer in demo.ctx.book.all_customers()
        for event in demo.ctx.events.for_customer(customer.customer_id)
        if event.occurred_on in window
        and event.kind is EventKind.ESCALATION
        and event.outcome is Outcome.SENT
    ]
    expected: dict[str, dict] = defaultdict(lambda: {"messages": 0, "amount": Decimal("0")})
    for event in logged:
        expected[event.step]["messages"] += 1
        expected[event.step]["amount"] += event.amount

    sent = {item["step"]: item for item in record(demo, monday)["sent"]}

    assert set(sent) == set(expected) == {"formal_notice", "reminder_3"}
    for step, figures in expected.items():
        assert sent[step]["messages"] == figures["messages"]
        assert Decimal(sent[step]["amounts"]["EUR"]) == figures["amount"]
    letters = {item["customer_id"]: item for item in attention(demo, monday, "letter")}
    assert set(letters) == {"C004", "C005"}
    assert letters["C004"]["subject"] == "notices/C004/2026/03/2026-03-23-formal_notice-EUR.pdf"
    assert letters["C004"]["lines"] == ["ZA des Prés, 2 rue des Routiers", "59000 Lille"]
    # Tuesday's digest tells Tuesday only: the letters were Monday's.
    assert attention(demo, monday + timedelta(days=1), "letter") == []


def test_the_overdue_total_is_compared_with_the_day_before_and_7_and_30_days_before(demo):
    day = date(2026, 3, 19)  # the day after F2026-0106 was paid

    trend = record(demo, day)["trend"]["EUR"]

    overdue = Decimal(record(demo, day)["currencies"]["EUR"]["overdue"])
    for basis, days_back in (("previous", 1), ("7_days", 7), ("30_days", 30)):
        reference = day - timedelta(days=days_back)
        before = Decimal(record(demo, reference)["currencies"]["EUR"]["overdue"])
        assert trend[basis] == {"reference": reference.isoformat(), "delta": str(overdue - before)}, basis
    text = demo.ctx.store.read(digest_key(day, "txt")).decode("utf-8")
    assert "Retard total depuis le point précédent (18/03/2026) : " in text


def test_rows_rejected_by_an_ingest_are_told_until_the_next_open_days_digest(demo):
    first = attention(demo, START, "ingest")

    [rejected] = first
    assert (rejected["subject"], rejected["code"], rejected["count"]) == (
        "incoming/invoices/invoices.csv",
        "rejected",
        2,
    )
    assert len(rejected["lines"]) == 2
    # Saturday's file is still news on Monday (Sunday and Monday's digests cover the weekend), not on Tuesday.
    assert attention(demo, START + timedelta(days=2), "ingest") == first
    assert attention(demo, START + timedelta(days=3), "ingest") == []


def test_the_digest_reads_the_ingest_reports_written_since_its_window_opened_and_no_older_one():
    """A year of daily files is a thousand reports: the morning digest must not read them all every day."""
    ctx = pipeline(date(2026, 1, 5))
    for n in range(40):
        at(ctx, date(2026, 1, 5) + timedelta(days=n))
        drop(ctx, f"incoming/invoices/day-{n:02}.csv", "invoice_id;customer_id\nF-1;C404\n")
    today = date(2026, 1, 5) + timedelta(days=39)  # Friday 13 February: the window is that day alone
    reads: list[str] = []
    read = ctx.store.read
    ctx.store.read = lambda key: reads.append(key) or read(key)  # type: ignore[method-assign]

    at(ctx, today, minutes=30)
    run_digest(ctx, today)

    attention = json.loads(read(digest_key(today, "json")))["attention"]
    told = [item["subject"] for item in attention if item["kind"] == "ingest"]
    assert told == ["incoming/invoices/day-39.csv"]
    assert [key for key in reads if key.startswith("reports/ingest/")] == [
        "reports/ingest/invoices/day-39.csv.json"
    ]


def test_the_digest_files_of_a_day_are_its_record_its_table_and_its_email_parts(demo):
    rows = list(csv.DictReader(io.StringIO(demo.ctx.store.read(digest_key(LAST, "csv")).decode("utf-8"))))

    aging = {
        row["item"]: (Decimal(row["amount"]), int(row["count"])) for row in rows if row["section"] == "aging"
    }
    assert aging == aging_from_the_files(LAST)
    [dso] = [row for row in rows if row["section"] == "dso"]
    assert dso["amount"] == record(demo, LAST)["currencies"]["EUR"]["dso_days"]
    assert {row["item"] for row in rows if row["section"] == "attention"} == {
        "held",
        "address",
        "dispute",
        "handoff",
    }
    assert record(demo, LAST)["email"]["outcome"] == "no_recipients"


# ---------------------------------------------------------------- small books


MONDAY = date(2026, 3, 2)
TEAM = ("compta@creditor.example", "daf@creditor.example")


def with_recipients(day: date, **changes):
    ctx = memory_context(memory_settings(digest_recipients=TEAM, **changes), clock=ManualClock())
    at(ctx, day)
    return ctx


def digests(ctx) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(item.raw, policy=default)  # type: ignore[misc]
        for item in ctx.mailer.sent
        if item.tags.get("step") == "digest"
    ]


def test_on_an_open_day_the_team_gets_one_email_with_a_text_and_an_html_part():
    ctx = with_recipients(MONDAY)
    seed(ctx, client("C1"), [bill("F1", courtesy_on=date(2026, 2, 23))])
    run_day(ctx, MONDAY)

    first = run_digest(ctx, MONDAY)
    again = run_digest(ctx, MONDAY)

    assert (first.email, again.email) == ("sent", "already_sent")
    [message] = digests(ctx)
    assert message["To"] == ", ".join(TEAM)
    assert message["Subject"] == "Relances, point du 02/03/2026 : 1 200,00 € en retard, 0 point à traiter"
    assert "1re relance : 1 message, 1 facture, 1 200,00 €" in text_of(message)
    assert message.get_body(("html",)) is not None
    assert again.message_id == first.message_id
    assert run_digest(ctx, MONDAY, resend=True).email == "sent"
    assert len(digests(ctx)) == 2


def test_a_closed_day_or_no_recipient_writes_the_digest_without_emailing_it():
    saturday = date(2026, 3, 7)
    ctx = with_recipients(saturday)
    seed(ctx, client("C1"), [bill("F1")])

    assert run_digest(ctx, saturday).email == "not_open_day"
    quiet = pipeline(MONDAY)
    seed(quiet, client("C1"), [bill("F1")])
    assert run_digest(quiet, MONDAY).email == "no_recipients"

    assert digests(ctx) == []
    assert digests(quiet) == []
    for store in (ctx.store, quiet.store):
        assert {key.rsplit(".", 1)[1] for key in store.keys("reports/digest/")} == {
            "json",
            "csv",
            "html",
            "txt",
        }


def test_a_refused_email_is_logged_and_the_digest_still_kept():
    ctx = with_recipients(MONDAY)
    seed(ctx, client("C1"), [bill("F1")])

    def refuse(message):
        if message["X-Relance-Step"] == "digest":
            raise SendRejected("SES answered MessageRejected: Email address is not verified.")

    ctx.mailer.gate = refuse

    result = run_digest(ctx, MONDAY)

    assert result.email.startswith("failed: SES answered MessageRejected")
    assert json.loads(ctx.store.read(digest_key(MONDAY, "json")))["email"]["message_id"] is None


def test_a_customer_still_due_after_the_run_and_a_failed_send_need_a_person():
    ctx = pipeline(MONDAY)
    seed(ctx, client("C1"), [bill("F1", courtesy_on=date(2026, 2, 23))])
    seed(ctx, client("C2"), [bill("F2", customer_id="C2", courtesy_on=date(2026, 2, 23))])

    def reject_c2(message):
        if "c2.example" in message["To"]:
            raise SendRejected("SES answered MessageRejected: Address blacklisted.")

    ctx.mailer.gate = reject_c2
    run_day(ctx, MONDAY)
    seed(ctx, client("C3"), [bill("F3", customer_id="C3", courtesy_on=date(2026, 2, 23))])  # after the run

    record_ = json.loads(ctx.store.read(run_digest(ctx, MONDAY).keys["json"]))

    kinds = {(item["kind"], item["customer_id"]) for item in record_["attention"]}
    assert ("failed", "C2") in kinds
    assert ("not_processed", "C3") in kinds
    assert not {customer for kind, customer in kinds if kind == "not_processed"} & {"C1"}


def test_invoices_held_behind_a_hand_off_are_listed_with_the_case():
    ctx = pipeline(MONDAY)
    handed = case(
        ("reminder_1", date(2025, 11, 3), ("F1",)),
        ("handoff", date(2026, 1, 12), ("F1",)),
        opened_on=date(2025, 11, 1),
        state=CaseState.HANDED_OFF,
        handed_off=("F1",),
    )
    seed(
        ctx,
        client("C1", cases=(handed,), cases_opened=1),
        [bill("F1", due=date(2025, 10, 30)), bill("F2", due=date(2026, 2, 16), total="300.00")],
    )

    record_ = json.loads(ctx.store.read(run_digest(ctx, MONDAY).keys["json"]))

    [handoff] = [item for item in record_["attention"] if item["kind"] == "handoff"]
    [held] = [item for item in record_["attention"] if item["kind"] == "held_case"]
    assert (handoff["lines"], handoff["amount"], handoff["on"]) == (["F1"], "1200.00", "2026-01-12")
    assert (held["lines"], held["amount"]) == (["F2"], "300.00")


def test_a_broken_payment_plan_and_its_reminder_are_told_on_their_days():
    ctx = pipeline(MONDAY)
    reminded = case(("reminder_1", date(2026, 2, 23), ("F1",)), opened_on=date(2026, 2, 21))
    seed(
        ctx,
        client("C1", cases=(reminded,), cases_opened=1, last_message_on=date(2026, 2, 23)),
        [bill("F1", due=date(2026, 2, 20), total="1000.00", courtesy_on=date(2026, 2, 17))],
    )
    levers.plan(
        ctx,
        "F1",
        [Instalment(date(2026, 4, 10), Decimal("500.00")), Instalment(date(2026, 5, 11), Decimal("500.00"))],
        actor="julie",
    )
    run_days(ctx, date(2026, 4, 1), date(2026, 4, 13))  # the first instalment is missed
    reminder_day = json.loads(ctx.store.read(run_digest(ctx, date(2026, 4, 13)).keys["json"]))
    run_days(ctx, date(2026, 4, 14), date(2026, 4, 21))  # ten days of grace, then the plan breaks
    broken_day = json.loads(ctx.store.read(run_digest(ctx, date(2026, 4, 21)).keys["json"]))

    assert [item["step"] for item in reminder_day["sent"]] == ["plan_reminder"]
    [broken] = [item for item in broken_day["attention"] if item["kind"] == "plan_broken"]
    assert (broken["subject"], broken["amount"], broken["on"]) == ("F1", "1000.00", "2026-04-21")
    assert [item["step"] for item in broken_day["sent"]] == ["reminder_2"]


@pytest.mark.parametrize(
    ("country", "day", "expected"),
    [
        ("FR", date(2026, 3, 2), set()),
        # A month before 1 July, next half-year's French rates are not in the tables yet.
        (
            "FR",
            date(2026, 6, 5),
            {
                ("missing", "ECB main refinancing rate, 2026-H2"),
                ("missing", "French legal rate (other cases), 2026-H2"),
            },
        ),
        # Germany's 2026-H2 base rate is in the table, marked unverified.
        ("DE", date(2026, 7, 6), {("unverified", "German base rate, 2026-H2")}),
    ],
)
def test_missing_and_unverified_rates_of_the_creditors_law_are_flagged(country, day, expected):
    ctx = memory_context(memory_settings(country=country), clock=ManualClock())
    at(ctx, day)

    record_ = json.loads(ctx.store.read(run_digest(ctx, day).keys["json"]))

    assert {
        (item["code"], item["subject"]) for item in record_["attention"] if item["kind"] == "rate"
    } == expected


def test_a_claim_whose_interest_could_not_be_computed_is_flagged_with_its_note():
    ctx = pipeline(MONDAY)
    seed(ctx, client("C1"), [bill("F1")])
    ctx.events.append(
        EscalationEvent(
            customer_id="C1",
            kind=EventKind.ESCALATION,
            occurred_on=MONDAY,
            recorded_at=datetime(2026, 3, 2, 7, 5, tzinfo=UTC),
            outcome=Outcome.SENT,
            key_suffix="reminder_2#C1-EUR-1#sent",
            step="reminder_2",
            channels=("email",),
            invoice_ids=("F1",),
            currency="EUR",
            amount=Decimal("1200.00"),
            detail={"claim_note.F1": "no ECB main refinancing rate for 2026-H2 in rates/fr.yaml"},
        )
    )

    record_ = json.loads(ctx.store.read(run_digest(ctx, MONDAY).keys["json"]))

    [note] = [item for item in record_["attention"] if item["code"] == "claim_note"]
    assert (note["customer_id"], note["subject"]) == ("C1", "F1")
    assert "2026-H2" in note["detail"]


def test_a_file_refused_whole_is_flagged_on_its_day():
    ctx = pipeline(MONDAY)
    drop(ctx, "incoming/invoices/export.xlsx.csv", b"PK\x03\x04\x14\x00\x06\x00binary")

    record_ = json.loads(ctx.store.read(run_digest(ctx, MONDAY).keys["json"]))

    [refused] = [item for item in record_["attention"] if item["kind"] == "ingest"]
    assert (refused["subject"], refused["code"]) == ("incoming/invoices/export.xlsx.csv", "refused")


def test_names_from_files_are_inert_in_the_html_and_the_csv():
    ctx = pipeline(MONDAY)
    reason = '=HYPERLINK("http://evil.example","<b>refus</b>")'
    seed(
        ctx,
        client("C1", name="<script>x</script> SARL"),
        [bill("F1", status=InvoiceStatus.DISPUTED, pause_reason=reason)],
    )

    result = run_digest(ctx, MONDAY)

    page = ctx.store.read(result.keys["html"]).decode("utf-8")
    assert "<script>" not in page
    assert "<b>refus" not in page
    assert "&lt;script&gt;" in page
    rows = list(csv.reader(io.StringIO(ctx.store.read(result.keys["csv"]).decode("utf-8"))))
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_an_english_speaking_creditor_reads_it_in_english():
    ctx = memory_context(memory_settings(country="GB", timezone="Europe/London"), clock=ManualClock())
    at(ctx, MONDAY)
    seed(ctx, client("C1"), [bill("F1", currency="GBP")])

    result = run_digest(ctx, MONDAY)

    text = ctx.store.read(result.keys["txt"]).decode("utf-8")
    assert "RECEIVABLES BY AGE" in text
    assert "GBP: £1,200.00 owed on 1 invoice, £1,200.00 of it overdue (1 invoice)" in text


def test_recipients_are_read_from_a_comma_separated_setting_and_a_wrong_one_is_named_not_fatal():
    base = {
        "CUSTOMERS_TABLE": "c",
        "INVOICES_TABLE": "i",
        "EVENTS_TABLE": "e",
        "BUCKET_NAME": "b",
        "SENDER_EMAIL": "relances@creditor.example",
        "COMPANY_NAME": "Créancier SAS",
    }
    settings = Settings.from_env({**base, "DIGEST_RECIPIENTS": " compta@creditor.example ,, daf@x.example"})
    assert settings.digest_recipients == ("compta@creditor.example", "daf@x.example")
    assert Settings.from_env(base).digest_recipients == ()

    ctx = memory_context(memory_settings(digest_recipients=("compta@creditor.example", "daf; x")))
    at(ctx, MONDAY)
    result = run_digest(ctx, MONDAY)

    assert result.email == "failed: DIGEST_RECIPIENTS holds 'daf; x', which is not an email address"
    assert digests(ctx) == []
    assert ctx.store.read(result.keys["html"]).startswith(b"<!DOCTYPE html>")
