"""The pipeline in bad weather, through the real handlers: a ten-day outage, an address that bounces."""

from __future__ import annotations

import email
from collections import defaultdict
from datetime import date, timedelta
from email.policy import default
from itertools import pairwise

import pytest

from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord
from relance.policies import get_policy
from relance_tools.local_pipeline import LocalPipeline

from .seed import add_customer, add_invoice

pytestmark = pytest.mark.integration

DOWN_FROM = date(2026, 2, 14)
BACK_ON = date(2026, 2, 24)  # ten days without a run
CUSTOMERS = {"C1": "fr-b2b-standard", "C2": "fr-b2b-standard", "C3": "strict", "C4": "gentle"}


def run(stack: LocalPipeline, first: date, last: date) -> None:
    day = first
    while day <= last:
        stack.run_day(day)
        day += timedelta(days=1)


def steps_of(customer_id: str) -> dict[str, list[str]]:
    return {record.invoice_id: list(record.steps_done) for record in InvoiceRecord.query(customer_id)}


def test_after_ten_days_down_each_invoice_advances_one_step_and_keeps_the_spacing_after(stack: LocalPipeline):
    stack.set_day(date(2026, 1, 26))
    for customer_id, policy in CUSTOMERS.items():
        add_customer(customer_id, policy=policy)
    add_invoice(stack.runtime, "F1", "C1", due=date(2026, 1, 20))
    add_invoice(stack.runtime, "F2", "C2", due=date(2026, 1, 10))
    add_invoice(stack.runtime, "F3", "C2", due=date(2026, 2, 5), total="450.00")
    add_invoice(stack.runtime, "F4", "C3", due=date(2026, 1, 28))
    add_invoice(stack.runtime, "F5", "C4", due=date(2026, 1, 12))
    run(stack, date(2026, 1, 26), DOWN_FROM - timedelta(days=1))
    before = {customer_id: steps_of(customer_id) for customer_id in CUSTOMERS}
    due_meanwhile = {
        (record.customer_id, record.invoice_id)
        for customer_id in CUSTOMERS
        for record in InvoiceRecord.query(customer_id)
        if record.next_action_on is not None and record.next_action_on <= BACK_ON
    }

    stack.run_day(BACK_ON)

    after = {customer_id: steps_of(customer_id) for customer_id in CUSTOMERS}
    advanced = {
        (customer_id, invoice_id): len(after[customer_id][invoice_id]) - len(steps)
        for customer_id, invoices in before.items()
        for invoice_id, steps in invoices.items()
    }
    assert len(due_meanwhile) >= 4  # most of the book had a step due while the pipeline was down
    assert {key for key, count in advanced.items() if count} == due_meanwhile
    assert set(advanced.values()) <= {0, 1}  # one step each, nothing rushed

    run(stack, BACK_ON + timedelta(days=1), date(2026, 4, 30))

    for customer_id, name in CUSTOMERS.items():
        policy = get_policy(name)
        sent = [
            event
            for event in EventRecord.query(customer_id)
            if event.kind == "escalation" and event.outcome == "sent" and event.occurred_on >= BACK_ON
        ]
        for earlier, later in pairwise(sent):
            gap = (later.occurred_on - earlier.occurred_on).days
            assert gap >= max(1, policy.min_days_between_messages), (customer_id, earlier.step, later.step)
        taken: dict[str, list[tuple[date, str]]] = defaultdict(list)
        for event in sent:
            for line in event.lines:
                taken[line.invoice_id].append((event.occurred_on, line.step))
        for invoice_id, dated in taken.items():
            for (earlier_on, _), (later_on, step) in pairwise(dated):
                spacing = policy.steps[policy.index_of(step)].min_days_since_previous
                assert (later_on - earlier_on).days >= max(1, spacing), (invoice_id, step)


def test_a_bounced_address_is_not_emailed_and_the_account_manager_calls_instead(stack: LocalPipeline):
    add_customer("C1", contact_status="bounced")
    add_invoice(
        stack.runtime, "F1", due=date(2026, 2, 26), steps=("courtesy",), last_step_on=date(2026, 2, 23)
    )

    stack.run_day(date(2026, 3, 2))

    [message] = [email.message_from_string(m["raw_data"], policy=default) for m in stack.aws.sent_messages()]
    assert message["To"] == "am@creditor.example"  # the call task, to the account manager
    assert message["X-Relance-Step"] == "call_task"
    [event] = [event for event in EventRecord.query("C1") if event.kind == "escalation"]
    assert (event.step, event.outcome, list(event.channels)) == ("reminder_1", "sent", ["call_task"])
    assert "bounced" in event.reason
    assert event.message_id is None  # no email to the customer
    assert InvoiceRecord.get("C1", "F1").steps_done == ["courtesy", "reminder_1"]
    assert CustomerRecord.get("C1").last_message_on == date(2026, 3, 2)
