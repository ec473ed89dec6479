"""A customer's file as the escalation log tells it: what was sent, what was paid, which notices exist,
and what SES said about each email (delivered, bounced, complained)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from relance.domain.amounts import ZERO
from relance.domain.events import EventKind, Outcome
from relance.domain.policy import Action, Policy
from relance.ports import Context
from relance.services.penalties import DatedPayment

# The kind of the events services/feedback.py appends for SES delivery notifications.


@dataclass(frozen=True)
class Delivery:
    """One SES notification about one email."""

    on: date
    status: str
    recorded_at: datetime
    recipients: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True)
class CustomerFile:
    history: list[dict[str, Any]] = field(default_factory=list)
    """Every logged step and status change: on, kind, step, channels, outcome, message_id, invoice_ids,
    reason, actor. Delivery notifications are not in it (see `deliveries`)."""
    payments: list[DatedPayment] = field(default_factory=list)
    notice_dates: dict[str, date] = field(default_factory=dict)
    """The day each invoice's formal notice went: consumer interest runs from it."""
    notices: list[dict[str, Any]] = field(default_factory=list)
    """Every stored notice: on, step, key, sha256, currency, invoice_ids."""
    deliveries: dict[str, list[Delivery]] = field(default_factory=dict)
    """SES's notifications per message id, in the order they were logged."""

    def deliveries_of(
        self, message_id: str | None, recorded_before: datetime | None = None
    ) -> list[Delivery]:
        """SES's notifications about an email, oldest first; [] when nothing came back (yet).

        `recorded_before` keeps a document reproducible: what arrived after it started is left out.
        """
        return [
            delivery
            for delivery in self.deliveries.get(message_id or "", [])
            if recorded_before is None or delivery.recorded_at < recorded_before
        ]

    def delivery_of(self, message_id: str | None, recorded_before: datetime | None = None) -> list[str]:
        """The statuses SES reported for an email, oldest first, each once."""
        statuses: list[str] = []
        for delivery in self.deliveries_of(message_id, recorded_before):
            if delivery.status not in statuses:
                statuses.append(delivery.status)
        return statuses


def load_customer_file(ctx: Context, customer_id: str, policy: Policy) -> CustomerFile:
    letter_steps = {step.id for step in policy.steps if Action.LETTER in step.actions}
    file = CustomerFile()
    for event in ctx.events.for_customer(customer_id):
        if event.kind is EventKind.PAYMENT:
            file.payments.extend(
                DatedPayment(invoice_id, event.occurred_on, event.amount or ZERO)
                for invoice_id in event.invoice_ids[:1]
            )
            continue
        if event.kind is EventKind.DELIVERY:
            if event.message_id:
                file.deliveries.setdefault(event.message_id, []).append(_delivery(event))
            continue
        file.history.append(
            {
                "on": event.occurred_on,
                "kind": event.kind.value,
                "step": event.step,
                "channels": list(event.channels),
                "outcome": event.outcome.value,
                "message_id": event.message_id,
                "invoice_ids": list(event.invoice_ids),
                "reason": event.reason,
                "actor": event.actor,
                "case_id": event.case_id,
                "email_key": event.email_key,
                "email_sha256": event.email_sha256,
                # A reply's raw email and its hash (services/replies.py), for the hand-off pack.
                "detail": dict(event.detail),
            }
        )
        if event.kind is not EventKind.ESCALATION or event.outcome is not Outcome.SENT:
            continue
        # The invoices a notice covers: those its lines mark as noticed (logs written before cases: the
        # lines at a letter step), not every invoice the email listed.
        covered = [
            line.invoice_id
            for line in event.lines
            if line.stage == "noticed" or (line.stage is None and line.step in letter_steps)
        ]
        for invoice_id in covered:
            file.notice_dates.setdefault(invoice_id, event.occurred_on)
        file.notices.extend(
            {
                "on": event.occurred_on,
                "step": event.step,
                "key": notice.key,
                "sha256": notice.sha256,
                "currency": notice.currency,
                "invoice_ids": covered or list(event.invoice_ids),
                "case_id": event.case_id,
            }
            for notice in event.notices
            # Hand-off packs are logged with the notices; they are not notices the debtor received.
            if notice.key.startswith("notices/")
        )
    return file


def _delivery(event: Any) -> Delivery:
    detail = event.detail or {}
    recipients = detail.get("recipients", "")
    return Delivery(
        on=event.occurred_on,
        status=event.outcome.value,
        recorded_at=event.recorded_at,
        recipients=tuple(recipients.split(","))
        if isinstance(recipients, str) and recipients
        else tuple(recipients or ()),
        reason=event.reason,
    )
