"""The escalation engine, specified day by day on the default French B2B policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

from relance.domain.engine import decide, next_action_date, plan_next_step
from relance.domain.models import InvoiceStatus
from relance.domain.policy import Action

from .builders import PARIS, apply, customer, invoice, policy

# 2 March 2026 is a Monday; 1 May and 8 May are French public holidays.
MONDAY = date(2026, 3, 2)


def run(days: int, start: date, invoices: list, who=None, chosen=None) -> list:
    """Runs the engine every day from `start` and returns (day, step ids by invoice) for each action."""
    who = who or customer()
    chosen = chosen or policy()
    log = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        decision = decide(who, invoices, chosen, PARIS, day)
        if decision.actions:
            log.append((day, {item.invoice.invoice_id: item.step.id for item in decision.actions}))
        invoices, who = apply(invoices, who, decision)
    return log


def test_an_invoice_walks_through_every_step_on_open_days_only():
    log = run(120, date(2026, 1, 15), [invoice(due=MONDAY)])

    assert [steps["F1"] for _, steps in log] == [
        "courtesy",
        "reminder_1",
        "reminder_2",
        "reminder_3",
        "formal_notice",
        "suspension",
        "handoff",
    ]
    assert all(PARIS.is_open(day) for day, _ in log)
    assert log[0][0] == date(2026, 2, 27)  # three days before the due date
    assert log[1][0] == date(2026, 3, 5)  # +3


def test_a_step_that_falls_on_a_closed_day_goes_out_the_next_open_day():
    # Due Wednesday 29 April: +3 is Saturday 2 May, so the first reminder goes on Monday 4 May.
    log = run(
        10,
        date(2026, 4, 29),
        [invoice(due=date(2026, 4, 29), steps=("courtesy",), last_step_on=date(2026, 4, 24))],
    )

    assert log[0] == (date(2026, 5, 4), {"F1": "reminder_1"})


def test_nothing_is_decided_on_a_weekend_or_public_holiday_even_when_overdue():
    late = invoice(due=date(2026, 3, 2), steps=("courtesy",), last_step_on=date(2026, 2, 27))

    for closed in (date(2026, 3, 7), date(2026, 3, 8), date(2026, 5, 1), date(2026, 5, 8)):
        assert decide(customer(), [late], policy(), PARIS, closed).actions == ()


def test_an_invoice_imported_ninety_days_late_starts_at_the_first_reminder_and_keeps_the_spacing():
    log = run(60, date(2026, 6, 1), [invoice(due=date(2026, 3, 3))])

    steps = [(day, s["F1"]) for day, s in log]
    assert steps[0] == (date(2026, 6, 1), "reminder_1")  # no "falls due soon" note on an overdue invoice
    assert [name for _, name in steps[:4]] == ["reminder_1", "reminder_2", "reminder_3", "formal_notice"]
    gaps = [(later - earlier).days for (earlier, _), (later, _) in pairwise(steps)]
    assert gaps[:3] == [7, 7, 7]  # min_days_since_previous of reminder_2, reminder_3, formal_notice


def test_after_missed_days_each_invoice_advances_one_step_per_run():
    # The pipeline was down from 2 March to 20 March: the invoice was due for several steps meanwhile.
    stale = invoice(due=date(2026, 2, 2), steps=("courtesy", "reminder_1"), last_step_on=date(2026, 2, 5))

    first = decide(customer(), [stale], policy(), PARIS, date(2026, 3, 20))

    assert [item.step.id for item in first.actions] == ["reminder_2"]
    assert first.next_action_on["F1"] == date(2026, 3, 27)  # reminder_3 keeps its 7-day spacing


def test_a_second_run_on_the_same_day_decides_nothing_new():
    who, invoices = customer(), [invoice(due=MONDAY)]
    day = date(2026, 3, 5)
    first = decide(who, invoices, policy(), PARIS, day)
    invoices, who = apply(invoices, who, first)

    second = decide(who, invoices, policy(), PARIS, day)

    assert [item.step.id for item in first.actions] == ["reminder_1"]
    assert second.actions == ()


def test_one_message_per_customer_lists_every_invoice_due_at_the_highest_step():
    early = invoice(
        "F1", due=date(2026, 2, 13), steps=("courtesy", "reminder_1"), last_step_on=date(2026, 2, 16)
    )
    late = invoice("F2", due=date(2026, 3, 2), steps=("courtesy",), last_step_on=date(2026, 2, 27))

    decision = decide(customer(), [early, late], policy(), PARIS, date(2026, 3, 5))

    assert {item.invoice.invoice_id: item.step.id for item in decision.actions} == {
        "F1": "reminder_2",
        "F2": "reminder_1",
    }
    assert decision.message_step is not None
    assert decision.message_step.id == "reminder_2"


def test_a_customer_messaged_today_gets_nothing_more_today_even_without_spacing():
    no_spacing = replace(policy(), min_days_between_messages=0)
    who = customer(last_message_on=date(2026, 3, 5))

    decision = decide(
        who,
        [invoice(due=MONDAY, steps=("courtesy",), last_step_on=date(2026, 2, 27))],
        no_spacing,
        PARIS,
        date(2026, 3, 5),
    )

    assert decision.actions == ()
    assert decision.next_action_on["F1"] == date(2026, 3, 6)


def test_steps_falling_due_soon_after_a_message_wait_and_travel_together_in_the_next_one():
    # The policy's spacing is 5 days. F1's reminder goes on Thursday 5 March; F2 and F3 come due for theirs
    # on Monday 9 March, too soon: both wait for Tuesday 10 March and go in one message.
    f1 = invoice("F1", due=MONDAY, steps=("courtesy",), last_step_on=date(2026, 2, 27))
    f2 = invoice("F2", due=date(2026, 3, 4), steps=("courtesy",), last_step_on=date(2026, 2, 27))
    f3 = invoice("F3", due=date(2026, 3, 5), steps=("courtesy",), last_step_on=date(2026, 2, 27))

    log = run(20, date(2026, 3, 5), [f1, f2, f3])

    assert log[0] == (date(2026, 3, 5), {"F1": "reminder_1"})
    assert log[1] == (date(2026, 3, 10), {"F2": "reminder_1", "F3": "reminder_1"})
    message_days = [day for day, _ in log]
    assert all((later - earlier).days >= 5 for earlier, later in pairwise(message_days))


def test_paid_cancelled_written_off_and_disputed_invoices_leave_the_index_at_once():
    for status in (
        InvoiceStatus.PAID,
        InvoiceStatus.CANCELLED,
        InvoiceStatus.WRITTEN_OFF,
        InvoiceStatus.DISPUTED,
        InvoiceStatus.PLAN,
    ):
        stopped = invoice(due=MONDAY, status=status, steps=("courtesy",), last_step_on=date(2026, 2, 27))

        decision = decide(customer(), [stopped], policy(), PARIS, date(2026, 3, 5))

        assert decision.actions == (), status
        assert decision.next_action_on["F1"] is None, status


def test_a_fully_paid_balance_stops_escalation_whatever_the_status_says():
    settled = invoice(due=MONDAY, amount_paid=invoice().total)

    assert decide(customer(), [settled], policy(), PARIS, date(2026, 3, 5)).next_action_on["F1"] is None


def test_a_promise_to_pay_pauses_until_its_date_then_resumes_where_it_stopped():
    promised = invoice(
        due=MONDAY,
        steps=("courtesy", "reminder_1"),
        last_step_on=date(2026, 3, 5),
        status=InvoiceStatus.PROMISED,
        paused_until=date(2026, 3, 25),
        pause_reason="promise",
    )

    log = run(40, date(2026, 3, 6), [promised])

    assert log[0] == (date(2026, 3, 26), {"F1": "reminder_2"})


def test_a_do_not_dun_customer_gets_nothing():
    decision = decide(customer(do_not_dun=True), [invoice(due=MONDAY)], policy(), PARIS, date(2026, 2, 27))

    assert decision.actions == ()
    assert decision.next_action_on["F1"] is None


def test_a_balance_below_a_steps_minimum_ends_the_escalation_there():
    small = invoice(
        due=date(2026, 1, 5),
        total="30.00",
        steps=("courtesy", "reminder_1", "reminder_2", "reminder_3", "formal_notice", "suspension"),
        last_step_on=date(2026, 2, 26),
    )

    decision = decide(customer(), [small], policy(), PARIS, date(2026, 3, 12))

    assert decision.actions == ()
    assert decision.next_action_on["F1"] is None
    assert "below the minimum" in decision.holds[0].reason


def test_the_stored_next_action_date_is_exactly_the_day_the_engine_acts():
    who, invoices = customer(), [invoice("F1", due=MONDAY), invoice("F2", due=date(2026, 3, 20))]
    chosen = policy()
    expected = {
        inv.invoice_id: next_action_date(who, inv, chosen, PARIS, date(2026, 2, 1)) for inv in invoices
    }
    day = date(2026, 2, 1)
    while day < date(2026, 6, 30):
        decision = decide(who, invoices, chosen, PARIS, day)
        acted = {item.invoice.invoice_id for item in decision.actions}
        for inv in invoices:
            assert (inv.invoice_id in acted) == (expected[inv.invoice_id] == day), (inv.invoice_id, day)
        expected.update(decision.next_action_on)
        invoices, who = apply(invoices, who, decision)
        day += timedelta(days=1)


def test_letters_are_grouped_by_currency():
    eur = invoice(
        "F1",
        due=date(2026, 1, 5),
        steps=("courtesy", "reminder_1", "reminder_2", "reminder_3"),
        last_step_on=date(2026, 2, 4),
    )
    gbp = replace(eur, invoice_id="F2", currency="GBP")

    decision = decide(customer(), [eur, gbp], policy(), PARIS, date(2026, 2, 16))

    assert Action.LETTER in decision.channels
    assert {
        currency: [i.invoice.invoice_id for i in items]
        for currency, items in decision.letters_by_currency().items()
    } == {"EUR": ["F1"], "GBP": ["F2"]}


def test_planning_never_proposes_a_closed_day():
    day = date(2026, 1, 1)
    while day < date(2026, 12, 31):
        planned = plan_next_step(invoice(due=day), policy(), PARIS, day - timedelta(days=10))
        assert planned is not None
        assert PARIS.is_open(planned.act_on)
        day += timedelta(days=1)
