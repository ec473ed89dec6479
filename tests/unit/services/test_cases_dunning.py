"""The daily dunning service on the in-memory ports: one escalation per customer, whatever its book holds.

Each scenario drops the files a finance team would drop, runs the planner and the worker day by day as the
schedule and the queue would, and reads what the customer received.
"""

from __future__ import annotations

import email
import json
from datetime import date, timedelta

import pytest

from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.models import CaseState
from relance.policies import load_policies
from relance.services import levers
from relance_tools.invariants import step_ranks, violations
from relance_tools.replay import MemoryPipeline

START = date(2026, 1, 5)
LADDER = ["reminder_1", "reminder_2", "reminder_3", "formal_notice", "suspension", "handoff"]
CUSTOMERS = b"customer_id;name;email;language;kind\nC1;Menuiserie Leroy;compta@leroy.example;fr;business\n"


def invoices_csv(*rows: tuple[str, str, str]) -> bytes:
    lines = ["invoice_id;customer_id;issue_date;due_date;currency;total"]
    lines += [f"{number};C1;01/01/2026;{due};EUR;{total}" for number, due, total in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


class Book:
    """One customer's book on a fresh in-memory stack, and the days run so far."""

    def __init__(self, *rows: tuple[str, str, str]) -> None:
        self.pipeline = MemoryPipeline.start(START)
        self.ctx = self.pipeline.ctx
        self.day = START
        self.pipeline.upload("incoming/customers/customers.csv", CUSTOMERS)
        self.pipeline.upload("incoming/invoices/first.csv", invoices_csv(*rows))

    def run_until(self, last: date) -> None:
        while self.day <= last:
            self.pipeline.run_day(self.day)
            self.day += timedelta(days=1)
        self.pipeline.set_day(self.day)

    def pay(self, invoice_id: str, amount: str) -> None:
        body = f"invoice_id;paid_on;amount\n{invoice_id};{self.day:%d/%m/%Y};{amount}\n".encode()
        self.pipeline.upload(f"incoming/payments/{invoice_id}-{self.day}.csv", body)

    def add(self, *rows: tuple[str, str, str]) -> None:
        self.pipeline.upload(f"incoming/invoices/more-{self.day}.csv", invoices_csv(*rows))

    def escalations(self) -> list[EscalationEvent]:
        return [
            event
            for event in self.ctx.events.for_customer("C1")
            if event.kind is EventKind.ESCALATION and event.outcome is Outcome.SENT
        ]

    def steps(self) -> list[str]:
        return [event.step or "" for event in self.escalations() if event.case_id]

    def subjects(self) -> list[str]:
        return [
            str(email.message_from_bytes(sent.raw).get("Subject"))
            for sent in self.ctx.mailer.sent
            if sent.tags.get("step") != "call_task"
        ]

    def check(self) -> None:
        assert violations(self.ctx.events.all_events(), step_ranks(load_policies().values())) == []


def test_one_invoice_climbs_the_ladder_once():
    book = Book(("F1", "02/02/2026", "1200,00"))
    book.run_until(date(2026, 5, 31))

    assert book.steps() == LADDER
    assert {event.case_id for event in book.escalations() if event.case_id} == {"C1-EUR-1"}
    book.check()


def test_three_invoices_get_one_escalation_with_one_notice_one_suspension_one_hand_off():
    book = Book(
        ("F1", "16/02/2026", "980,00"), ("F2", "20/02/2026", "1420,50"), ("F3", "04/03/2026", "2310,00")
    )
    book.run_until(date(2026, 6, 30))

    assert book.steps() == LADDER
    notices = [key for key in book.ctx.store.keys("notices/")]
    assert len(notices) == 1
    [notice_event] = [event for event in book.escalations() if event.step == "formal_notice"]
    assert {line.invoice_id for line in notice_event.lines if line.stage == "noticed"} == {"F1", "F2", "F3"}
    book.check()


def test_twenty_five_invoices_make_one_message_a_day_and_one_formal_notice():
    rows = [(f"F{n:02d}", f"{2 + n % 27:02d}/{2 + n // 27:02d}/2026", "100,00") for n in range(25)]
    book = Book(*rows)
    book.run_until(date(2026, 8, 31))

    escalations = book.escalations()
    days = [event.occurred_on for event in escalations]
    assert len(days) == len(set(days))  # never two messages a day
    assert [event.step for event in escalations if event.case_id].count("formal_notice") == 1
    assert len(list(book.ctx.store.keys("notices/"))) == 1
    # Everything still owed on the hand-off day is in the hand-off, once.
    [handoff] = [event for event in escalations if event.step == "handoff"]
    assert len(handoff.invoice_ids) == 25
    book.check()


def test_a_payment_mid_case_takes_its_invoice_out_and_the_case_goes_on():
    book = Book(("F1", "02/02/2026", "1000,00"), ("F2", "05/02/2026", "500,00"))
    book.run_until(date(2026, 2, 20))  # after the first reminder
    book.pay("F1", "1000,00")
    book.run_until(date(2026, 4, 30))

    later = [event for event in book.escalations() if event.occurred_on > date(2026, 2, 20)]
    assert later
    assert all("F1" not in event.invoice_ids for event in later)
    assert book.steps()[:2] == ["reminder_1", "reminder_2"]  # it went on from where it was
    book.check()


def test_a_dispute_in_a_case_stops_that_invoice_only():
    book = Book(("F1", "02/02/2026", "1000,00"), ("F2", "05/02/2026", "500,00"))
    book.run_until(date(2026, 2, 20))
    levers.dispute(book.ctx, "F1", "livraison contestée", actor="julie")
    book.run_until(date(2026, 5, 31))

    later = [event for event in book.escalations() if event.occurred_on > date(2026, 2, 20)]
    assert later
    assert all(event.invoice_ids == ("F2",) for event in later)
    [case] = book.ctx.book.customer("C1").cases
    assert case.state is CaseState.HANDED_OFF
    assert set(case.handed_off) == {"F1", "F2"}  # the disputed one stays with its case, not chased
    book.check()


def test_an_invoice_after_the_formal_notice_is_reminded_not_put_on_notice_and_joins_the_hand_off_marked():
    book = Book(("F1", "02/02/2026", "1000,00"))
    book.run_until(date(2026, 3, 16))  # the formal notice went out (12 March)
    assert book.steps()[-1] == "formal_notice"
    book.add(("F9", "20/03/2026", "300,00"))
    book.run_until(date(2026, 4, 30))

    after = [event for event in book.escalations() if event.occurred_on > date(2026, 3, 16)]
    assert [event.step for event in after] == ["suspension", "handoff"]
    stages = {line.invoice_id: line.stage for line in after[0].lines}
    assert stages == {"F1": "noticed_before", "F9": "after_notice"}
    [pack_key] = [key for key in book.ctx.store.keys("handoff/") if key.endswith("evidence.json")]
    pack = json.loads(book.ctx.store.read(pack_key))
    marks = {item["invoice_id"]: item["joined_after_notice"] for item in pack["invoices"]}
    assert marks == {"F1": False, "F9": True}
    book.check()


def test_after_a_hand_off_a_new_invoice_waits_in_a_held_case_until_the_collected_one_is_paid():
    book = Book(("F1", "02/02/2026", "1000,00"))
    book.run_until(date(2026, 4, 20))
    assert book.steps()[-1] == "handoff"
    book.add(("F7", "30/04/2026", "250,00"))
    book.run_until(date(2026, 6, 15))

    customer = book.ctx.book.customer("C1")
    assert [(case.case_id, case.state) for case in customer.cases] == [
        ("C1-EUR-1", CaseState.HANDED_OFF),
        ("C1-EUR-2", CaseState.HELD),
    ]
    assert not [event for event in book.escalations() if event.occurred_on > date(2026, 4, 20)]
    held = [event for event in book.ctx.events.for_customer("C1") if event.kind is EventKind.CASE]
    assert ("C1-EUR-2", "held") in {(event.case_id, event.step) for event in held}

    book.pay("F1", "1000,00")
    book.run_until(date(2026, 6, 19))
    [case] = book.ctx.book.customer("C1").cases
    assert (case.case_id, case.state) == ("C1-EUR-2", CaseState.OPEN)
    assert book.steps()[-1] == "reminder_1"
    book.check()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_second_reminder_speaks_of_the_first_and_names_the_newcomer(language: str):
    customers = CUSTOMERS.replace(b";fr;", f";{language};".encode())
    book = Book()
    book.pipeline.upload("incoming/customers/customers.csv", customers)
    book.add(("F1", "16/02/2026", "980,00"), ("F2", "20/02/2026", "1420,50"))
    book.run_until(date(2026, 3, 4))

    second = email.message_from_bytes(book.ctx.mailer.sent[-1].raw)
    text = next(part for part in second.walk() if part.get_content_type() == "text/plain")
    body = " ".join(text.get_payload(decode=True).decode("utf-8").split())
    if language == "fr":
        assert "Malgré notre rappel du 19/02/2026, la facture F1 reste impayée." in body
        assert "La facture F2, échue depuis, s'y ajoute." in body
    else:
        assert "Despite our reminder of 19/02/2026, invoice F1 remains unpaid." in body


def test_a_case_taken_back_from_collection_escalates_again_with_what_waited_behind_it():
    book = Book(("F1", "02/02/2026", "1000,00"))
    book.run_until(date(2026, 4, 20))
    book.add(("F7", "30/04/2026", "250,00"))
    book.run_until(date(2026, 5, 15))

    events = levers.reopen(book.ctx, "C1", "EUR", actor="julie", reason="the agency returned the file")

    assert [(event.case_id, event.step) for event in events] == [
        ("C1-EUR-1", "reopened"),
        ("C1-EUR-2", "closed"),  # the held case: its invoice joins the new one
        ("C1-EUR-3", "opened"),
    ]
    assert "the agency returned the file" in (events[0].reason or "")
    [case] = book.ctx.book.customer("C1").cases
    assert case.state is CaseState.OPEN
    book.run_until(date(2026, 5, 20))
    [reminder] = [event for event in book.escalations() if event.occurred_on > date(2026, 5, 15)]
    assert (reminder.case_id, reminder.step, set(reminder.invoice_ids)) == (
        case.case_id,
        "reminder_1",
        {"F1", "F7"},
    )
