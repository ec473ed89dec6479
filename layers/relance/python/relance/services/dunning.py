"""Dunning one customer for one day: decide, claim the dispatch, produce and send, record.

Order matters for "no duplicate message ever": the dispatch is claimed on the customer item before
anything leaves; documents are stored and events published (both safe to repeat) before the one email
that is not; the claim is cleared in the same transaction that records the step. A retry that finds
the claim still taken does not know whether the email left, so it holds the customer for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, timedelta
from typing import Any

from relance.adapters.dynamo.mapping import customer_from_record, event_record, invoice_from_record
from relance.adapters.dynamo.records import CustomerRecord, InvoiceRecord
from relance.adapters.dynamo.repositories import schedule_actions
from relance.adapters.dynamo.transactions import Change, ConflictError, UnitOfWork
from relance.adapters.mailer import SendRejected
from relance.adapters.store import StoredObject
from relance.bootstrap import Runtime
from relance.domain.amounts import ZERO
from relance.domain.engine import ONE_DAY, Decision, InvoiceAction, decide, next_action_date
from relance.domain.events import EscalationEvent, EventKind, EventLine, NoticeRef, Outcome
from relance.domain.models import Customer, Invoice, InvoiceStatus
from relance.domain.policy import Action, Policy
from relance.observability import log_escalation, logger
from relance.rendering.environment import render_email
from relance.rendering.mime import Attachment, build_message, mailbox, stable_message_id
from relance.rendering.pdf import formal_notice_pdf
from relance.services import documents
from relance.services.call_tasks import send_call_task
from relance.services.customer_file import CustomerFile, load_customer_file
from relance.services.handoff import prepare_handoff
from relance.services.penalties import Claim, claims_for

COMMIT_ATTEMPTS = 3


@dataclass(frozen=True)
class DispatchResult:
    customer_id: str
    on: date
    outcome: str
    step: str | None = None
    invoice_ids: tuple[str, ...] = ()
    message_id: str | None = None
    notices: tuple[NoticeRef, ...] = ()
    reason: str | None = None


@dataclass
class _Produced:
    """What the dispatch has done so far, so that a failure knows whether anything left the house."""

    notices: list[NoticeRef] = field(default_factory=list)
    # Other documents kept as evidence (hand-off packs): logged with the notices, not attached to the email.
    evidence: list[NoticeRef] = field(default_factory=list)
    claims: dict[str, Claim] = field(default_factory=dict)
    published: dict[str, str] = field(default_factory=dict)
    call_task_message_id: str | None = None
    message_id: str | None = None


def process_customer(rt: Runtime, customer_id: str, run_id: str) -> DispatchResult:
    now = rt.clock()
    calendar = rt.calendar
    today = calendar.local_date(now)
    if not calendar.within_window(now):
        reason = (
            f"{calendar.local_now(now):%H:%M} is outside the sending window "
            f"{calendar.window.opens:%H:%M}-{calendar.window.closes:%H:%M} ({rt.settings.timezone})"
        )
        logger.info("deferred", extra={"customer_id": customer_id, "reason": reason})
        return DispatchResult(customer_id, today, "deferred", reason=reason)

    record = rt.customers.get(customer_id)
    if record is None:
        logger.error("unknown customer", extra={"customer_id": customer_id})
        return DispatchResult(customer_id, today, "unknown_customer", reason="no such customer")
    customer = customer_from_record(record)
    records = {item.invoice_id: item for item in rt.invoices.for_customer(customer_id)}
    invoices = [invoice_from_record(item) for item in records.values()]
    policy = rt.policy_for(customer)
    decision = decide(customer, invoices, policy, calendar, today)
    for hold in decision.holds:
        logger.info(
            "hold", extra={"customer_id": customer_id, "invoice_id": hold.invoice_id, "reason": hold.reason}
        )

    if not decision.actions:
        _commit_schedule(rt, records, decision)
        return DispatchResult(customer_id, today, "nothing_due")

    dispatch_key = f"{customer_id}#{today.isoformat()}"
    if not rt.customers.claim_dispatch(record, dispatch_key, now):
        return _claim_refused(rt, customer_id, today, dispatch_key)

    produced = _Produced()
    try:
        _produce(rt, customer, invoices, decision, policy, dispatch_key, run_id, produced)
    except SendRejected as exc:
        rt.customers.release_dispatch(record, dispatch_key)
        event = _escalation_event(
            rt, customer, decision, run_id, dispatch_key, produced, Outcome.FAILED, str(exc)
        )
        rt.events.append(event_record(event))
        log_escalation(event)
        return DispatchResult(
            customer_id, today, "failed", step=event.step, invoice_ids=event.invoice_ids, reason=str(exc)
        )
    except Exception:
        if produced.message_id is None and produced.call_task_message_id is None:
            # Nothing reached a person: let the queue retry from a clean slate.
            rt.customers.release_dispatch(record, dispatch_key)
        raise

    event = _escalation_event(rt, customer, decision, run_id, dispatch_key, produced, Outcome.SENT, None)
    _commit_dispatch(rt, customer, policy, decision, records, record, dispatch_key, event)
    log_escalation(event)
    return DispatchResult(
        customer_id,
        today,
        "sent",
        step=event.step,
        invoice_ids=event.invoice_ids,
        message_id=produced.message_id,
        notices=tuple(produced.notices),
    )


def _claim_refused(rt: Runtime, customer_id: str, today: date, dispatch_key: str) -> DispatchResult:
    fresh = rt.customers.get(customer_id)
    if fresh is not None and fresh.last_dispatch == dispatch_key:
        return DispatchResult(
            customer_id, today, "already_done", reason=f"dispatch {dispatch_key} is recorded"
        )
    pending = fresh.pending_dispatch if fresh is not None else None
    since = fresh.pending_since.isoformat() if fresh is not None and fresh.pending_since else "?"
    reason = (
        f"dispatch {pending} started at {since} never completed; it may have been sent, so the customer "
        f"is held until a person checks (relance release {customer_id})"
    )
    logger.error("dispatch held", extra={"customer_id": customer_id, "reason": reason})
    return DispatchResult(customer_id, today, "held", reason=reason)


def _produce(
    rt: Runtime,
    customer: Customer,
    invoices: Sequence[Invoice],
    decision: Decision,
    policy: Policy,
    dispatch_key: str,
    run_id: str,
    produced: _Produced,
) -> None:
    settings = rt.settings
    today = decision.on
    attachments: list[Attachment] = []
    claiming = [item.invoice for item in decision.actions if item.step.claim_penalties]
    # The log is read only when today's steps need the customer's history.
    needs_file = bool(claiming) or any(decision.with_action(a) for a in (Action.CALL_TASK, Action.HANDOFF))
    customer_file = load_customer_file(rt, customer.customer_id, policy) if needs_file else CustomerFile()
    produced.claims = claims_for(
        settings.country,
        customer,
        claiming,
        today,
        customer_file.payments,
        customer_file.notice_dates,
        settings.interest_rate_mode,
    )
    for currency, items in decision.letters_by_currency().items():
        # Policy validation guarantees every letter step a deadline.
        deadline_step = max((item.step for item in items), key=policy.rank)
        assert deadline_step.deadline_days is not None
        letter_invoices = [item.invoice for item in items]
        context = documents.letter_context(
            company=settings.company,
            customer=customer,
            invoices=letter_invoices,
            claims=produced.claims,
            currency=currency,
            today=today,
            deadline=today + timedelta(days=deadline_step.deadline_days),
        )
        body = formal_notice_pdf(context)
        key = (
            f"notices/{customer.customer_id}/{today:%Y/%m}/"
            f"{today.isoformat()}-{deadline_step.id}-{currency}.pdf"
        )
        stored: StoredObject = rt.store.put_evidence(
            key,
            body,
            "application/pdf",
            retain_until=rt.retain_until(today),
            metadata={
                "customer-id": customer.customer_id,
                "step": deadline_step.id,
                "dispatch": dispatch_key,
                "invoices": ",".join(invoice.invoice_id for invoice in letter_invoices),
            },
        )
        produced.notices.append(NoticeRef(key=stored.key, sha256=stored.sha256, currency=currency))
        attachments.append(Attachment(key.rsplit("/", 1)[-1], "application/pdf", body))

    for action, detail_type in (
        (Action.SUSPEND, "CustomerSuspensionRequested"),
        (Action.HANDOFF, "CollectionHandoffRequested"),
    ):
        items = decision.with_action(action)
        if items:
            detail = _bus_detail(customer, items, dispatch_key, run_id, produced.notices)
            if action is Action.HANDOFF:
                pack = prepare_handoff(rt, customer, items, dispatch_key, today, customer_file)
                produced.evidence.append(NoticeRef(key=pack.key, sha256=pack.sha256))
                detail["evidence_pack"] = {"key": pack.key, "sha256": pack.sha256}
            produced.published[detail_type] = rt.bus.publish(detail_type, detail)

    call_items = decision.with_action(Action.CALL_TASK)
    if call_items:
        produced.call_task_message_id = send_call_task(
            rt, customer, invoices, call_items, dispatch_key, today, customer_file
        )

    step = decision.message_step
    if step is not None and Action.EMAIL in step.actions:
        acted = [(item.invoice, item.step) for item in decision.actions if item.step.sends_message]
        acted_ids = {invoice.invoice_id for invoice, _ in acted}
        others = [
            invoice
            for invoice in invoices
            if invoice.invoice_id not in acted_ids
            and invoice.status is InvoiceStatus.OPEN
            and invoice.balance > ZERO
        ]
        context = documents.message_context(
            company=settings.company,
            customer=customer,
            step=step,
            acted=acted,
            others=others,
            today=today,
            account_manager=customer.account_manager_email if Action.CALL_TASK in decision.channels else None,
            claims=produced.claims,
        )
        rendered = render_email(step.template, context)
        message = build_message(
            sender=mailbox(settings.company.name, settings.sender_email),
            reply_to=mailbox(settings.company.name, settings.company.reply_to),
            to=[mailbox(customer.name, customer.email)],
            cc=[mailbox("", address) for address in customer.cc],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=stable_message_id(dispatch_key, settings.sender_email),
            attachments=tuple(attachments),
            headers={"X-Relance-Dispatch": dispatch_key, "X-Relance-Step": step.id},
        )
        produced.message_id = rt.mailer.send(
            message, tags={"customer_id": customer.customer_id, "dispatch": dispatch_key, "step": step.id}
        )


def _bus_detail(
    customer: Customer,
    items: Sequence[InvoiceAction],
    dispatch_key: str,
    run_id: str,
    notices: Sequence[NoticeRef],
) -> dict[str, Any]:
    """The documented detail of CustomerSuspensionRequested and CollectionHandoffRequested (README)."""
    return {
        "dispatch_id": dispatch_key,
        "run_id": run_id,
        "customer_id": customer.customer_id,
        "customer_name": customer.name,
        "step": items[0].step.id,
        "invoices": [
            {
                "invoice_id": item.invoice.invoice_id,
                "currency": item.invoice.currency,
                "balance": str(item.invoice.balance),
                "due_date": item.invoice.due_date.isoformat(),
            }
            for item in items
        ],
        "evidence": [{"key": notice.key, "sha256": notice.sha256} for notice in notices],
    }


def _escalation_event(
    rt: Runtime,
    customer: Customer,
    decision: Decision,
    run_id: str,
    dispatch_key: str,
    produced: _Produced,
    outcome: Outcome,
    reason: str | None,
) -> EscalationEvent:
    now = rt.clock().astimezone(UTC)
    steps = sorted(decision.actions, key=lambda item: item.index)
    headline = decision.message_step or steps[-1].step
    currencies = {item.invoice.currency for item in decision.actions}
    single_currency = currencies.pop() if len(currencies) == 1 else None
    detail = {
        "dispatch": dispatch_key,
        **{f"published.{name}": event_id for name, event_id in produced.published.items()},
    }
    if produced.call_task_message_id:
        detail["call_task_message_id"] = produced.call_task_message_id
    for invoice_id, claim in sorted(produced.claims.items()):
        if claim.note:
            # A missing rate or an unsupported case: the person reading the log sees why interest is absent.
            detail[f"claim_note.{invoice_id}"] = claim.note
    return EscalationEvent(
        customer_id=customer.customer_id,
        kind=EventKind.ESCALATION,
        occurred_on=decision.on,
        recorded_at=now,
        outcome=outcome,
        # A dispatch is sent once a day; failed attempts may repeat, each logged under its own time.
        key_suffix=f"{headline.id}#sent"
        if outcome is Outcome.SENT
        else f"{headline.id}#{outcome.value}#{now:%H%M%S%f}",
        step=headline.id,
        channels=tuple(sorted(action.value for action in decision.channels)),
        invoice_ids=tuple(item.invoice.invoice_id for item in decision.actions),
        lines=tuple(
            _event_line(item, produced.claims.get(item.invoice.invoice_id)) for item in decision.actions
        ),
        currency=single_currency,
        amount=sum((item.invoice.balance for item in decision.actions), ZERO) if single_currency else None,
        reason=reason,
        run_id=run_id,
        message_id=produced.message_id,
        notices=(*produced.notices, *produced.evidence),
        detail=detail,
    )


def _event_line(item: InvoiceAction, claim: Claim | None) -> EventLine:
    return EventLine(
        invoice_id=item.invoice.invoice_id,
        balance=item.invoice.balance,
        step=item.step.id,
        interest=claim.interest if claim else None,
        indemnity=claim.indemnity if claim else None,
    )


def _commit_schedule(rt: Runtime, records: dict[str, InvoiceRecord], decision: Decision) -> None:
    """Moves invoices in or out of the daily index when nothing is sent (a payment, a hold, a closed day)."""
    changes = [
        Change(record, schedule_actions(record, decision.next_action_on[invoice_id], rt.settings.due_shards))
        for invoice_id, record in records.items()
        if record.next_action_on != decision.next_action_on.get(invoice_id, record.next_action_on)
    ]
    try:
        UnitOfWork(changes=changes).commit()
    except ConflictError as exc:
        # The concurrent writer (a payment, an import) rescheduled the invoice itself; nothing is lost.
        logger.info("schedule left to a concurrent change", extra={"reason": str(exc)})


def _commit_dispatch(
    rt: Runtime,
    customer: Customer,
    policy: Policy,
    decision: Decision,
    records: dict[str, InvoiceRecord],
    customer_record: CustomerRecord,
    dispatch_key: str,
    event: EscalationEvent,
) -> None:
    """Records the sent dispatch; on a concurrent invoice change, reloads and applies the steps again."""
    acted = {item.invoice.invoice_id: item for item in decision.actions}
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        unit = UnitOfWork(events=[event_record(event)])
        for invoice_id, record in records.items():
            if invoice_id in acted:
                unit.changes.append(_advance(rt, customer, policy, record, acted[invoice_id], decision.on))
            elif record.next_action_on != decision.next_action_on.get(invoice_id, record.next_action_on):
                unit.changes.append(
                    Change(
                        record,
                        schedule_actions(record, decision.next_action_on[invoice_id], rt.settings.due_shards),
                    )
                )
        unit.final = Change(
            customer_record,
            [
                CustomerRecord.last_message_on.set(decision.on),
                CustomerRecord.last_dispatch.set(dispatch_key),
                CustomerRecord.pending_dispatch.remove(),
                CustomerRecord.pending_since.remove(),
            ]
            if event.message_id
            else [
                CustomerRecord.last_dispatch.set(dispatch_key),
                CustomerRecord.pending_dispatch.remove(),
                CustomerRecord.pending_since.remove(),
            ],
            condition=CustomerRecord.pending_dispatch == dispatch_key,
            add_version_condition=False,
        )
        try:
            unit.commit()
            return
        except ConflictError:
            if attempt == COMMIT_ATTEMPTS:
                _keep_evidence_of_send(rt, event)
                raise
            records = {item.invoice_id: item for item in rt.invoices.for_customer(customer.customer_id)}


def _advance(
    rt: Runtime, customer: Customer, policy: Policy, record: InvoiceRecord, item: InvoiceAction, today: date
) -> Change:
    """The invoice's state after today's step, computed on the record as it is now (perhaps reloaded)."""
    current = invoice_from_record(record)
    dunning = current.dunning
    if item.step.id not in dunning.steps_done:
        dunning = dunning.after(item.step.id, today)
    next_on = next_action_date(
        customer, replace(current, dunning=dunning), policy, rt.calendar, today + ONE_DAY
    )
    return Change(
        record,
        [
            InvoiceRecord.steps_done.set(list(dunning.steps_done)),
            InvoiceRecord.last_step_on.set(today),
            *schedule_actions(record, next_on, rt.settings.due_shards),
        ],
    )


def _keep_evidence_of_send(rt: Runtime, event: EscalationEvent) -> None:
    """The message left but its state could not be recorded: at least the log must say it was sent."""
    try:
        rt.events.append(event_record(event))
    except Exception:
        logger.exception("could not log a sent dispatch", extra={"customer_id": event.customer_id})
