"""The one way a customer's book changes outside the daily dispatch: read, change, settle, save, retry.

A lever, a payment, an invoice file or a person's decision changes the customer or its invoices. The book
is then settled (its cases opened or closed, relance.domain.cases), the customer's next action date is
recomputed for the daily index, and everything is saved in one conditional write with the events that
tell it. A concurrent writer (the worker, another file) makes the save fail: the change is made again on
the fresh book, a few times, before the caller is told.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from relance.domain.engine import next_action_on, settle_book
from relance.domain.events import EscalationEvent
from relance.domain.models import Customer, Invoice
from relance.domain.policy import Policy
from relance.ports import Change, ConflictError, Context
from relance.services.case_log import case_events

ATTEMPTS = 3


@dataclass(frozen=True)
class Edit:
    """What a change makes of a customer's book: the new customer and invoices, and the events to log.

    Invoices not in `invoices` are unchanged; new invoices (absent from the book) are created.
    """

    customer: Customer
    invoices: Sequence[Invoice] = ()
    events: Sequence[EscalationEvent] = ()


class NothingToDo(Exception):
    """Raised by an edit function when the change is already made (an idempotent retry)."""


@dataclass(frozen=True)
class Saved:
    customer: Customer
    invoices: tuple[Invoice, ...]
    events: tuple[EscalationEvent, ...]
    changed: bool


EditFunction = Callable[[Customer, Sequence[Invoice], Policy], Edit]


def edit_book(
    ctx: Context, customer_id: str, edit: EditFunction, *, actor: str = "system", run_id: str | None = None
) -> Saved:
    """Applies `edit` to the customer's book and saves it with its events; retries on a concurrent change.

    Raises LookupError for an unknown customer and ConflictError when every attempt lost the race.
    """
    today = ctx.calendar.local_date(ctx.clock())
    last_error: ConflictError | None = None
    for _ in range(ATTEMPTS):
        customer = ctx.book.customer(customer_id)
        if customer is None:
            raise LookupError(f"no customer {customer_id!r}")
        invoices = ctx.book.invoices_of(customer_id)
        try:
            result = edit(customer, invoices, ctx.policies.for_customer(customer))
        except NothingToDo:
            return Saved(customer, tuple(invoices), (), False)
        # The edited customer's policy: a payment may move it to another one (profile rules).
        policy = ctx.policies.for_customer(result.customer)
        changes, after_customer, after_invoices, events = settle_changes(
            ctx, customer, invoices, result, policy, today, actor=actor, run_id=run_id
        )
        if not changes and not events:
            return Saved(customer, tuple(invoices), (), False)
        try:
            ctx.book.save(changes, events)
        except ConflictError as exc:
            if exc.event_already_logged:
                # The very same change was saved before (a redelivered file, a retried lever).
                return Saved(customer, tuple(invoices), (), False)
            last_error = exc
            continue
        return Saved(after_customer, after_invoices, tuple(events), True)
    assert last_error is not None
    raise last_error


def settle_changes(
    ctx: Context,
    customer: Customer,
    invoices: Sequence[Invoice],
    edit: Edit,
    policy: Policy,
    today: date,
    *,
    actor: str = "system",
    run_id: str | None = None,
) -> tuple[list[Change[Any]], Customer, tuple[Invoice, ...], list[EscalationEvent]]:
    """The writes an edit makes once the book is settled: changed items, with the cases' own events."""
    before = {invoice.invoice_id: invoice for invoice in invoices}
    edited = {invoice.invoice_id: invoice for invoice in edit.invoices}
    merged = [edited.get(number, invoice) for number, invoice in before.items()]
    merged += [invoice for number, invoice in edited.items() if number not in before]
    settled, settled_invoices, case_changes, _ = settle_book(edit.customer, merged, policy, today)
    settled = replace(
        settled, next_action_on=next_action_on(settled, settled_invoices, policy, ctx.calendar, today)
    )
    changes: list[Change[Any]] = []
    if settled != customer:
        changes.append(Change(customer, settled))
    for invoice in settled_invoices:
        old = before.get(invoice.invoice_id)
        if old != invoice:
            changes.append(Change(old, invoice))
    events = [
        *edit.events,
        *case_events(ctx, settled, case_changes, settled_invoices, policy, today, run_id, actor=actor),
    ]
    return changes, settled, settled_invoices, events
