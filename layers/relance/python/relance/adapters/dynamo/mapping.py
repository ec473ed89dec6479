"""Between pynamodb records and the domain's dataclasses."""

from __future__ import annotations

import json

from relance.adapters.dynamo.records import (
    CustomerRecord,
    EventLine,
    EventRecord,
    InstalmentAttribute,
    InvoiceRecord,
    NoticeAttribute,
    PlanAttribute,
)
from relance.domain.amounts import ZERO
from relance.domain.events import EscalationEvent
from relance.domain.models import (
    ContactStatus,
    Customer,
    CustomerKind,
    DunningState,
    Instalment,
    Invoice,
    InvoiceStatus,
    PaymentPlan,
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
        contact_status=ContactStatus(record.contact_status),
        late_invoices=int(record.late_invoices or 0),
        average_days_late=record.average_days_late or ZERO,
        last_message_on=record.last_message_on,
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
    )


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
            )
            for line in event.lines
        ],
        currency=event.currency,
        amount=event.amount,
        message_id=event.message_id,
        notices=[NoticeAttribute(key=n.key, sha256=n.sha256, currency=n.currency) for n in event.notices],
        actor=event.actor,
        detail=json.dumps(event.detail, sort_keys=True) if event.detail else None,
    )
