"""A book written by the version before cases, read into cases by the real handlers without resending.

The items are written as that version wrote them: each invoice with its own steps_done and last_step_on,
and its own entry in the per-invoice due-index; the customer with no cases and no next action date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from relance.adapters.dynamo.records import CustomerRecord, InvoiceRecord, due_shard
from relance.domain.events import EventKind, Outcome
from relance.domain.models import CaseState
from relance_tools.local_pipeline import LocalPipeline

# The previous version sent C1's formal notice on 12 March for F1 and its first reminder for F2 on 9 March.
NOTICE_DAY = date(2026, 3, 12)


def write_like_the_previous_version(pipeline: LocalPipeline) -> None:
    shards = pipeline.runtime.settings.due_shards
    assert pipeline.runtime.book is not None  # binds the records to this stack's tables
    CustomerRecord(
        customer_id="C1", name="Client C1 SARL", email="compta@c1.example", address=["1 rue", "69001 Lyon"]
    ).save()
    for number, due, steps, last_on, next_on in (
        (
            "F1",
            date(2026, 2, 2),
            ["courtesy", "reminder_1", "reminder_2", "reminder_3", "formal_notice"],
            NOTICE_DAY,
            date(2026, 3, 24),
        ),
        ("F2", date(2026, 3, 6), ["courtesy", "reminder_1"], date(2026, 3, 9), date(2026, 3, 23)),
    ):
        InvoiceRecord(
            customer_id="C1",
            invoice_id=number,
            issue_date=date(2026, 1, 2),
            due_date=due,
            currency="EUR",
            total=Decimal("1200.00"),
            amount_paid=Decimal("0.00"),
            steps_done=steps,
            last_step_on=last_on,
            next_action_on=next_on,
            due_shard=due_shard("C1", shards),
        ).save()


def test_a_per_invoice_book_is_adopted_into_one_case_and_only_the_next_step_goes_out(stack: LocalPipeline):
    write_like_the_previous_version(stack)

    for day in (
        date(2026, 3, 23),
        date(2026, 3, 24),
        date(2026, 3, 25),
        date(2026, 3, 26),
        date(2026, 3, 27),
    ):
        stack.run_day(day)

    rt = stack.runtime
    escalations = [
        event
        for event in rt.events.for_customer("C1")
        if event.kind is EventKind.ESCALATION and event.outcome is Outcome.SENT
    ]
    # Nothing already sent goes again: the case takes the step after the formal notice, and only that.
    assert [event.step for event in escalations] == ["suspension"]
    customer = rt.book.customer("C1")
    assert customer is not None
    [case] = customer.cases
    assert case.state is CaseState.OPEN
    assert case.step_ids == ("reminder_1", "reminder_2", "reminder_3", "formal_notice", "suspension")
    assert case.noticed == ("F1",)
    # The invoices left the per-invoice index and keep only their courtesy marks; the customer holds the date.
    for record in InvoiceRecord.query("C1"):
        assert record.next_action_on is None
        assert record.due_shard is None
        assert list(record.steps_done) == ["courtesy"]
    assert customer.next_action_on is not None
    opened = [event for event in rt.events.for_customer("C1") if event.kind is EventKind.CASE]
    assert [(event.step, "earlier version" in (event.reason or "")) for event in opened] == [("opened", True)]
