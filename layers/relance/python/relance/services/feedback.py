"""What SES says about each email after it left: delivered, bounced, complained about, delayed.

SES publishes the events of the stack's configuration set to an SNS topic; the feedback function hands
each notification here. Every notification is logged once in the customer's escalation log (kind
`delivery`, the SES message id, the status, the recipients): the hand-off pack and the call sheet show
it next to the email it concerns. A permanent bounce or a complaint from the customer's own address sets
the customer's contact status, so that no further email goes to it (the engine reads the status).

SNS delivers at least once: the event's key is made of what the notification says (message id, status,
SES's feedback id or timestamp), so a redelivery finds its event already logged and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.models import ContactStatus, Customer
from relance.observability import count_metric, logger
from relance.ports import Change, ConflictError, Context


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    """Permanent: the address does not exist or refuses mail for good."""
    SOFT_BOUNCED = "soft_bounced"
    """Transient or undetermined: SES gave up after retrying, the address may work later."""
    COMPLAINED = "complained"
    DELAYED = "delayed"


# What each status does to the customer's contact status, when the address is the customer's own.
_CONTACT = {
    DeliveryStatus.BOUNCED: ContactStatus.BOUNCED,
    DeliveryStatus.COMPLAINED: ContactStatus.COMPLAINED,
}
# A complaint says more than a bounce ("stop writing to me"): a later bounce never softens it.
_RANK = {ContactStatus.OK: 0, ContactStatus.BOUNCED: 1, ContactStatus.COMPLAINED: 2}


@dataclass(frozen=True)
class Feedback:
    """One SES notification, as much of it as the log keeps."""

    message_id: str
    status: DeliveryStatus
    occurred_at: datetime
    recipients: tuple[str, ...]
    customer_id: str | None
    dispatch: str | None
    step: str | None
    detail: str | None
    feedback_id: str | None

    @property
    def key_suffix(self) -> str:
        # Same notification, same key: SNS redeliveries collide with the first write.
        return f"{self.message_id}#{self.status.value}#{self.feedback_id or self.occurred_at.isoformat()}"


@dataclass(frozen=True)
class FeedbackResult:
    outcome: str
    """logged, duplicate, ignored, team, unknown_customer or malformed."""
    customer_id: str | None = None
    status: str | None = None
    contact_status: str | None = None


class MalformedNotification(ValueError):
    """An SNS message that is not an SES notification this function can read."""


def parse_notification(payload: dict[str, Any]) -> Feedback | None:
    """An SES event-publishing record (or a classic identity notification) as Feedback.

    None for the event types the log does not keep (send, open, click...). The customer comes from the
    X-Relance-Dispatch header when SES included the headers (exact), else from the customer_id mail tag
    (SES tag values lose characters outside [A-Za-z0-9_.@-], see adapters/mailer.py).
    """
    kind = payload.get("eventType") or payload.get("notificationType")
    mail = payload.get("mail")
    if not isinstance(kind, str) or not isinstance(mail, dict) or not mail.get("messageId"):
        raise MalformedNotification(
            "not an SES notification: no eventType/notificationType or mail.messageId"
        )
    dispatch = _header(mail, "X-Relance-Dispatch")
    step = _header(mail, "X-Relance-Step") or _tag(mail, "step")
    customer_id = dispatch.rsplit("#", 1)[0] if dispatch and "#" in dispatch else _tag(mail, "customer_id")
    common = {
        "message_id": str(mail["messageId"]),
        "customer_id": customer_id,
        "dispatch": dispatch or _tag(mail, "dispatch"),
        "step": step,
    }
    if kind == "Delivery":
        body = payload.get("delivery", {})
        return Feedback(
            status=DeliveryStatus.DELIVERED,
            occurred_at=_timestamp(body.get("timestamp") or mail.get("timestamp")),
            recipients=tuple(body.get("recipients", ())),
            detail=body.get("smtpResponse"),
            feedback_id=None,
            **common,
        )
    if kind == "Bounce":
        body = payload.get("bounce", {})
        permanent = body.get("bounceType") == "Permanent"
        bounced = body.get("bouncedRecipients", [])
        diagnostics = "; ".join(
            str(item.get("diagnosticCode") or item.get("status") or "") for item in bounced
        ).strip("; ")
        return Feedback(
            status=DeliveryStatus.BOUNCED if permanent else DeliveryStatus.SOFT_BOUNCED,
            occurred_at=_timestamp(body.get("timestamp") or mail.get("timestamp")),
            recipients=tuple(str(item.get("emailAddress", "")) for item in bounced),
            detail=f"{body.get('bounceType')}/{body.get('bounceSubType')}"
            + (f": {diagnostics}" if diagnostics else ""),
            feedback_id=body.get("feedbackId"),
            **common,
        )
    if kind == "Complaint":
        body = payload.get("complaint", {})
        return Feedback(
            status=DeliveryStatus.COMPLAINED,
            occurred_at=_timestamp(body.get("timestamp") or mail.get("timestamp")),
            recipients=tuple(
                str(item.get("emailAddress", "")) for item in body.get("complainedRecipients", [])
            ),
            detail=body.get("complaintFeedbackType"),
            feedback_id=body.get("feedbackId"),
            **common,
        )
    if kind == "DeliveryDelay":
        body = payload.get("deliveryDelay", {})
        delayed = body.get("delayedRecipients", [])
        return Feedback(
            status=DeliveryStatus.DELAYED,
            occurred_at=_timestamp(body.get("timestamp") or mail.get("timestamp")),
            recipients=tuple(str(item.get("emailAddress", "")) for item in delayed),
            detail=body.get("delayType"),
            feedback_id=None,
            **common,
        )
    return None


def record_feedback(ctx: Context, message: str) -> FeedbackResult:
    """Logs one SNS message's SES notification; sets the contact status on a bounce or a complaint."""
    try:
        payload = json.loads(message)
        if not isinstance(payload, dict):
            raise MalformedNotification("the SNS message is not a JSON object")
        feedback = parse_notification(payload)
    except ValueError as exc:  # JSON, shape or timestamp (MalformedNotification is one)
        # A retry would fail the same way: say so loudly once, and let the notification go.
        logger.error("unreadable SES notification", extra={"reason": str(exc), "sns_message": message[:500]})
        return FeedbackResult("malformed")
    if feedback is None:
        return FeedbackResult("ignored")
    if feedback.step in _TEAM_STEPS:
        return _team_feedback(feedback)
    customer = ctx.book.customer(feedback.customer_id) if feedback.customer_id else None
    if customer is None:
        logger.warning(
            "SES notification for no known customer",
            extra={"customer_id": feedback.customer_id, "ses_message_id": feedback.message_id},
        )
        return FeedbackResult("unknown_customer", feedback.customer_id, feedback.status.value)

    sent = sent_event(ctx, customer.customer_id, feedback.message_id)
    step = feedback.step or (sent.step if sent is not None else None)
    for _ in range(3):
        contact = _contact_status(customer, feedback, step)
        event = _event(ctx, customer, feedback, step, sent, contact)
        if ctx.events.exists(customer.customer_id, event.event_key):
            logged = False
            break
        changes = [Change(customer, replace(customer, contact_status=contact))] if contact is not None else []
        try:
            # The status and its log entry together: a redelivery finds both done, or neither.
            ctx.book.save(changes, [event])
        except ConflictError as exc:
            if exc.event_already_logged:
                logged = False
                break
            fresh = ctx.book.customer(customer.customer_id)
            if fresh is None:
                return FeedbackResult("unknown_customer", feedback.customer_id, feedback.status.value)
            customer = fresh
            continue
        logged = True
        break
    else:
        raise ConflictError(f"customer {customer.customer_id} kept changing while its feedback was recorded")
    count_metric("EmailFeedback", status=feedback.status.value)
    logger.info(
        "email feedback",
        extra={
            "customer_id": customer.customer_id,
            "ses_message_id": feedback.message_id,
            "status": feedback.status.value,
            "contact_status": contact.value if contact else customer.contact_status.value,
            "duplicate": not logged,
        },
    )
    return FeedbackResult(
        "logged" if logged else "duplicate",
        customer.customer_id,
        feedback.status.value,
        contact.value if contact else customer.contact_status.value,
    )


# Messages to the finance team rather than to a customer: the morning digest. Their feedback concerns no
# customer's file (the log is the customers'), but a bounce means the team no longer gets its digest.
_TEAM_STEPS = frozenset({"digest"})


def _team_feedback(feedback: Feedback) -> FeedbackResult:
    """Logged for the operator; a bounce or a complaint at ERROR, so that the errors alarm says so."""
    extra = {
        "step": feedback.step,
        "status": feedback.status.value,
        "ses_message_id": feedback.message_id,
        "detail": feedback.detail,
    }
    if feedback.status is DeliveryStatus.DELIVERED:
        logger.info("team message delivered", extra=extra)
    else:
        logger.error("team message not delivered: check the DigestRecipients parameter", extra=extra)
    return FeedbackResult("team", None, feedback.status.value)


def _contact_status(customer: Customer, feedback: Feedback, step: str | None) -> ContactStatus | None:
    """The customer's new contact status, or None to leave it.

    Only the customer's own address counts: a bounced cc, or the account manager's copy of a call task
    (tagged with the customer too), says nothing about whether the customer can be reached.
    """
    wanted = _CONTACT.get(feedback.status)
    if wanted is None or step == "call_task":
        return None
    if customer.email.lower() not in {address.lower() for address in feedback.recipients}:
        return None
    return wanted if _RANK[wanted] > _RANK[customer.contact_status] else None


def sent_event(ctx: Context, customer_id: str, message_id: str) -> EscalationEvent | None:
    """The logged dispatch that sent this email (SES's message id), for its step, case and invoices.

    What SES said of it (DELIVERY) and the replies to it (REPLY) carry the same id; neither sent it.
    """
    return next(
        (
            item
            for item in ctx.events.for_customer(customer_id)
            if message_id in {item.message_id, item.detail.get("call_task_message_id")}
            and item.kind not in (EventKind.DELIVERY, EventKind.REPLY)
        ),
        None,
    )


def _event(
    ctx: Context,
    customer: Customer,
    feedback: Feedback,
    step: str | None,
    sent: EscalationEvent | None,
    contact: ContactStatus | None,
) -> EscalationEvent:
    occurred_on = feedback.occurred_at.astimezone(ctx.calendar.timezone).date()
    detail = {
        "recipients": ",".join(feedback.recipients),
        "dispatch": feedback.dispatch,
        "feedback_id": feedback.feedback_id,
        "ses_timestamp": feedback.occurred_at.isoformat(),
        "contact_status": contact.value if contact is not None else None,
    }
    return EscalationEvent(
        customer_id=customer.customer_id,
        kind=EventKind.DELIVERY,
        occurred_on=occurred_on,
        recorded_at=ctx.clock().astimezone(UTC),
        outcome=Outcome(feedback.status.value),
        key_suffix=feedback.key_suffix,
        step=step,
        channels=("email",),
        reason=feedback.detail,
        invoice_ids=sent.invoice_ids if sent is not None else (),
        message_id=feedback.message_id,
        actor="ses",
        detail={key: value for key, value in detail.items() if value},
        case_id=sent.case_id if sent is not None else None,
        customer_name=customer.name,
    )


def _header(mail: dict[str, Any], name: str) -> str | None:
    for header in mail.get("headers") or []:
        if str(header.get("name", "")).lower() == name.lower():
            return str(header.get("value", "")).strip() or None
    return None


def _tag(mail: dict[str, Any], name: str) -> str | None:
    values = (mail.get("tags") or {}).get(name) or []
    return str(values[0]) if values else None


def _timestamp(text: str | None) -> datetime:
    if not text:
        raise MalformedNotification("no timestamp in the SES notification")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
