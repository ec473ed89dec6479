"""The preview's simulation plays the planner and the worker by their rules, in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from relance.domain.engine import carry_out, decide, next_action_on
from relance.domain.models import DispatchState, Instalment, Invoice, InvoiceStatus
from relance.domain.plans import agree_plan
from relance.domain.simulation import CustomerBook, simulate
from tests.unit.domain.builders import PARIS, customer, invoice, policy

MONDAY = date(2026, 3, 2)


def days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=offset) for offset in range(count)]


def book(*invoices: Invoice, **changes: object) -> CustomerBook:
    who = customer(**changes)
    due = next_action_on(who, invoices, policy(), PARIS, MONDAY - timedelta(days=20))
    return CustomerBook(customer=replace(who, next_action_on=due), invoices=tuple(invoices))


def test_the_simulation_sends_what_running_the_engine_every_day_sends():
    f1 = invoice("F1", due=date(2026, 2, 20))
    f2 = invoice("F2", due=date(2026, 3, 4), total="300.00")
    expected = []
    who, state = customer(), [f1, f2]
    for day in days(MONDAY - timedelta(days=20), 60):
        if not PARIS.is_open(day):
            continue
        decision = decide(who, state, policy(), PARIS, day)
        if decision.dispatches:
            listed = [*(i for a in decision.case_actions for i in a.invoices), *decision.courtesy]
            expected.append((day, decision.headline.id, tuple(i.invoice_id for i in listed)))
        who, after = carry_out(who, state, policy(), decision)
        state = list(after)

    simulated = simulate(book(f1, f2), policy(), PARIS, days(MONDAY - timedelta(days=20), 60))

    assert [(item.on, item.step, item.invoice_ids) for item in simulated] == expected
    assert all(PARIS.is_open(item.on) for item in simulated)


def test_a_held_customer_shows_what_is_held_and_nothing_moves():
    due = invoice(due=MONDAY, steps=("courtesy",), last_step_on=date(2026, 2, 27))

    held = book(due, dispatch=DispatchState(pending="C1#2026-03-04"))
    simulated = simulate(held, policy(), PARIS, days(MONDAY, 5))

    assert [(item.on, item.kind, item.step) for item in simulated] == [
        (date(2026, 3, 5), "held", "reminder_1"),
        (date(2026, 3, 6), "held", "reminder_1"),
    ]


def test_todays_dispatch_already_recorded_is_not_previewed_again():
    due = invoice(due=MONDAY, steps=("courtesy",), last_step_on=date(2026, 2, 27))

    done = book(due, dispatch=DispatchState(last="C1#2026-03-05"))
    simulated = simulate(done, policy(), PARIS, [date(2026, 3, 5)])

    assert simulated == []


def test_a_customer_absent_from_the_index_is_not_looked_at():
    quiet = book(invoice(due=MONDAY, steps=("courtesy",), last_step_on=date(2026, 2, 27)))
    quiet.customer = replace(quiet.customer, next_action_on=None)

    assert simulate(quiet, policy(), PARIS, days(MONDAY, 30)) == []


def test_plan_reminders_and_breaks_are_shown_with_the_amount_due():
    base = invoice(due=MONDAY, total="1000.00", steps=("courtesy",), last_step_on=date(2026, 2, 27))
    plan = agree_plan(base, [Instalment(date(2026, 3, 10), Decimal("1000.00"))], MONDAY)
    under_plan = replace(base, status=InvoiceStatus.PLAN, plan=plan)

    simulated = simulate(book(under_plan), policy(), PARIS, days(MONDAY, 25))

    # Reminded 3 days after the instalment; broken 10 days after it (Saturday 21st: the next open day),
    # and the escalation resumes that day with the step after the courtesy notice.
    assert [(item.on, item.kind, item.step, item.amounts) for item in simulated] == [
        (date(2026, 3, 13), "plan_reminder", "plan_reminder", (("EUR", Decimal("1000.00")),)),
        (date(2026, 3, 23), "escalation", "reminder_1", (("EUR", Decimal("1000.00")),)),
        (date(2026, 3, 23), "plan_broken", "open", (("EUR", Decimal("1000.00")),)),
    ]
