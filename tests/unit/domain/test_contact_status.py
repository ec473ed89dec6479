"""A customer whose address bounced or complained is never emailed; its steps still reach it, by phone.

The step is taken (never skipped, never rushed), but its email is replaced by a call task for the
account manager, who also gets the address fixed; letters are still produced. The log records the
channels actually used, so a formal notice never leans on an email that did not leave.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from relance.domain.engine import decide
from relance.domain.models import ContactStatus, Instalment, InvoiceStatus
from relance.domain.plans import agree_plan
from relance.domain.policy import Action

from .builders import PARIS, customer, invoice, policy

REMINDED = invoice(due=date(2026, 3, 2), steps=("courtesy",), last_step_on=date(2026, 2, 27))


def test_a_bounced_address_gets_its_step_by_call_task_instead_of_email():
    decision = decide(
        customer(contact_status=ContactStatus.BOUNCED), [REMINDED], policy(), PARIS, date(2026, 3, 5)
    )

    assert [item.step.id for item in decision.case_actions] == ["reminder_1"]
    assert decision.channels == {Action.EMAIL}
    assert decision.delivered_channels == {Action.CALL_TASK}
    assert decision.email_blocked is not None
    assert "bounced" in decision.email_blocked


def test_a_complaint_blocks_the_email_of_a_formal_notice_but_not_its_letter():
    due_for_notice = invoice(
        due=date(2026, 1, 5),
        steps=("courtesy", "reminder_1", "reminder_2", "reminder_3"),
        last_step_on=date(2026, 2, 4),
    )

    decision = decide(
        customer(contact_status=ContactStatus.COMPLAINED),
        [due_for_notice],
        policy(),
        PARIS,
        date(2026, 2, 16),
    )

    assert decision.delivered_channels == {Action.LETTER, Action.CALL_TASK}


def test_a_reachable_address_is_emailed():
    decision = decide(customer(), [REMINDED], policy(), PARIS, date(2026, 3, 5))

    assert decision.email_blocked is None
    assert decision.delivered_channels == {Action.EMAIL}


def test_a_plan_reminder_to_a_blocked_address_goes_nowhere_and_says_why():
    base = invoice(due=date(2026, 3, 2), total="1000.00")
    plan = agree_plan(base, [Instalment(date(2026, 4, 10), Decimal("1000.00"))], date(2026, 3, 10))
    under_plan = replace(base, status=InvoiceStatus.PLAN, plan=plan)

    decision = decide(
        customer(contact_status=ContactStatus.BOUNCED), [under_plan], policy(), PARIS, date(2026, 4, 13)
    )

    assert len(decision.plan_reminders) == 1
    assert decision.delivered_channels == frozenset()
    assert decision.email_blocked is not None
