"""A customer's file as the escalation log tells it: what was sent, what was paid, which notices exist,
and what SES said about each email (delivered, bounced, complained)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from relance.bootstrap import Runtime
from relance.domain.amounts import ZERO
from relance.domain.events import EventKind, Outcome
from relance.domain.policy import Action, Policy
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


def load_customer_file(rt: Runtime, customer_id: str, policy: Policy) -> CustomerFile:
    letter_steps = {step.id for step in policy.steps if Action.LETTER in step.actions}
    file = CustomerFile()
    for record in rt.events.for_customer(customer_id):
        if record.kind == EventKind.PAYMENT.value:
            file.payments.extend(
                DatedPayment(invoice_id, record.occurred_on, record.amount or ZERO)
                for invoice_id in record.invoice_ids[:1]
            )
            continue
        if record.kind == EventKind.DELIVERY.value:
            if record.message_id:
                file.deliveries.setdefault(record.message_id, []).append(_delivery(record))
            continue
        file.history.append(
            {
                "on": record.occurred_on,
                "kind": record.kind,
                "step": record.step,
                "channels": list(record.channels),
                "outcome": record.outcome,
                "message_id": record.message_id,
                "invoice_ids": list(record.invoice_ids),
                "reason": record.reason,
                "actor": record.actor,
            }
        )
        if record.kind != EventKind.ESCALATION.value or record.outcome != Outcome.SENT.value:
            continue
        for line in record.lines or []:
            if line.step in letter_steps:
                file.notice_dates.setdefault(line.invoice_id, record.occurred_on)
        # The invoices a notice covers are those at a letter step that day, not all the email listed.
        covered = [line.invoice_id for line in record.lines or [] if line.step in letter_steps]
        file.notices.extend(
            {
                "on": record.occurred_on,
                "step": record.step,
                "key": notice.key,
                "sha256": notice.sha256,
                "currency": notice.currency,
                "invoice_ids": covered or list(record.invoice_ids),
            }
            for notice in record.notices or []
            # Hand-off packs are logged with the notices; they are not notices the debtor received.
            if notice.key.startswith("notices/")
        )
    return file


def _delivery(record: Any) -> Delivery:
    detail = json.loads(record.detail) if record.detail else {}
    return Delivery(
        on=record.occurred_on,
        status=record.outcome,
        recorded_at=record.recorded_at,
        recipients=tuple(detail.get("recipients", ())),
        reason=record.reason,
    )
