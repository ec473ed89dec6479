"""The pipeline in bad weather: ten days without a run, an address that bounces."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise

from relance.domain.events import EventKind, Outcome
from relance.domain.models import ContactStatus
from relance.policies import get_policy

from .driver import bill, client, customer, events, pipeline, run_day, run_days, seed, sent

DOWN_FROM = date(2026, 2, 14)
BACK_ON = date(2026, 2, 24)  # ten days without a run
CUSTOMERS = {"C1": "fr-b2b-standard", "C2": "fr-b2b-standard", "C3": "strict", "C4": "gentle"}


def steps_taken(ctx) -> dict[str, int]:
    """How many ladder steps each customer's cases have taken, closed cases included (from the log)."""
    return {
        customer_id: len(
            [
                event
                for event in events(ctx, customer_id, EventKind.ESCALATION)
                if event.outcome is Outcome.SENT and event.case_id is not None
            ]
        )
        for customer_id in CUSTOMERS
    }


def test_after_ten_days_down_each_case_advances_one_step_and_keeps_its_spacing_after():
    ctx = pipeline(date(2026, 1, 26))
    books = {
        "C1": [bill("F1", "C1", due=date(2026, 1, 20))],
        "C2": [
            bill("F2", "C2", due=date(2026, 1, 10)),
            bill("F3", "C2", due=date(2026, 2, 5), total="450.00"),
        ],
        "C3": [bill("F4", "C3", due=date(2026, 1, 28))],
        "C4": [bill("F5", "C4", due=date(2026, 1, 12))],
    }
    for customer_id, policy in CUSTOMERS.items():
        seed(ctx, client(customer_id, policy=policy), books[customer_id])
    run_days(ctx, date(2026, 1, 26), DOWN_FROM - timedelta(days=1))
    before = steps_taken(ctx)
    due_meanwhile = {
        customer_id
        for customer_id in CUSTOMERS
        if (when := customer(ctx, customer_id).next_action_on) is not None and when <= BACK_ON
    }

    run_day(ctx, BACK_ON)

    after = steps_taken(ctx)
    assert len(due_meanwhile) >= 3  # most of the book had a step due while the pipeline was down
    assert {who for who in CUSTOMERS if after[who] > before[who]} == due_meanwhile
    assert all(after[who] - before[who] <= 1 for who in CUSTOMERS)  # one step each, nothing rushed

    run_days(ctx, BACK_ON + timedelta(days=1), date(2026, 4, 30))

    for customer_id, name in CUSTOMERS.items():
        policy = get_policy(name)
        messages = [
            event
            for event in events(ctx, customer_id, EventKind.ESCALATION)
            if event.outcome is Outcome.SENT and event.occurred_on >= BACK_ON
        ]
        assert messages, customer_id
        for earlier, later in pairwise(messages):
            gap = (later.occurred_on - earlier.occurred_on).days
            assert gap >= max(1, policy.min_days_between_messages), (customer_id, earlier.step, later.step)
        by_case = defaultdict(list)
        for event in messages:
            by_case[event.case_id].append(event)
        for steps in by_case.values():
            for earlier, later in pairwise(steps):
                spacing = policy.steps[policy.index_of(later.step)].min_days_since_previous
                assert (later.occurred_on - earlier.occurred_on).days >= max(1, spacing), later.step


def test_a_bounced_address_is_not_emailed_and_the_account_manager_calls_instead():
    ctx = pipeline(date(2026, 3, 2))
    seed(ctx, client("C1", contact_status=ContactStatus.BOUNCED), [bill("F1", courtesy_on=date(2026, 2, 23))])

    run_day(ctx, date(2026, 3, 2))

    [message] = sent(ctx)
    assert message["To"] == "am@creditor.example"  # the call task, to the account manager
    assert message["X-Relance-Step"] == "call_task"
    [event] = events(ctx, "C1", EventKind.ESCALATION)
    assert (event.step, event.outcome, event.channels) == ("reminder_1", Outcome.SENT, ("call_task",))
    assert "bounced" in (event.reason or "")
    assert event.message_id is None  # no email to the customer
    # The step is taken by the call: the case moves on, and the customer counts as contacted today.
    assert customer(ctx).cases[0].step_ids == ("reminder_1",)
    assert customer(ctx).last_message_on == date(2026, 3, 2)
