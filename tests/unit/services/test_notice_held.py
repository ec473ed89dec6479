"""A contractual rate below the legal floor (Code de commerce L441-10) holds the notice for a person.

Printing the unlawful agreed rate, or silently another one, on a formal notice are both wrong: nothing of
the day goes out, the log says why, the digest lists it, and once the terms are corrected the notice goes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from relance.domain.events import EventKind, Outcome
from relance.services.bookkeeping import Edit, edit_book
from relance.services.digest import compute_digest, run_digest

from .driver import bill, case, client, customer, events, pipeline, run_day, run_days, sent

REMINDED = case(
    ("reminder_1", date(2026, 1, 8), ("F-OLD",)),
    ("reminder_2", date(2026, 1, 20), ("F-OLD",)),
    ("reminder_3", date(2026, 2, 4), ("F-OLD",)),
    opened_on=date(2026, 1, 6),
)
NOTICE_DAY = date(2026, 3, 2)


def reminded_customer(rate: str):
    ctx = pipeline(NOTICE_DAY)
    ctx.book.create(
        customers=[
            client("C1", cases=(REMINDED,), cases_opened=1, last_message_on=date(2026, 2, 4)),
        ]
    )
    edit_book(
        ctx,
        "C1",
        lambda who, _, __: Edit(
            replace(who, contract_rate=Decimal(rate)), [bill("F-OLD", due=date(2026, 1, 5))]
        ),
    )
    return ctx


def test_a_rate_below_the_floor_sends_nothing_logs_the_hold_and_the_digest_lists_it():
    ctx = reminded_customer("1.5")

    result = run_day(ctx, NOTICE_DAY)

    assert result.outcomes == {"C1": "notice_held"}
    assert sent(ctx) == []
    assert list(ctx.store.keys("notices/")) == []
    [held] = events(ctx, kind=EventKind.STATUS)
    assert held.outcome is Outcome.HELD
    assert held.invoice_ids == ("F-OLD",)
    assert held.detail["notice_held"] == "contract_rate_below_floor"
    assert "below the legal floor" in (held.reason or "")
    assert events(ctx, kind=EventKind.ESCALATION) == []
    assert customer(ctx).dispatch.pending is None
    digest = compute_digest(ctx, NOTICE_DAY)
    [item] = digest.group("held_notice")
    assert (item.customer_id, item.lines, item.currency) == ("C1", ("F-OLD",), "EUR")
    # Listed once, for its reason, not again among the customers the run left due.
    assert digest.group("not_processed") == []
    assert item.amount == Decimal("1200.00")
    written = run_digest(ctx, NOTICE_DAY)
    text = ctx.store.read(written.keys["txt"]).decode("utf-8")
    assert "MISES EN DEMEURE RETENUES POUR DÉCISION" in text
    assert "F-OLD" in text
    assert "plancher légal" in text


def test_the_hold_lasts_until_the_terms_are_corrected_then_the_notice_goes():
    ctx = reminded_customer("1.5")
    run_days(ctx, NOTICE_DAY, date(2026, 3, 3))
    assert sent(ctx) == []
    assert len(events(ctx, kind=EventKind.STATUS)) == 2

    edit_book(ctx, "C1", lambda who, invoices, _: Edit(replace(who, contract_rate=Decimal("15")), invoices))
    run_day(ctx, date(2026, 3, 4))

    steps = [message["X-Relance-Step"] for message in sent(ctx)]
    assert "formal_notice" in steps
    assert list(ctx.store.keys("notices/C1/"))


def test_a_lawful_contract_rate_is_not_held():
    ctx = reminded_customer("15")

    result = run_day(ctx, NOTICE_DAY)

    assert result.outcomes == {"C1": "sent"}
    assert events(ctx, kind=EventKind.STATUS) == []
