"""Between pynamodb records and the domain's dataclasses, both ways.

`customer_values` and `invoice_values` give each domain object as the attribute values its item holds; a
save compares those of `before` and `after` and writes only what differs.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import MapAttribute

from relance.adapters.dynamo.records import (
    CaseAttribute,
    CaseMessageAttribute,
    CustomerRecord,
    EventLine,
    EventRecord,
    InstalmentAttribute,
    InvoiceRecord,
    NoticeAttribute,
    PlanAttribute,
    due_shard,
)
from relance.domain.amounts import ZERO
from relance.domain.events import EscalationEvent, EventKind, NoticeRef, Outcome
from relance.domain.events import EventLine as DomainLine
from relance.domain.models import (
    Case,
    CaseMessage,
    CaseState,
    ContactStatus,
    Customer,
    CustomerKind,
    DispatchState,
    DunningState,
    Instalment,
    Invoice,
    InvoiceStatus,
    LetterTracking,
    MessageKind,
    PaymentPlan,
)

# Attributes a file, a lever or the worker may change; keys, the version and provenance are written apart.
CUSTOMER_ATTRIBUTES = (
    "name",
    "email",
    "kind",
    "language",
    "cc",
    "address",
    "country",
    "siren",
    "account_manager_email",
    "policy",
    "do_not_dun",
    "waive_penalties",
    "contract_rate",
    "contact_status",
    "late_invoices",
    "average_days_late",
    "last_message_on",
    "phone",
    "legal_form",
    "merchant",
    "payers",
    "cases",
    "cases_opened",
    "pending_dispatch",
    "pending_since",
    "last_dispatch",
    "next_action_on",
    "due_shard",
)
INVOICE_ATTRIBUTES = (
    "issue_date",
    "due_date",
    "currency",
    "total",
    "amount_paid",
    "status",
    "paid_on",
    "steps_done",
    "last_step_on",
    "paused_until",
    "pause_reason",
    "payment_link",
    "purchase_order",
    "contract_rate",
    "plan",
    "next_action_on",
    "due_shard",
)


def customer_from_record(record: CustomerRecord) -> Customer:
    return Customer(
        customer_id=record.customer_id,
        name=record.name,
        email=record.email,
        kind=CustomerKind(record.kind),
        language=record.language,
        cc=tuple(record.cc or ()),
        address=tuple(record.address or ()),
        country=record.country,
        siren=record.siren,
        account_manager_email=record.account_manager_email,
        policy=record.policy,
        do_not_dun=bool(record.do_not_dun),
        waive_penalties=bool(record.waive_penalties),
        contract_rate=record.contract_rate,
        contact_status=ContactStatus(record.contact_status or ContactStatus.OK.value),
        late_invoices=int(record.late_invoices or 0),
        average_days_late=record.average_days_late or ZERO,
        last_message_on=record.last_message_on,
        phone=record.phone,
        legal_form=record.legal_form,
        merchant=record.merchant,
        payers=tuple(record.payers or ()),
        cases=tuple(case_from_attribute(item) for item in record.cases or ()),
        cases_opened=int(record.cases_opened or 0),
        dispatch=DispatchState(
            pending=record.pending_dispatch, pending_since=record.pending_since, last=record.last_dispatch
        ),
        next_action_on=record.next_action_on,
        version=record.version,
    )


def customer_values(customer: Customer, shards: int) -> dict[str, Any]:
    return {
        "name": customer.name,
        "email": customer.email,
        "kind": customer.kind.value,
        "language": customer.language,
        "cc": list(customer.cc),
        "address": list(customer.address),
        "country": customer.country,
        "siren": customer.siren,
        "account_manager_email": customer.account_manager_email,
        "policy": customer.policy,
        "do_not_dun": customer.do_not_dun,
        "waive_penalties": customer.waive_penalties,
        "contract_rate": customer.contract_rate,
        "contact_status": customer.contact_status.value,
        "late_invoices": customer.late_invoices,
        "average_days_late": customer.average_days_late,
        "last_message_on": customer.last_message_on,
        "phone": customer.phone,
        "legal_form": customer.legal_form,
        "merchant": customer.merchant,
        "payers": list(customer.payers) or None,
        "cases": [case_attribute(case) for case in customer.cases],
        "cases_opened": customer.cases_opened,
        "pending_dispatch": customer.dispatch.pending,
        "pending_since": customer.dispatch.pending_since,
        "last_dispatch": customer.dispatch.last,
        "next_action_on": customer.next_action_on,
        "due_shard": due_shard(customer.customer_id, shards) if customer.next_action_on else None,
    }


def case_from_attribute(item: CaseAttribute) -> Case:
    return Case(
        case_id=item.case_id,
        currency=item.currency,
        opened_on=item.opened_on,
        state=CaseState(item.state),
        messages=tuple(
            CaseMessage(
                step=message.step,
                on=message.on,
                invoice_ids=tuple(message.invoice_ids or ()),
                kind=MessageKind(message.kind or MessageKind.STEP.value),
                letter=bool(message.letter),
            )
            for message in item.messages or ()
        ),
        noticed=tuple(item.noticed or ()),
        handed_off=tuple(item.handed_off or ()),
        paused_until=item.paused_until,
        pause_reason=item.pause_reason,
        letter=LetterTracking(
            posted_on=item.letter_posted_on,
            tracking=item.letter_tracking,
            received_on=item.letter_received_on,
        ),
    )


def case_attribute(case: Case) -> CaseAttribute:
    return CaseAttribute(
        case_id=case.case_id,
        currency=case.currency,
        opened_on=case.opened_on,
        state=case.state.value,
        messages=[
            CaseMessageAttribute(
                step=message.step,
                on=message.on,
                invoice_ids=list(message.invoice_ids),
                kind=message.kind.value,
                letter=message.letter,
            )
            for message in case.messages
        ],
        noticed=list(case.noticed),
        handed_off=list(case.handed_off),
        paused_until=case.paused_until,
        pause_reason=case.pause_reason,
        letter_posted_on=case.letter.posted_on,
        letter_tracking=case.letter.tracking,
        letter_received_on=case.letter.received_on,
    )


def invoice_from_record(record: InvoiceRecord) -> Invoice:
    return Invoice(
        invoice_id=record.invoice_id,
        customer_id=record.customer_id,
        issue_date=record.issue_date,
        due_date=record.due_date,
        currency=record.currency,
        total=record.total,
        amount_paid=record.amount_paid,
        status=InvoiceStatus(record.status),
        paid_on=record.paid_on,
        dunning=DunningState(steps_done=tuple(record.steps_done or ()), last_step_on=record.last_step_on),
        paused_until=record.paused_until,
        pause_reason=record.pause_reason,
        payment_link=record.payment_link,
        purchase_order=record.purchase_order,
        contract_rate=record.contract_rate,
        plan=plan_from_attribute(record.plan) if record.plan is not None else None,
        legacy_next_action_on=record.next_action_on,
        version=record.version,
    )


def invoice_values(invoice: Invoice, shards: int) -> dict[str, Any]:
    return {
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "total": invoice.total,
        "amount_paid": invoice.amount_paid,
        "status": invoice.status.value,
        "paid_on": invoice.paid_on,
        "steps_done": list(invoice.dunning.steps_done),
        "last_step_on": invoice.dunning.last_step_on,
        "paused_until": invoice.paused_until,
        "pause_reason": invoice.pause_reason,
        "payment_link": invoice.payment_link,
        "purchase_order": invoice.purchase_order,
        "contract_rate": invoice.contract_rate,
        "plan": plan_attribute(invoice.plan) if invoice.plan is not None else None,
        # The per-invoice index of earlier versions: only ever removed now (see adopt_legacy).
        "next_action_on": invoice.legacy_next_action_on,
        "due_shard": due_shard(invoice.customer_id, shards) if invoice.legacy_next_action_on else None,
    }


def plan_from_attribute(attribute: PlanAttribute) -> PaymentPlan:
    return PaymentPlan(
        instalments=tuple(Instalment(item.due_on, item.amount) for item in attribute.instalments or ()),
        agreed_on=attribute.agreed_on,
        paid_at_start=attribute.paid_at_start,
        reminded=tuple(int(index) for index in attribute.reminded or ()),
    )


def plan_attribute(plan: PaymentPlan) -> PlanAttribute:
    return PlanAttribute(
        agreed_on=plan.agreed_on,
        paid_at_start=plan.paid_at_start,
        instalments=[
            InstalmentAttribute(due_on=item.due_on, amount=item.amount) for item in plan.instalments
        ],
        reminded=list(plan.reminded),
    )


def comparable(value: Any) -> Any:
    """A value as it compares: maps (pynamodb's `==` builds a condition) and lists of maps by contents."""
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, MapAttribute):
        return {key: comparable(item) for key, item in value.attribute_values.items()}
    return value


def event_record(event: EscalationEvent) -> EventRecord:
    return EventRecord(
        customer_id=event.customer_id,
        event_key=event.event_key,
        kind=event.kind.value,
        occurred_on=event.occurred_on,
        recorded_at=event.recorded_at,
        run_id=event.run_id,
        step=event.step,
        channels=list(event.channels),
        outcome=event.outcome.value,
        reason=event.reason,
        invoice_ids=list(event.invoice_ids),
        lines=[
            EventLine(
                invoice_id=line.invoice_id,
                balance=line.balance,
                step=line.step,
                interest=line.interest,
                indemnity=line.indemnity,
                stage=line.stage,
            )
            for line in event.lines
        ],
        currency=event.currency,
        amount=event.amount,
        # The key of the sparse message-index: DynamoDB refuses an empty string there, so none is written.
        message_id=event.message_id or None,
        notices=[NoticeAttribute(key=n.key, sha256=n.sha256, currency=n.currency) for n in event.notices],
        actor=event.actor,
        detail=json.dumps(event.detail, sort_keys=True) if event.detail else None,
        case_id=event.case_id,
        customer_name=event.customer_name,
        email_key=event.email_key,
        email_sha256=event.email_sha256,
    )


def event_from_record(record: EventRecord) -> EscalationEvent:
    kind = EventKind(record.kind)
    key_prefix = f"{record.occurred_on.isoformat()}#{kind.value}#"
    return EscalationEvent(
        customer_id=record.customer_id,
        kind=kind,
        occurred_on=record.occurred_on,
        recorded_at=record.recorded_at,
        outcome=Outcome(record.outcome),
        key_suffix=record.event_key.removeprefix(key_prefix),
        step=record.step,
        channels=tuple(record.channels or ()),
        invoice_ids=tuple(record.invoice_ids or ()),
        lines=tuple(
            DomainLine(
                invoice_id=line.invoice_id,
                balance=line.balance,
                step=line.step,
                interest=line.interest,
                indemnity=line.indemnity,
                stage=line.stage,
            )
            for line in record.lines or ()
        ),
        currency=record.currency,
        amount=record.amount,
        reason=record.reason,
        run_id=record.run_id,
        message_id=record.message_id,
        notices=tuple(
            NoticeRef(key=n.key, sha256=n.sha256, currency=n.currency) for n in record.notices or ()
        ),
        actor=record.actor or "system",
        detail=_detail(record.detail),
        case_id=record.case_id,
        customer_name=record.customer_name,
        email_key=record.email_key,
        email_sha256=record.email_sha256,
    )


def _detail(raw: str | None) -> dict[str, str]:
    """The event's detail as text values; lists (SES recipients, written by earlier versions) joined."""
    if not raw:
        return {}
    data = json.loads(raw)
    return {
        str(key): ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        for key, value in data.items()
        if value is not None
    }
