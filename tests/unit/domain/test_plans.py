"""Payment plans, specified on the default French B2B policy (reminder 3 days after an instalment, broken
10 days after it): the instalments replace the escalation while they are kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.domain.engine import carry_out, decide, next_action_on, next_day_after
from relance.domain.models import Case, CaseMessage, Customer, Instalment, Invoice, InvoiceStatus
from relance.domain.plans import PlanError, agree_plan, instalments_due

from .builders import PARIS, customer, invoice, policy

# Tuesday 10 March 2026: the plan is agreed; the invoice had its first reminder on 5 March.
AGREED = date(2026, 3, 10)
APRIL_10 = date(2026, 4, 10)  # a Friday
MAY_11 = date(2026, 5, 11)  # a Monday


def in_case(*invoice_ids: str) -> Customer:
    """The customer whose case sent its first reminder on 5 March, naming the invoices given."""
    case = Case(
        "C1-EUR-1",
        "EUR",
        date(2026, 3, 3),
        messages=(CaseMessage("reminder_1", date(2026, 3, 5), invoice_ids),),
    )
    return customer(cases=(case,), cases_opened=1)


def reminded_invoice(**changes: object) -> Invoice:
    base = invoice(due=date(2026, 3, 2), total="1000.00", steps=("courtesy",), last_step_on=date(2026, 2, 27))
    return replace(base, **changes)


def under_plan(*instalments: tuple[date, str], paid: str = "0.00") -> Invoice:
    base = reminded_invoice(amount_paid=Decimal(paid))
    plan = agree_plan(base, [Instalment(day, Decimal(amount)) for day, amount in instalments], AGREED)
    return replace(base, status=InvoiceStatus.PLAN, plan=plan)


def pay(inv: Invoice, amount: str) -> Invoice:
    return replace(inv, amount_paid=inv.amount_paid + Decimal(amount))


def run(days: int, start: date, invoices: list, payments: dict | None = None) -> list:
    """Every day from `start`: payments first (as ingest applies them), then the engine; the decisions."""
    who, chosen, log = in_case("F1"), policy(), []
    for offset in range(days):
        day = start + timedelta(days=offset)
        for index, amount in (payments or {}).get(day, []):
            invoices[index] = pay(invoices[index], amount)
        decision = decide(who, invoices, chosen, PARIS, day)
        who, after = carry_out(who, invoices, chosen, decision)
        invoices = list(after)
        log.append(decision)
    return log


@pytest.mark.parametrize(
    ("instalments", "message"),
    [
        ([], "at least one instalment"),
        ([(date(2026, 3, 9), "1000.00")], "is in the past"),
        ([(APRIL_10, "500.00"), (APRIL_10, "500.00")], "must come after the previous one"),
        ([(MAY_11, "500.00"), (APRIL_10, "500.00")], "must come after the previous one"),
        ([(APRIL_10, "0.00"), (MAY_11, "1000.00")], "must be positive"),
        ([(APRIL_10, "500.001"), (MAY_11, "499.999")], "more decimals than EUR allows"),
        ([(APRIL_10, "500.00"), (MAY_11, "400.00")], "sum to 900.00 EUR but the balance"),
    ],
)
def test_a_plan_is_refused_with_the_reason(instalments, message):
    with pytest.raises(PlanError, match=message):
        agree_plan(
            reminded_invoice(), [Instalment(day, Decimal(amount)) for day, amount in instalments], AGREED
        )


def test_a_plan_covers_the_balance_left_and_counts_only_later_payments():
    plan = agree_plan(
        reminded_invoice(amount_paid=Decimal("400.00")),
        [Instalment(APRIL_10, Decimal("300.00")), Instalment(MAY_11, Decimal("300.00"))],
        AGREED,
    )

    assert plan.paid_at_start == Decimal("400.00")
    assert plan.first_uncovered(Decimal("400.00")) == 0
    assert plan.first_uncovered(Decimal("700.00")) == 1
    assert plan.first_uncovered(Decimal("1000.00")) is None
    assert instalments_due(plan, Decimal("400.00"), MAY_11) == Decimal("600.00")


def test_no_plan_on_a_paid_or_cancelled_invoice():
    for status in (InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF):
        with pytest.raises(PlanError, match=status.value):
            agree_plan(reminded_invoice(status=status), [Instalment(APRIL_10, Decimal("1000.00"))], AGREED)


def test_instalments_paid_on_time_replace_every_escalation_step():
    plan = under_plan((APRIL_10, "500.00"), (MAY_11, "500.00"))

    log = run(90, AGREED, [plan], payments={APRIL_10: [(0, "500.00")], MAY_11: [(0, "500.00")]})

    assert [d for d in log if d.case_actions or d.plan_reminders or d.plan_breaks] == []


def test_a_missed_instalment_gets_one_reminder_three_days_after_its_date():
    log = run(12, AGREED + timedelta(days=30), [under_plan((APRIL_10, "500.00"), (MAY_11, "500.00"))])

    reminders = [(d.on, [r.index for r in d.plan_reminders]) for d in log if d.plan_reminders]
    assert reminders == [(date(2026, 4, 13), [0])]  # Friday 10 April + 3 days, then never again
    assert all(not d.case_actions for d in log)


def test_a_reminder_is_not_an_escalation_step_and_counts_as_the_days_message():
    plan = under_plan((APRIL_10, "500.00"), (MAY_11, "500.00"))
    decision = decide(in_case("F1"), [plan], policy(), PARIS, date(2026, 4, 14))

    who, [after] = carry_out(in_case("F1"), [plan], policy(), decision)

    assert after.dunning == plan.dunning
    assert after.plan is not None
    assert after.plan.reminded == (0,)
    assert who.last_message_on == date(2026, 4, 14)


def test_a_plan_unpaid_past_its_grace_period_breaks_and_escalation_resumes_after_the_last_step():
    log = run(20, date(2026, 4, 13), [under_plan((APRIL_10, "500.00"), (MAY_11, "500.00"))])

    [broken] = [d for d in log if d.plan_breaks]
    # 10 April + 10 days of grace: broken on the 21st, and the step after reminder_1 goes the same day
    # (the reminder of the 13th is 5 days behind, the policy's message spacing).
    assert broken.on == date(2026, 4, 21)
    assert [item.step.id for item in broken.case_actions] == ["reminder_2"]
    assert broken.case_actions[0].invoices[0].status is InvoiceStatus.OPEN


def test_a_partial_payment_covers_the_first_instalment_before_the_second():
    plan = under_plan((APRIL_10, "500.00"), (MAY_11, "500.00"))

    log = run(50, date(2026, 4, 1), [plan], payments={date(2026, 4, 9): [(0, "600.00")]})

    reminders = [(d.on, [r.index for r in d.plan_reminders]) for d in log if d.plan_reminders]
    # The second instalment, 400.00 of it still due; 11 May + 3 is Ascension Thursday, a holiday.
    assert reminders == [(date(2026, 5, 15), [1])]


def test_a_plan_paid_in_full_ends_with_nothing_left_to_do():
    plan = pay(under_plan((APRIL_10, "500.00"), (MAY_11, "500.00")), "1000.00")

    assert next_action_on(in_case("F1"), [plan], policy(), PARIS, AGREED) is None


def test_the_stored_date_of_a_plan_invoice_is_its_next_reminder_then_its_break():
    plan = under_plan((APRIL_10, "500.00"), (MAY_11, "500.00"))
    chosen = policy()

    assert next_action_on(in_case("F1"), [plan], chosen, PARIS, AGREED) == date(2026, 4, 13)
    reminded = replace(plan, plan=plan.plan.after_reminder(0))
    assert next_action_on(in_case("F1"), [reminded], chosen, PARIS, AGREED) == date(2026, 4, 21)


def test_the_plan_reminder_is_the_days_one_message_and_a_step_due_that_day_waits():
    plan = under_plan((APRIL_10, "500.00"), (MAY_11, "500.00"))
    other = invoice("F2", due=date(2026, 3, 20), total="300.00", steps=("courtesy",))
    who = in_case("F1", "F2")
    day = date(2026, 4, 13)  # the plan's reminder day, and the case's second reminder is due too

    decision = decide(who, [plan, other], policy(), PARIS, day)

    assert [r.invoice.invoice_id for r in decision.plan_reminders] == ["F1"]
    assert decision.case_actions == ()
    assert any(
        hold.subject == "C1-EUR-1" and "payment-plan reminder" in hold.reason for hold in decision.holds
    )
    # The step waits for the customer's next message day: the policy's 5-day spacing.
    assert next_day_after(who, [plan, other], policy(), PARIS, decision) == date(2026, 4, 20)


def test_a_plan_status_without_instalments_stops_as_before():
    bare = reminded_invoice(status=InvoiceStatus.PLAN)

    decision = decide(in_case("F1"), [bare], policy(), PARIS, date(2026, 3, 20))

    assert decision.case_actions == ()
    assert not decision.dispatches
    assert next_action_on(in_case("F1"), [bare], policy(), PARIS, date(2026, 3, 20)) is None
