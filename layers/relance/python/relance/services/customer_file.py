"""A customer's file as the escalation log tells it: what was sent, what was paid, which notices exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from relance.bootstrap import Runtime
from relance.domain.amounts import ZERO
from relance.domain.events import EventKind, Outcome
from relance.domain.policy import Action, Policy
from relance.services.penalties import DatedPayment


@dataclass(frozen=True)
class CustomerFile:
    history: list[dict[str, Any]] = field(default_factory=list)
    """Every logged step and status change: on, kind, step, channels, outcome, message_id, invoice_ids."""
    payments: list[DatedPayment] = field(default_factory=list)
    notice_dates: dict[str, date] = field(default_factory=dict)
    """The day each invoice's formal notice went: consumer interest runs from it."""
    notices: list[dict[str, Any]] = field(default_factory=list)
    """Every stored notice: on, step, key, sha256, currency, invoice_ids."""


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
        file.history.append(
            {
                "on": record.occurred_on,
                "kind": record.kind,
                "step": record.step,
                "channels": list(record.channels),
                "outcome": record.outcome,
                "message_id": record.message_id,
                "invoice_ids": list(record.invoice_ids),
            }
        )
        if record.kind != EventKind.ESCALATION.value or record.outcome != Outcome.SENT.value:
            continue
        for line in record.lines or []:
            if line.step in letter_steps:
                file.notice_dates.setdefault(line.invoice_id, record.occurred_on)
        file.notices.extend(
            {
                "on": record.occurred_on,
                "step": record.step,
                "key": notice.key,
                "sha256": notice.sha256,
                "currency": notice.currency,
                "invoice_ids": list(record.invoice_ids),
            }
            for notice in record.notices or []
        )
    return file
