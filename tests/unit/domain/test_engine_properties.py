"""Properties of the engine over random books and histories, run day by day over months.

Each example is one customer with 1 to 6 invoices (random due dates and amounts, imported with no step
done), a random shipped policy, and a random history: payments in full or in part, disputes, promises,
resumes and payment plans on random days. Every day the history's events of the day are applied first
(as ingest and the levers do, each rescheduling its invoice), then the engine decides and its decision
is carried out. The checks hold on every day of every example.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import event as observe
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.domain.amounts import ZERO
from relance.domain.engine import Decision, carry_out, decide, next_action_date
from relance.domain.models import (
    ContactStatus,
    Customer,
    CustomerKind,
    Instalment,
    Invoice,
    InvoiceStatus,
)
from relance.domain.plans import PlanError, agree_plan
from relance.domain.policy import Policy

from .builders import PARIS, policy

PROFILE = settings.get_profile(os.environ.get("RELANCE_HYPOTHESIS", "engine"))
POLICIES = ("fr-b2b-standard", "fr-b2c", "gentle", "strict")
HORIZON = 110  # days run per example: enough for a late invoice to go through most of a policy
STOPPED = {InvoiceStatus.PAID, InvoiceStatus.DISPUTED, InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF}


@dataclass(frozen=True)
class Event:
    """Something a person or a payment file does to one invoice, before that day's run."""

    day: int
    invoice: int
    kind: str  # pay_all | pay_part | pay_instalment | dispute | promise | resume | plan
    days: int = 0  # promise length, or instalment spacing for a plan
    count: int = 1  # instalments of a plan


@dataclass
class Run:
    """One example's life: the state, the stored index, and what the engine did each day."""

    customer: Customer
    invoices: list[Invoice]
    policy: Policy
    stored: dict[str, date | None] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)


invoices_strategy = st.lists(
    st.tuples(
        st.integers(min_value=-120, max_value=60),  # due date, days from the first day run
        st.integers(min_value=2_000, max_value=2_000_000),  # total in cents
    ),
    min_size=1,
    max_size=6,
)
events_strategy = st.lists(
    st.builds(
        Event,
        day=st.integers(min_value=0, max_value=HORIZON - 1),
        invoice=st.integers(min_value=0, max_value=5),
        kind=st.sampled_from(
            ["pay_all", "pay_part", "pay_instalment", "dispute", "promise", "resume", "plan", "plan"]
        ),
        days=st.integers(min_value=1, max_value=40),
        count=st.integers(min_value=1, max_value=4),
    ),
    max_size=12,
)


@st.composite
def runs(draw: st.DrawFn) -> tuple[Run, list[Event], date]:
    start = draw(st.dates(min_value=date(2025, 11, 1), max_value=date(2026, 9, 30)))
    chosen = policy(draw(st.sampled_from(POLICIES)))
    who = Customer(
        customer_id="C1",
        name="Client",
        email="c1@example.org",
        kind=draw(st.sampled_from(list(CustomerKind))),
        # Mostly reachable; sometimes an address that bounced (steps go by call task instead).
        contact_status=draw(st.sampled_from([ContactStatus.OK] * 4 + [ContactStatus.BOUNCED])),
    )
    books = [
        Invoice(
            invoice_id=f"F{number}",
            customer_id="C1",
            issue_date=start + timedelta(days=due - 30),
            due_date=start + timedelta(days=due),
            currency="EUR",
            total=Decimal(cents) / 100,
        )
        for number, (due, cents) in enumerate(draw(invoices_strategy))
    ]
    run = Run(customer=who, invoices=books, policy=chosen)
    # Imported before the first run: each invoice gets its next action date as ingest computes it.
    run.stored = {
        invoice.invoice_id: next_action_date(who, invoice, chosen, PARIS, start) for invoice in books
    }
    return run, draw(events_strategy), start


def apply_event(run: Run, event: Event, today: date) -> None:
    """What ingest (payments) and the levers do, then the invoice rescheduled as they reschedule it."""
    if event.invoice >= len(run.invoices):
        return
    invoice = run.invoices[event.invoice]
    if invoice.status in {InvoiceStatus.PAID, InvoiceStatus.CANCELLED, InvoiceStatus.WRITTEN_OFF}:
        return  # a lever refuses; a payment on a paid invoice changes nothing here
    changed: Invoice | None = None
    if event.kind.startswith("pay_"):
        amount = invoice.balance
        if event.kind == "pay_part":
            amount = (invoice.balance / 2).quantize(Decimal("0.01"))
        elif event.kind == "pay_instalment" and invoice.plan is not None:
            index = invoice.plan.first_uncovered(invoice.amount_paid)
            amount = invoice.plan.instalments[index].amount if index is not None else ZERO
        if amount <= ZERO:
            return
        paid = invoice.amount_paid + amount
        settled = paid >= invoice.total
        changed = replace(
            invoice,
            amount_paid=paid,
            status=InvoiceStatus.PAID if settled else invoice.status,
            paid_on=today if settled else None,
        )
    elif event.kind == "dispute":
        changed = replace(invoice, status=InvoiceStatus.DISPUTED, paused_until=None, plan=None)
    elif event.kind == "promise":
        until = today + timedelta(days=event.days)
        changed = replace(invoice, status=InvoiceStatus.PROMISED, paused_until=until, plan=None)
    elif event.kind == "resume":
        changed = replace(invoice, status=InvoiceStatus.OPEN, paused_until=None, plan=None)
    elif event.kind == "plan":
        changed = _with_plan(invoice, event, today)
    if changed is None:
        return
    run.invoices[event.invoice] = changed
    run.stored[changed.invoice_id] = next_action_date(run.customer, changed, run.policy, PARIS, today)


def _with_plan(invoice: Invoice, event: Event, today: date) -> Invoice | None:
    cents = int(invoice.balance * 100)
    if cents < event.count:
        return None
    share = cents // event.count
    amounts = [share] * (event.count - 1) + [cents - share * (event.count - 1)]
    instalments = [
        Instalment(today + timedelta(days=event.days * (k + 1)), Decimal(amount) / 100)
        for k, amount in enumerate(amounts)
    ]
    try:
        agreed = agree_plan(invoice, instalments, today)
    except PlanError:
        return None
    return replace(invoice, status=InvoiceStatus.PLAN, paused_until=None, plan=agreed)


def touched(decision: Decision) -> set[str]:
    """Invoices the engine acts on: a step, a plan reminder or a plan break."""
    return (
        {item.invoice.invoice_id for item in decision.actions}
        | {item.invoice.invoice_id for item in decision.plan_reminders}
        | {item.invoice.invoice_id for item in decision.plan_breaks}
    )


def play(run: Run, events: list[Event], start: date) -> Run:
    """Runs every day (closed ones too: the engine itself must refuse them), checking as it goes."""
    by_day: dict[int, list[Event]] = {}
    for event in events:
        by_day.setdefault(event.day, []).append(event)
    for offset in range(HORIZON):
        today = start + timedelta(days=offset)
        for event in by_day.get(offset, []):
            apply_event(run, event, today)
        before = list(run.invoices)
        decision = decide(run.customer, before, run.policy, PARIS, today)

        # The same inputs give the same decision.
        assert decide(run.customer, before, run.policy, PARIS, today) == decision
        # The stored next action date is the day the engine acts: it never acts on a day not stored, so
        # the planner, which reads nothing else, never misses one. On a stored day it acts, except a step
        # that meets a payment-plan reminder of the same customer: the reminder is the day's one message,
        # and the step, held with that reason, is stored for the next message day.
        for invoice in before:
            key = invoice.invoice_id
            if key in touched(decision):
                assert run.stored[key] == today, (key, today, run.stored)
            elif run.stored[key] == today:
                assert decision.plan_reminders, (key, today)
                assert any(
                    hold.invoice_id == key and "plan reminder" in hold.reason for hold in decision.holds
                )
                assert (decision.next_action_on[key] or today) > today, (key, today)
        check_no_message_to_a_stopped_invoice(before, decision, today)
        assert not (decision.dispatches or decision.plan_breaks) or PARIS.is_open(today), today

        # Shown by --hypothesis-show-statistics: how often each path is exercised.
        for seen, label in (
            (decision.actions, "step taken"),
            (decision.plan_reminders, "plan reminder"),
            (decision.plan_breaks, "plan broken"),
            (decision.email_blocked, "email blocked"),
            (
                len({item.invoice.invoice_id for item in decision.actions}) > 1,
                "several invoices in one message",
            ),
        ):
            if seen:
                observe(label)
        run.customer, after = carry_out(run.customer, before, decision)
        run.invoices = list(after)
        run.stored.update(decision.next_action_on)
        run.decisions.append(decision)

        # Re-running the day, the decision carried out, sends and changes nothing more.
        again = decide(run.customer, run.invoices, run.policy, PARIS, today)
        assert not again.dispatches, today
        assert not again.plan_breaks, today
    return run


def check_no_message_to_a_stopped_invoice(before: list[Invoice], decision: Decision, today: date) -> None:
    states = {invoice.invoice_id: invoice for invoice in before}
    broken = {item.invoice.invoice_id for item in decision.plan_breaks}
    for item in decision.actions:
        invoice = states[item.invoice.invoice_id]
        assert invoice.balance > ZERO, invoice
        assert invoice.status not in STOPPED, invoice
        assert invoice.status is not InvoiceStatus.PLAN or invoice.invoice_id in broken, invoice
        assert invoice.paused_until is None or invoice.paused_until < today, invoice
    for reminder in decision.plan_reminders:
        invoice = states[reminder.invoice.invoice_id]
        assert invoice.status is InvoiceStatus.PLAN, invoice
        assert invoice.balance > ZERO, invoice


@PROFILE
@given(runs())
def test_steps_are_taken_in_order_and_never_skipped(example: tuple[Run, list[Event], date]) -> None:
    run = play(*example)

    for invoice in run.invoices:
        ids = [step.id for step in run.policy.steps]
        done = list(invoice.dunning.steps_done)
        # A step "before the due date only" may be passed over once overdue; no other step ever is.
        expected = [
            step.id
            for step in run.policy.steps[: ids.index(done[-1]) + 1 if done else 0]
            if step.id in done or not step.before_due_only
        ]
        assert done == expected, (invoice.invoice_id, done)


@PROFILE
@given(runs())
def test_a_customer_hears_from_us_once_a_day_at_most_and_with_the_policys_spacing(
    example: tuple[Run, list[Event], date],
) -> None:
    run = play(*example)

    message_days = [decision.on for decision in run.decisions if decision.sends_message]
    spacing = max(1, run.policy.min_days_between_messages)
    for earlier, later in pairwise(message_days):
        assert (later - earlier).days >= spacing, (earlier, later)
    for decision in run.decisions:
        # One message: either the escalation message at the highest step, or the plan reminder.
        assert not (decision.message_step is not None and decision.plan_reminders), decision.on
        if decision.message_step is not None:
            highest = max(item.index for item in decision.actions if item.step.sends_message)
            assert run.policy.steps[highest] == decision.message_step


@PROFILE
@given(runs())
def test_an_instalment_is_reminded_once_and_a_reminder_is_never_a_step(
    example: tuple[Run, list[Event], date],
) -> None:
    run = play(*example)

    reminded = [
        (item.invoice.invoice_id, item.invoice.plan.agreed_on, item.index)  # type: ignore[union-attr]
        for decision in run.decisions
        for item in decision.plan_reminders
    ]
    assert len(reminded) == len(set(reminded))
    step_ids = {step.id for step in run.policy.steps}
    for invoice in run.invoices:
        assert set(invoice.dunning.steps_done) <= step_ids


@PROFILE
@given(runs())
def test_an_unreachable_address_is_never_emailed_and_its_steps_go_by_call(
    example: tuple[Run, list[Event], date],
) -> None:
    run = play(*example)

    if run.customer.contact_status is ContactStatus.OK:
        return
    for decision in run.decisions:
        assert "email" not in {action.value for action in decision.delivered_channels}, decision.on
        if decision.message_step is not None:
            assert "call_task" in {action.value for action in decision.delivered_channels}
