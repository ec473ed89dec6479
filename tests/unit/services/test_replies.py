"""Customers' replies on the in-memory ports: each is linked to its customer, recorded once as a REPLY
event, and pauses the case as its class says; the account manager gets a task; nothing goes back to the
sender."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

from relance.domain.events import EventKind
from relance.services.replies import ALREADY_PAID_PAUSE_DAYS, record_reply

from .driver import at, bill, client, customer, events, pipeline, run_day, run_days, seed, sent

MONDAY = date(2026, 3, 2)
TUESDAY = date(2026, 3, 3)
GRACE = 10  # fr-b2b-standard's payment_plan.grace_days
CUSTOMER = "compta@c1.example"


def reply_email(
    body: str,
    *,
    sender: str = CUSTOMER,
    in_reply_to: str | None = None,
    subject: str = "RE: Facture F1 : rappel",
    headers: dict[str, str] | None = None,
) -> bytes:
    lines = [
        f"From: Client C1 <{sender}>",
        "To: compta@creditor.example",
        f"Subject: {subject}",
        "Date: Tue, 3 Mar 2026 09:12:00 +0100",
        "Message-ID: <reply-1@c1.example>",
        *([f"In-Reply-To: <{in_reply_to}@eu-west-3.amazonses.com>"] if in_reply_to else []),
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        body,
        "",
        "> Madame, Monsieur, sauf erreur de notre part, la facture F1 reste impayée.",
    ]
    return "\r\n".join(lines).encode("utf-8")


@pytest.fixture
def ctx():
    return pipeline(MONDAY)


@pytest.fixture
def message_id(ctx) -> str:
    """C1's case sends its first reminder on Monday 2 March 2026: SES's message id of that email."""
    seed(ctx, client("C1"), [bill("F1", courtesy_on=date(2026, 2, 23))])
    run_day(ctx, MONDAY)
    [message] = ctx.mailer.sent
    return message.message_id


def answer(ctx, raw: bytes, key: str = "inbound/reply-1"):
    """The reply arrives on Tuesday morning, stored by SES under `key`."""
    at(ctx, TUESDAY)
    ctx.store.put_file(key, raw, "message/rfc822")
    return record_reply(ctx, key, raw)


def case_of(ctx):
    [case] = customer(ctx).cases
    return case


def to_customer(ctx) -> list:
    return [m for m in sent(ctx) if CUSTOMER in str(m["To"])]


def test_a_promise_pauses_the_case_until_its_date_plus_the_grace_and_nothing_goes_out_meanwhile(
    ctx, message_id
):
    result = answer(ctx, reply_email("Bonjour, je vous règle le 20 mars.", in_reply_to=message_id))

    assert (result.outcome, result.reply_class, result.linked_by) == ("recorded", "promise", "message_id")
    assert case_of(ctx).paused_until == date(2026, 3, 20) + timedelta(days=GRACE)
    [event] = events(ctx, "C1", EventKind.REPLY)
    assert (event.step, event.message_id, event.actor, event.occurred_on) == (
        "promise",
        message_id,
        "customer",
        TUESDAY,
    )
    assert event.detail["inbound_key"] == "inbound/reply-1"
    assert "je vous règle le 20 mars" in event.detail["quote"]
    assert event.case_id == case_of(ctx).case_id
    reminders = len(to_customer(ctx))
    run_days(ctx, TUESDAY, date(2026, 3, 30))
    assert len(to_customer(ctx)) == reminders


def test_a_dispute_pauses_the_case_for_a_person(ctx, message_id):
    result = answer(
        ctx,
        reply_email("Nous contestons cette facture, la livraison est incomplète.", in_reply_to=message_id),
    )

    assert (result.outcome, result.reply_class, result.paused_for_a_person) == ("recorded", "dispute", True)
    case = case_of(ctx)
    assert case.paused_for_a_person
    assert case.paused_until is None
    reminders = len(to_customer(ctx))
    run_days(ctx, TUESDAY, date(2026, 4, 30))
    assert len(to_customer(ctx)) == reminders


def test_already_paid_pauses_the_case_a_few_days_while_the_bank_confirms(ctx, message_id):
    result = answer(
        ctx, reply_email("Bonjour, la facture a déjà été réglée le 27 février.", in_reply_to=message_id)
    )

    assert (result.outcome, result.reply_class) == ("recorded", "already_paid")
    assert case_of(ctx).paused_until == TUESDAY + timedelta(days=ALREADY_PAID_PAUSE_DAYS)


def test_a_request_changes_nothing_on_the_case_but_the_account_manager_gets_a_task_quoting_it(
    ctx, message_id
):
    result = answer(
        ctx, reply_email("Pourriez-vous m'envoyer une copie de la facture ?", in_reply_to=message_id)
    )

    assert (result.outcome, result.reply_class) == ("recorded", "request")
    assert case_of(ctx).pause_reason is None
    task = json.loads(ctx.store.read(result.task_key))
    assert (task["class"], task["assignee"]) == ("request", "am@creditor.example")
    assert "copie de la facture" in task["quote"]
    [mail] = [m for m in sent(ctx) if "am@creditor.example" in str(m["To"])]
    assert "copie de la facture" in mail.get_body(("plain",)).get_content()


def test_an_auto_reply_is_only_recorded_no_task_no_pause_and_nothing_is_sent(ctx, message_id):
    before = len(ctx.mailer.sent)
    result = answer(
        ctx,
        reply_email(
            "Je suis absent jusqu'au 20 mars. Pour les litiges, contactez Paul.",
            in_reply_to=message_id,
            subject="Réponse automatique : Facture F1",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )

    assert (result.outcome, result.reply_class, result.task_key) == ("recorded", "auto_reply", None)
    assert case_of(ctx).pause_reason is None
    assert len(ctx.mailer.sent) == before
    assert not list(ctx.store.keys("tasks/C1/2026-03-03-reply"))
    [event] = events(ctx, "C1", EventKind.REPLY)
    assert event.step == "auto_reply"


def test_a_second_run_on_the_same_object_changes_nothing(ctx, message_id):
    raw = reply_email("Je vous règle le 20 mars.", in_reply_to=message_id)
    first = answer(ctx, raw)
    book, mails = customer(ctx), len(ctx.mailer.sent)

    again = answer(ctx, raw)

    assert (first.outcome, again.outcome) == ("recorded", "duplicate")
    assert len(events(ctx, "C1", EventKind.REPLY)) == 1
    assert customer(ctx) == book
    assert len(ctx.mailer.sent) == mails


def test_the_same_words_under_another_key_are_another_reply(ctx, message_id):
    raw = reply_email("Je vous règle le 20 mars.", in_reply_to=message_id)
    answer(ctx, raw, "inbound/reply-1")
    answer(ctx, raw, "inbound/reply-2")

    assert len(events(ctx, "C1", EventKind.REPLY)) == 2


def test_a_reply_from_a_colleague_is_linked_by_the_email_it_answers(ctx, message_id):
    result = answer(
        ctx, reply_email("Je vous règle le 20 mars.", sender="dg@c1-holding.example", in_reply_to=message_id)
    )

    assert (result.outcome, result.customer_id, result.linked_by) == ("recorded", "C1", "message_id")


def test_linking_by_the_email_answered_reads_its_customer_alone_whatever_the_size_of_the_book(
    ctx, message_id
):
    for n in range(2, 300):
        seed(ctx, client(f"C{n}", email=f"compta@c{n}.example"), [bill(f"F{n}", customer_id=f"C{n}")])
    logs_read, scans = [], []
    for_customer, all_customers = ctx.events.for_customer, ctx.book.all_customers
    ctx.events.for_customer = lambda customer_id: logs_read.append(customer_id) or for_customer(customer_id)
    ctx.book.all_customers = lambda: scans.append(1) or all_customers()

    result = answer(ctx, reply_email("Je vous règle le 20 mars.", in_reply_to=message_id))

    assert (result.customer_id, result.linked_by) == ("C1", "message_id")
    assert set(logs_read) == {"C1"}
    assert scans == []


def test_a_reply_without_threading_headers_is_linked_by_the_senders_address(ctx, message_id):
    result = answer(ctx, reply_email("Je vous règle le 20 mars.", subject="Facture F1"))

    assert (result.outcome, result.customer_id, result.linked_by, result.linked_message_id) == (
        "recorded",
        "C1",
        "sender",
        None,
    )
    assert case_of(ctx).paused_until == date(2026, 3, 20) + timedelta(days=GRACE)


def test_a_reply_no_customer_can_be_told_is_reported_with_its_reason_and_changes_nothing(ctx, message_id):
    result = answer(ctx, reply_email("Je vous règle le 20 mars.", sender="someone@elsewhere.example"))

    assert result.outcome == "unlinked"
    assert "someone@elsewhere.example is no customer's address" in result.reason
    report = json.loads(ctx.store.read(result.report_key))
    assert (report["inbound_key"], report["class"]) == ("inbound/reply-1", "promise")
    assert events(ctx, "C1", EventKind.REPLY) == []
    assert case_of(ctx).pause_reason is None


def test_an_address_shared_by_two_customers_links_nothing_without_the_email_answered(ctx, message_id):
    seed(ctx, client("C2", email=CUSTOMER))

    result = answer(ctx, reply_email("Je vous règle le 20 mars."))

    assert result.outcome == "unlinked"
    assert "several customers (C1, C2)" in result.reason


def test_unreadable_bytes_are_reported_not_lost(ctx, message_id):
    result = answer(ctx, b"\r\n\r\n")

    assert result.outcome == "unreadable"
    assert json.loads(ctx.store.read(result.report_key))["reason"] == "the message is empty"


def test_a_message_from_our_own_address_is_set_aside(ctx, message_id):
    result = answer(ctx, reply_email("Je vous règle le 20 mars.", sender="compta@creditor.example"))

    assert result.outcome == "ours"
    assert events(ctx, "C1", EventKind.REPLY) == []


def test_the_task_is_not_emailed_to_the_reply_to_address_that_brings_replies_back(ctx):
    seed(ctx, client("C1", account_manager_email="compta@creditor.example"), [bill("F1")])
    run_day(ctx, MONDAY)
    before = len(ctx.mailer.sent)

    result = answer(ctx, reply_email("Pouvez-vous m'envoyer le RIB ?"))

    assert result.outcome == "recorded"
    assert result.task_message_id is None
    assert "would bring the task back" in result.reason
    assert len(ctx.mailer.sent) == before


def test_a_promise_never_lifts_a_dispute(ctx, message_id):
    answer(ctx, reply_email("Facture contestée : prix erroné.", in_reply_to=message_id), "inbound/a")
    answer(ctx, reply_email("Je vous règle le 20 mars.", in_reply_to=message_id), "inbound/b")

    assert case_of(ctx).paused_for_a_person
    assert [e.step for e in events(ctx, "C1", EventKind.REPLY)] == ["dispute", "promise"]


def test_the_raw_email_is_kept_as_evidence_under_object_lock(ctx, message_id):
    raw = reply_email("Je vous règle le 20 mars.", in_reply_to=message_id)
    answer(ctx, raw)

    [event] = events(ctx, "C1", EventKind.REPLY)
    kept = ctx.store.objects[event.detail["evidence_key"]]
    assert kept.body == raw
    assert kept.retain_until is not None
    assert event.detail["evidence_key"].startswith("replies/C1/")


def test_a_reply_to_a_formal_notice_is_in_the_handoff_pack_with_its_hash(ctx):
    """The debtor answers the formal notice with a promise it does not keep: the case goes on to the
    hand-off after the promised date and its grace, and the pack names the reply as kept."""
    seed(ctx, client("C1"), [bill("F1", due=date(2026, 3, 4), total="3000.00")])
    day = MONDAY
    while not (notices := [e for e in events(ctx, "C1", EventKind.ESCALATION) if e.step == "formal_notice"]):
        run_day(ctx, day)
        day += timedelta(days=1)
    [notice] = notices
    raw = reply_email("Bien reçu votre courrier, je vous règle sous huitaine.", in_reply_to=notice.message_id)
    at(ctx, day)
    ctx.store.put_file("inbound/answer-to-notice", raw, "message/rfc822")
    assert record_reply(ctx, "inbound/answer-to-notice", raw).reply_class == "promise"

    handoffs: list = []
    for _ in range(120):
        run_day(ctx, day)
        day += timedelta(days=1)
        if handoffs := [e for e in events(ctx, "C1", EventKind.ESCALATION) if e.step == "handoff"]:
            break
    [handoff] = handoffs
    [pack] = [ref for ref in handoff.notices if ref.key.startswith("handoff/")]
    index = json.loads(ctx.store.read(pack.key))
    [reply] = index["replies"]
    assert (reply["class"], reply["answers_message_id"], reply["inbound_key"]) == (
        "promise",
        notice.message_id,
        "inbound/answer-to-notice",
    )
    assert reply["sha256"] == hashlib.sha256(raw).hexdigest()
    assert ctx.store.read(reply["key"]) == raw
    assert notice.message_id in {entry["message_id"] for entry in index["emails"]}
    assert all(entry["step"] != "promise" for entry in index["emails"])


def test_the_morning_digest_lists_a_reply_to_read_with_how_it_was_read_but_not_an_out_of_office(
    ctx, message_id
):
    from relance.services.digest import compute_digest, run_digest

    answer(ctx, reply_email("Bonjour, je vous règle le 15 mars.", in_reply_to=message_id))
    answer(
        ctx,
        reply_email(
            "Je suis absent jusqu'au 10 mars.",
            in_reply_to=message_id,
            subject="Réponse automatique : Facture F1",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        key="inbound/reply-2",
    )

    [item] = compute_digest(ctx, TUESDAY).group("reply")
    assert (item.customer_id, item.code, item.on) == ("C1", "promise", TUESDAY)
    assert "je vous règle le 15 mars" in item.detail
    text = ctx.store.read(run_digest(ctx, TUESDAY).keys["txt"]).decode("utf-8")
    assert "RÉPONSES DE CLIENTS À LIRE" in text.upper()
    assert "lu comme : promesse de paiement" in text
