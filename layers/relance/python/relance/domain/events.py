"""Entries of the escalation log: what happened to whom, when, with which evidence and amounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class EventKind(StrEnum):
    ESCALATION = "escalation"
    # A case opened, was held behind a hand-off, released, reopened or closed.
    CASE = "case"
    # A payment-plan reminder: a message to the customer, never an escalation step.
    PLAN_REMINDER = "plan_reminder"
    CALL_TASK = "call_task"
    SUSPENSION = "suspension"
    HANDOFF = "handoff"
    PAYMENT = "payment"
    STATUS = "status"
    # What SES says became of a message: delivered, bounced, complained, delayed.
    DELIVERY = "delivery"
    # A call the account manager made, and its outcome.
    CALL = "call"
    # The registered letter of a formal notice: posted, received.
    LETTER = "letter"
    # A customer's reply to one of our emails, as read and classified.
    REPLY = "reply"


class Outcome(StrEnum):
    SENT = "sent"
    PUBLISHED = "published"
    RECORDED = "recorded"
    FAILED = "failed"
    SKIPPED = "skipped"
    HELD = "held"
    # What the mail service said of a message (DELIVERY events).
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    SOFT_BOUNCED = "soft_bounced"
    COMPLAINED = "complained"
    DELAYED = "delayed"


@dataclass(frozen=True)
class EventLine:
    invoice_id: str
    balance: Decimal
    step: str | None = None
    interest: Decimal | None = None
    indemnity: Decimal | None = None
    # How the message named the invoice: new, reminded, noticed (covered by the day's formal notice),
    # noticed_before, after_notice (overdue since the notice), upcoming (falling due soon).
    stage: str | None = None


@dataclass(frozen=True)
class NoticeRef:
    """A stored document: where it is and the SHA-256 that proves it was not altered."""

    key: str
    sha256: str
    currency: str | None = None


@dataclass(frozen=True)
class EscalationEvent:
    customer_id: str
    kind: EventKind
    occurred_on: date
    recorded_at: datetime
    outcome: Outcome
    key_suffix: str
    step: str | None = None
    channels: tuple[str, ...] = ()
    invoice_ids: tuple[str, ...] = ()
    lines: tuple[EventLine, ...] = ()
    currency: str | None = None
    amount: Decimal | None = None
    reason: str | None = None
    run_id: str | None = None
    message_id: str | None = None
    notices: tuple[NoticeRef, ...] = ()
    actor: str = "system"
    detail: dict[str, str] = field(default_factory=dict)
    case_id: str | None = None
    # Who the customer is, so that the log reads without a join (the console's lines carry it too).
    customer_name: str | None = None
    # The customer's email as sent, kept under emails/ (Object Lock), and the hash that proves it.
    email_key: str | None = None
    email_sha256: str | None = None

    @property
    def event_key(self) -> str:
        """Sorts by date; the suffix makes a retried write of the same event collide instead of doubling."""
        return f"{self.occurred_on.isoformat()}#{self.kind.value}#{self.key_suffix}"


# Within a customer's day, the order things happen in: a case opens before its first message, a payment or
# a person's decision comes before the step it may change, SES reports a message after it was sent, and a
# case closes after the payment that settles it. The log's own timestamps do not say so: a delivery report
# is dated by SES, a case event by the run that decided it.
_DAY_PHASES = {
    EventKind.PAYMENT.value: 1,
    EventKind.STATUS.value: 1,
    EventKind.ESCALATION.value: 2,
    EventKind.PLAN_REMINDER.value: 2,
    EventKind.DELIVERY.value: 3,
}
_CASE_STARTS = frozenset({"opened", "released", "held"})


def day_phase(kind: str, step: str | None) -> int:
    """Where an event of this kind (and step) sits among a customer's events of the same day."""
    if kind == EventKind.CASE.value:
        return 0 if step in _CASE_STARTS else 4
    return _DAY_PHASES.get(kind, 2)
