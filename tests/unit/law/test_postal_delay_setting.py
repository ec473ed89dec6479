"""One setting says how long a registered letter takes (POSTAL_DELAY_DAYS), and one the creditor's region:
the suspension's spacing and the notice's deadline both read the first, the calendar the second."""

from __future__ import annotations

from datetime import date

from relance.adapters.memory import memory_context, memory_settings
from relance.domain.models import Case, LetterTracking
from relance.services.call_tasks import notices_with_deadlines
from tests.unit.services.driver import client

NOTICE = {"on": date(2026, 11, 3), "case_id": "C1-EUR-1", "key": "notices/C1/x.pdf"}


def test_every_policy_takes_the_settings_postal_delay():
    ctx = memory_context(memory_settings(postal_delay_days=6))

    assert {policy.postal_delay_days for policy in ctx.policies.policies.values()} == {6}
    assert ctx.policies.for_customer(client()).postal_delay_days == 6


def test_the_deadline_a_call_task_recalls_runs_from_receipt_or_the_estimated_arrival():
    policy = memory_context(memory_settings(postal_delay_days=4)).policies.for_customer(client())
    received = Case(
        "C1-EUR-1", "EUR", date(2026, 10, 1), letter=LetterTracking(received_on=date(2026, 11, 5))
    )

    [estimated] = notices_with_deadlines(policy, [NOTICE])
    [from_receipt] = notices_with_deadlines(policy, [NOTICE], [received])

    assert estimated["deadline"] == date(2026, 11, 3 + 4 + 8)
    assert from_receipt["deadline"] == date(2026, 11, 5 + 8)


def test_an_alsace_moselle_creditor_is_closed_on_good_friday_and_saint_etienne():
    alsace = memory_context(memory_settings(creditor_region="fr-67")).calendar
    paris = memory_context().calendar

    for day in (date(2026, 4, 3), date(2025, 12, 26)):  # Good Friday 2026; a Friday 26 December
        assert paris.is_open(day)
        assert not alsace.is_open(day)
