"""The escalation engine, specified day by day on the default French B2B policy: one case per customer and
currency climbs the ladder, whatever the number of invoices in it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from relance.domain.engine import carry_out, decide, next_action_on
from relance.domain.models import CaseState, InvoiceStatus
from relance.domain.policy import Action

from .builders import PARIS, add, book, change, customer, invoice, paid, policy, run, steps_of

# 2 March 2026 is a Monday; 1 May and 8 May are French public holidays.
MONDAY = date(2026, 3, 2)
LADDER = ["reminder_1", "reminder_2", "reminder_3", "formal_notice", "suspension", "handoff"]


def test_one_invoice_walks_through_every_step_on_open_days_only():
    b = book(customer(), [invoice(due=MONDAY)], policy(), date(2026, 2, 1))
    sent = run(b, policy(), date(2026, 2, 1), date(2026, 6, 30))

    assert [step for _, step in steps_of(sent)] == ["courtesy", *LADDER]
    assert all(PARIS.is_open(day) for day, _ in steps_of(sent))
    assert [item.case_id for item in sent] == [None] + ["C1-EUR-1"] * 6
    # +3 is Thursday; the offsets count from the due date, the spacing from the previous message.
    assert steps_of(sent)[1] == (date(2026, 3, 5), "reminder_1")


def test_a_step_falling_on_a_closed_day_goes_out_the_next_open_day():
    # Due Wednesday 25 February: +3 is Saturday 28, so the first reminder goes on Monday 2 March.
    b = book(customer(), [invoice(due=date(2026, 2, 25))], policy(), date(2026, 2, 26))
    sent = run(b, policy(), date(2026, 2, 26), date(2026, 3, 3))

    assert steps_of(sent) == [(MONDAY, "reminder_1")]


def test_an_invoice_imported_ninety_days_late_starts_at_the_first_reminder_and_keeps_the_spacing():
    b = book(customer(), [invoice(due=MONDAY - timedelta(days=90))], policy(), MONDAY)
    sent = run(b, policy(), MONDAY, MONDAY + timedelta(days=80))

    assert [step for _, step in steps_of(sent)] == LADDER
    gaps = [(later - earlier).days for (earlier, _), (later, _) in pairwise(steps_of(sent))]
    assert gaps[0] >= 7
    assert min(gaps) >= 7


def test_after_missed_days_a_case_advances_one_step_per_run():
    b = book(customer(), [invoice(due=MONDAY - timedelta(days=90))], policy(), MONDAY)
    # The run is down for ten days; the first run after takes one step only.
    outage_end = MONDAY + timedelta(days=10)
    b.customer = replace(b.customer, next_action_on=MONDAY)
    sent = run(b, policy(), outage_end, outage_end + timedelta(days=6))

    assert [step for _, step in steps_of(sent)] == ["reminder_1"]


def test_a_second_run_on_the_same_day_decides_nothing_new():
    who, invoices = customer(), [invoice(due=MONDAY - timedelta(days=4))]
    first = decide(who, invoices, policy(), PARIS, MONDAY)
    after, after_invoices = carry_out(who, invoices, policy(), first)

    again = decide(after, after_invoices, policy(), PARIS, MONDAY)

    assert [action.step.id for action in first.case_actions] == ["reminder_1"]
    assert again.case_actions == ()
    assert not again.dispatches


def test_three_invoices_make_one_case_one_message_a_day_and_each_step_once():
    invoices = [
        invoice("F1", due=date(2026, 2, 16), total="980.00"),
        invoice("F2", due=date(2026, 2, 20), total="1420.50"),
        invoice("F3", due=date(2026, 3, 4), total="2310.00"),
    ]
    b = book(customer(), invoices, policy(), date(2026, 2, 1))
    sent = run(b, policy(), date(2026, 2, 1), date(2026, 6, 30))

    escalations = [item for item in sent if item.kind == "escalation"]
    assert [item.step for item in escalations] == LADDER
    assert len({item.on for item in sent}) == len(sent)  # never two messages a day
    assert {item.case_id for item in escalations} == {"C1-EUR-1"}
    # Invoices join the open case and are listed in its next message.
    assert escalations[0].invoice_ids[0] == "F1"
    assert set(escalations[2].invoice_ids) == {"F1", "F2", "F3"}


def test_an_invoice_falling_due_soon_rides_in_the_cases_message_as_upcoming():
    invoices = [invoice("F1", due=date(2026, 2, 16)), invoice("F2", due=date(2026, 2, 20))]
    b = book(customer(), invoices, policy(), date(2026, 2, 1))
    sent = run(b, policy(), date(2026, 2, 1), date(2026, 2, 19))

    # F1's courtesy notice goes by itself (no case yet); F2's travels in the case's first reminder.
    assert [(item.step, item.invoice_ids) for item in sent] == [
        ("courtesy", ("F1",)),
        ("reminder_1", ("F1", "F2")),
    ]
    courtesy_marks = {item.invoice_id: item.dunning.steps_done for item in b.invoices}
    assert courtesy_marks == {"F1": ("courtesy",), "F2": ("courtesy",)}


def test_a_customer_messaged_today_gets_nothing_more_and_close_steps_travel_together():
    invoices = [invoice("F1", due=MONDAY), invoice("F2", due=MONDAY + timedelta(days=2))]
    b = book(customer(), invoices, policy(), MONDAY - timedelta(days=10))
    sent = run(b, policy(), MONDAY - timedelta(days=10), MONDAY + timedelta(days=30))

    days_sent = [item.on for item in sent]
    assert all(
        (later - earlier).days >= policy().min_days_between_messages for earlier, later in pairwise(days_sent)
    )


def test_a_paid_invoice_leaves_the_case_and_the_case_closes_when_nothing_is_owed():
    invoices = [invoice("F1", due=MONDAY), invoice("F2", due=MONDAY + timedelta(days=3))]
    b = book(customer(), invoices, policy(), MONDAY)
    run(b, policy(), MONDAY, MONDAY + timedelta(days=20))
    paid(b, policy(), MONDAY + timedelta(days=21), "F1")

    later = run(b, policy(), MONDAY + timedelta(days=21), MONDAY + timedelta(days=45))
    assert all("F1" not in item.invoice_ids for item in later)

    paid(b, policy(), MONDAY + timedelta(days=46), "F2")
    assert b.customer.cases == ()
    assert b.customer.next_action_on is None
    assert run(b, policy(), MONDAY + timedelta(days=46), MONDAY + timedelta(days=120)) == []


def test_a_disputed_invoice_leaves_the_chase_while_the_case_goes_on_for_the_rest():
    invoices = [invoice("F1", due=MONDAY), invoice("F2", due=MONDAY + timedelta(days=1))]
    b = book(customer(), invoices, policy(), MONDAY)
    run(b, policy(), MONDAY, MONDAY + timedelta(days=10))
    change(b, policy(), MONDAY + timedelta(days=11), "F1", status=InvoiceStatus.DISPUTED)

    later = run(b, policy(), MONDAY + timedelta(days=11), MONDAY + timedelta(days=90))
    assert later
    assert all(item.invoice_ids == ("F2",) for item in later)
    # Steps never go back: the case continues where it was.
    assert later[0].step == "reminder_2"
    assert [case.case_id for case in b.customer.cases] == ["C1-EUR-1"]


def test_a_case_whose_only_invoice_is_disputed_waits_and_resumes_where_it_stopped():
    b = book(customer(), [invoice("F1", due=MONDAY)], policy(), MONDAY)
    run(b, policy(), MONDAY, MONDAY + timedelta(days=20))
    change(b, policy(), MONDAY + timedelta(days=21), "F1", status=InvoiceStatus.DISPUTED)
    assert run(b, policy(), MONDAY + timedelta(days=21), MONDAY + timedelta(days=60)) == []
    assert b.customer.cases[0].state is CaseState.OPEN  # still owed: the case is not closed

    change(b, policy(), MONDAY + timedelta(days=61), "F1", status=InvoiceStatus.OPEN)
    resumed = run(b, policy(), MONDAY + timedelta(days=61), MONDAY + timedelta(days=70))
    assert resumed[0].step == "reminder_3"


def test_a_promise_to_pay_pauses_the_invoice_until_its_date_then_the_case_resumes():
    b = book(customer(), [invoice("F1", due=MONDAY)], policy(), MONDAY)
    run(b, policy(), MONDAY, MONDAY + timedelta(days=5))
    until = MONDAY + timedelta(days=30)
    change(b, policy(), MONDAY + timedelta(days=6), "F1", status=InvoiceStatus.PROMISED, paused_until=until)

    assert run(b, policy(), MONDAY + timedelta(days=6), until) == []
    assert b.customer.next_action_on == until + timedelta(days=1)
    after = run(b, policy(), until + timedelta(days=1), until + timedelta(days=3))
    assert [item.step for item in after] == ["reminder_2"]


def test_a_do_not_dun_customer_gets_nothing_and_leaves_the_index():
    who = customer(do_not_dun=True)
    b = book(who, [invoice(due=MONDAY)], policy(), MONDAY)

    assert b.customer.next_action_on is None
    assert run(b, policy(), MONDAY, MONDAY + timedelta(days=90)) == []


def test_a_balance_below_a_steps_minimum_ends_the_escalation_there():
    # The hand-off needs 50 EUR or more.
    b = book(customer(), [invoice(due=MONDAY, total="40.00")], policy(), MONDAY)
    sent = run(b, policy(), MONDAY, MONDAY + timedelta(days=150))

    assert [item.step for item in sent][-1] == "suspension"
    assert b.customer.next_action_on is None


def test_the_stored_next_action_date_is_exactly_the_day_the_engine_acts():
    invoices = [
        invoice("F1", due=date(2026, 2, 16)),
        invoice("F2", due=date(2026, 2, 20)),
        invoice("F3", due=date(2026, 4, 4)),
    ]
    b = book(customer(), invoices, policy(), date(2026, 2, 1))
    day = date(2026, 2, 1)
    while day < date(2026, 8, 1):
        due = b.customer.next_action_on
        decision = decide(b.customer, b.invoices, policy(), PARIS, day)
        acts = decision.dispatches and PARIS.is_open(day)
        # The engine acts on no day before the stored one, and does act on the stored one.
        assert not acts or (due is not None and due <= day)
        if due == day:
            assert decision.dispatches, day
        run(b, policy(), day, day)
        day += timedelta(days=1)


def test_each_currency_is_its_own_case_with_its_own_formal_notice():
    invoices = [invoice("F1", due=MONDAY), invoice("G1", due=MONDAY, currency="GBP")]
    b = book(customer(), invoices, policy(), MONDAY)
    sent = run(b, policy(), MONDAY, MONDAY + timedelta(days=80))

    notices = [item for item in sent if item.step == "formal_notice"]
    assert {item.case_id for item in notices} == {"C1-EUR-1", "C1-GBP-2"}
    assert {item.on for item in notices} == {notices[0].on}  # one message that day, two notices


def test_the_formal_notice_covers_only_invoices_an_earlier_message_named():
    invoices = [invoice("F1", due=MONDAY)]
    b = book(customer(), invoices, policy(), MONDAY)
    run(b, policy(), MONDAY, date(2026, 4, 8))  # up to the day before the notice
    # F2 falls due and is overdue when the notice goes: it was never reminded.
    add(b, policy(), date(2026, 4, 8), invoice("F2", due=date(2026, 4, 6)))
    decision = decide(b.customer, b.invoices, policy(), PARIS, date(2026, 4, 9))

    [notice] = decision.with_action(Action.LETTER)
    assert [item.invoice_id for item in notice.invoices] == ["F1", "F2"]
    assert [item.invoice_id for item in notice.letter_invoices] == ["F1"]


def test_a_policy_may_put_unnamed_invoices_on_notice():
    chosen = replace(policy(), notice_unnamed_invoices=True)
    b = book(customer(), [invoice("F1", due=MONDAY)], chosen, MONDAY)
    run(b, chosen, MONDAY, date(2026, 4, 8))
    add(b, chosen, date(2026, 4, 8), invoice("F2", due=date(2026, 4, 6)))
    decision = decide(b.customer, b.invoices, chosen, PARIS, date(2026, 4, 9))

    [notice] = decision.with_action(Action.LETTER)
    assert [item.invoice_id for item in notice.letter_invoices] == ["F1", "F2"]


def test_when_no_invoice_of_the_case_was_named_the_current_level_goes_again_before_any_notice():
    b = book(customer(), [invoice("F1", due=MONDAY)], policy(), MONDAY)
    run(b, policy(), MONDAY, date(2026, 4, 1))  # reminder_3 is done
    add(b, policy(), date(2026, 4, 2), invoice("F2", due=date(2026, 4, 1)))
    paid(b, policy(), date(2026, 4, 2), "F1")

    later = run(b, policy(), date(2026, 4, 2), date(2026, 6, 30))
    steps = [item.step for item in later]
    # F2 alone is left, never named: reminded at the case's current level, then put on notice.
    assert steps[0] == "reminder_3"
    assert later[0].note
    assert "again" in later[0].note
    assert steps[1:] == ["formal_notice", "suspension", "handoff"]


def test_after_the_hand_off_the_case_stops_and_new_invoices_wait_in_a_held_case():
    b = book(customer(), [invoice("F1", due=MONDAY)], policy(), MONDAY)
    run(b, policy(), MONDAY, MONDAY + timedelta(days=80))
    [case] = b.customer.cases
    assert case.state is CaseState.HANDED_OFF
    assert case.handed_off == ("F1",)

    add(b, policy(), MONDAY + timedelta(days=81), invoice("F2", due=MONDAY + timedelta(days=85)))
    assert run(b, policy(), MONDAY + timedelta(days=81), MONDAY + timedelta(days=150)) == []
    assert [(item.case_id, item.state) for item in b.customer.cases] == [
        ("C1-EUR-1", CaseState.HANDED_OFF),
        ("C1-EUR-2", CaseState.HELD),
    ]

    # The agency collects F1: the handed-off case ends and the held one climbs from its first step.
    paid(b, policy(), MONDAY + timedelta(days=151), "F1")
    assert [(item.case_id, item.state) for item in b.customer.cases] == [("C1-EUR-2", CaseState.OPEN)]
    resumed = run(b, policy(), MONDAY + timedelta(days=151), MONDAY + timedelta(days=155))
    assert [(item.step, item.invoice_ids) for item in resumed] == [("reminder_1", ("F2",))]


def test_a_supplementary_notice_precedes_the_hand_off_when_the_policy_asks():
    chosen = replace(policy(), supplementary_notice=True)
    b = book(customer(), [invoice("F1", due=MONDAY)], chosen, MONDAY)
    run(b, chosen, MONDAY, date(2026, 4, 10))  # the formal notice is done (9 April)
    add(b, chosen, date(2026, 4, 10), invoice("F2", due=date(2026, 4, 12)))
    sent = run(b, chosen, date(2026, 4, 10), date(2026, 6, 30))

    steps = [(item.step, item.invoice_ids, item.note) for item in sent]
    assert [step for step, _, _ in steps] == ["suspension", "supplementary_notice", "handoff"]
    assert steps[1][0] == "supplementary_notice"
    assert b.customer.cases[0].noticed == ("F1", "F2")


def test_the_suspension_counts_its_spacing_from_the_letters_receipt():
    b = book(customer(), [invoice("F1", due=MONDAY)], policy(), MONDAY)
    run(b, policy(), MONDAY, date(2026, 4, 9))
    [case] = b.customer.cases
    notice_day = case.last_message.on
    # Received a week after posting: the deadline runs from then.
    received = notice_day + timedelta(days=7)
    b.customer = replace(
        b.customer, cases=(replace(case, letter=replace(case.letter, received_on=received)),)
    )
    b.customer = replace(
        b.customer, next_action_on=next_action_on(b.customer, b.invoices, policy(), PARIS, notice_day)
    )
    sent = run(b, policy(), notice_day + timedelta(days=1), notice_day + timedelta(days=40))

    suspension = next(item for item in sent if item.step == "suspension")
    spacing = next(step for step in policy().steps if step.id == "suspension").min_days_since_previous
    assert suspension.on == PARIS.next_open(received + timedelta(days=spacing))


def test_a_book_written_by_an_earlier_version_is_read_into_a_case_without_resending_anything():
    # Per-invoice state as the previous engine wrote it: F1 at its formal notice, F2 at its first reminder.
    notice_day = date(2026, 4, 9)
    invoices = [
        invoice("F1", due=MONDAY, steps=("courtesy", *LADDER[:4]), last_step_on=notice_day),
        invoice("F2", due=date(2026, 3, 20), steps=("reminder_1",), last_step_on=date(2026, 3, 23)),
    ]
    invoices = [replace(item, legacy_next_action_on=date(2026, 4, 20)) for item in invoices]
    b = book(customer(), invoices, policy(), date(2026, 4, 10))
    sent = run(b, policy(), date(2026, 4, 10), date(2026, 6, 30))

    assert [item.step for item in sent] == ["suspension", "handoff"]
    [case] = b.customer.cases
    assert case.step_ids == tuple(LADDER)
    assert case.noticed == ("F1",)
    assert all(item.legacy_next_action_on is None for item in b.invoices)
    assert {item.invoice_id: item.dunning.steps_done for item in b.invoices} == {
        "F1": ("courtesy",),
        "F2": (),
    }


def test_planning_never_proposes_a_closed_day():
    b = book(customer(), [invoice(due=date(2026, 4, 28))], policy(), date(2026, 4, 20))
    for _ in range(8):
        due = b.customer.next_action_on
        if due is None:
            break
        assert PARIS.is_open(due)
        run(b, policy(), due, due)
    assert Decimal(b.invoices[0].total) == Decimal("1200.00")
