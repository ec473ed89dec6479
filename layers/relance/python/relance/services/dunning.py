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

from relance.adapters.dynamo.mapping import (
    customer_from_record,
    event_record,
    invoice_from_record,
    plan_attribute,
)
from relance.adapters.dynamo.records import CustomerRecord, InvoiceRecord
from relance.adapters.dynamo.repositories import schedule_actions
from relance.adapters.dynamo.transactions import Change, ConflictError, UnitOfWork
from relance.adapters.mailer import SendRejected, SendUncertain
from relance.adapters.store import StoredObject
from relance.bootstrap import Runtime
from relance.domain.amounts import ZERO
from relance.domain.engine import Decision, InvoiceAction, carry_out, decide, next_action_dates
from relance.domain.events import EscalationEvent, EventKind, EventLine, NoticeRef, Outcome
from relance.domain.models import Customer, Invoice, InvoiceStatus
from relance.domain.policy import Action, Policy
from relance.observability import log_escalation, logger
from relance.rendering.environment import RenderedEmail, render_email
from relance.rendering.mime import Attachment, build_message, mailbox, stable_message_id
from relance.rendering.pdf import formal_notice_pdf
from relance.services import documents, plans
from relance.services.call_tasks import send_call_task
from relance.services.customer_file import CustomerFile, load_customer_file
from relance.services.handoff import prepare_handoff
from relance.services.penalties import Claim, claims_for, policy_waiver

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
    # Why the customer's email was not sent (its address bounced or complained); None when it was.
    email_skipped: str | None = None


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

    if not decision.dispatches:
        # Nothing reaches the customer: only state changes (a broken plan, the index) to record.
        _commit_schedule(rt, customer, policy, records, decision, run_id)
        return DispatchResult(
            customer_id,
            today,
            "plan_broken" if decision.plan_breaks else "nothing_due",
            invoice_ids=tuple(item.invoice.invoice_id for item in decision.plan_breaks),
        )

    dispatch_key = f"{customer_id}#{today.isoformat()}"
    if not rt.customers.claim_dispatch(record, dispatch_key, now):
        return _claim_refused(rt, customer_id, today, dispatch_key)

    produced = _Produced()
    try:
        if decision.actions:
            _produce(rt, customer, invoices, decision, policy, dispatch_key, run_id, produced)
        else:
            _produce_plan_reminder(rt, customer, decision, policy, dispatch_key, produced)
    except SendRejected as exc:
        rt.customers.release_dispatch(record, dispatch_key)
        event = _dispatch_event(rt, decision, run_id, dispatch_key, produced, Outcome.FAILED, str(exc))
        rt.events.append(event_record(event))
        log_escalation(event)
        return DispatchResult(
            customer_id, today, "failed", step=event.step, invoice_ids=event.invoice_ids, reason=str(exc)
        )
    except SendUncertain:
        # The email may have left: the claim stays, the retry finds the customer held for a person.
        logger.error(
            "send uncertain, dispatch held", extra={"customer_id": customer_id, "dispatch": dispatch_key}
        )
        raise
    except Exception:
        if produced.message_id is None and produced.call_task_message_id is None:
            # Nothing reached a person: let the queue retry from a clean slate.
            rt.customers.release_dispatch(record, dispatch_key)
        raise

    # A plan reminder that cannot be emailed is skipped (logged once, never retried); an escalation step
    # went by the account manager's call instead, so it is carried out.
    outcome = Outcome.SKIPPED if produced.email_skipped and not decision.actions else Outcome.SENT
    event = _dispatch_event(rt, decision, run_id, dispatch_key, produced, outcome, produced.email_skipped)
    breaks = _break_events(rt, decision, policy, run_id)
    _commit_dispatch(rt, customer, policy, decision, records, record, dispatch_key, [event, *breaks])
    for logged in (event, *breaks):
        log_escalation(logged)
    if produced.email_skipped:
        logger.warning("email skipped", extra={"customer_id": customer_id, "reason": produced.email_skipped})
    return DispatchResult(
        customer_id,
        today,
        outcome.value,
        step=event.step,
        invoice_ids=event.invoice_ids,
        message_id=produced.message_id,
        notices=tuple(produced.notices),
        reason=produced.email_skipped,
    )


def record_released_dispatch(
    rt: Runtime,
    customer_record: CustomerRecord,
    dispatch_key: str,
    actor: str,
    reason: str,
    also: Sequence[EscalationEvent] = (),
) -> EscalationEvent:
    """A person checked that a held dispatch did leave: its steps are recorded as done, nothing is sent.

    The engine is asked again for the dispatch's day: it is deterministic, so on the same book it names
    the same steps the interrupted attempt was sending. `also` is logged in the same transaction (the
    release's own STATUS event).
    """
    customer = customer_from_record(customer_record)
    day = date.fromisoformat(dispatch_key.rsplit("#", 1)[1])
    records = {item.invoice_id: item for item in rt.invoices.for_customer(customer.customer_id)}
    invoices = [invoice_from_record(item) for item in records.values()]
    policy = rt.policy_for(customer)
    decision = decide(customer, invoices, policy, rt.calendar, day)
    if not decision.dispatches:
        raise ValueError(
            f"the engine decides nothing for {customer.customer_id} on {day.isoformat()} any more (the book "
            "changed since); release it as not sent"
        )
    run_id = f"release-{day.isoformat()}"
    event = replace(
        _dispatch_event(rt, decision, run_id, dispatch_key, _Produced(), Outcome.RECORDED, reason),
        actor=actor,
    )
    events = [event, *_break_events(rt, decision, policy, run_id), *also]
    _commit_dispatch(rt, customer, policy, decision, records, customer_record, dispatch_key, events)
    log_escalation(event)
    return event


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
    delivered = decision.delivered_channels
    # The log is read only when today's steps need the customer's history.
    needs_file = bool(claiming) or bool(delivered & {Action.CALL_TASK, Action.HANDOFF})
    customer_file = load_customer_file(rt, customer.customer_id, policy) if needs_file else CustomerFile()
    produced.claims = claims_for(
        settings.country,
        customer,
        claiming,
        today,
        customer_file.payments,
        customer_file.notice_dates,
        settings.interest_rate_mode,
        policy_waiver(policy),
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
    if decision.email_blocked is not None and decision.message_step is not None:
        # The email cannot go: the account manager gets the step as a call task (and fixes the address).
        call_items = tuple(
            item
            for item in decision.actions
            if item.step.sends_message or Action.CALL_TASK in item.step.actions
        )
    if call_items:
        produced.call_task_message_id = send_call_task(
            rt, customer, invoices, call_items, dispatch_key, today, customer_file
        )

    step = decision.message_step
    if step is None or Action.EMAIL not in step.actions:
        return
    if decision.email_blocked is not None:
        produced.email_skipped = f"email not sent, call task instead: {decision.email_blocked}"
        return
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
    produced.message_id = _send_email(
        rt, customer, step.id, render_email(step.template, context), dispatch_key, attachments
    )


def _produce_plan_reminder(
    rt: Runtime,
    customer: Customer,
    decision: Decision,
    policy: Policy,
    dispatch_key: str,
    produced: _Produced,
) -> None:
    if decision.email_blocked is not None:
        produced.email_skipped = f"plan reminder not sent: {decision.email_blocked}"
        return
    context = plans.reminder_context(
        company=rt.settings.company,
        customer=customer,
        reminders=decision.plan_reminders,
        policy=policy,
        today=decision.on,
    )
    rendered = render_email(plans.PLAN_REMINDER.template, context)
    produced.message_id = _send_email(rt, customer, plans.PLAN_REMINDER.id, rendered, dispatch_key, [])


def _send_email(
    rt: Runtime,
    customer: Customer,
    step_id: str,
    rendered: RenderedEmail,
    dispatch_key: str,
    attachments: Sequence[Attachment],
) -> str:
    """The one thing that cannot be repeated: the customer's email, with a Message-ID stable per dispatch."""
    settings = rt.settings
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
        headers={"X-Relance-Dispatch": dispatch_key, "X-Relance-Step": step_id},
    )
    return rt.mailer.send(
        message, tags={"customer_id": customer.customer_id, "dispatch": dispatch_key, "step": step_id}
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


def _dispatch_event(
    rt: Runtime,
    decision: Decision,
    run_id: str,
    dispatch_key: str,
    produced: _Produced,
    outcome: Outcome,
    reason: str | None,
) -> EscalationEvent:
    if decision.actions:
        return _escalation_event(rt, decision, run_id, dispatch_key, produced, outcome, reason)
    return plans.reminder_event(
        decision,
        now=rt.clock(),
        run_id=run_id,
        dispatch_key=dispatch_key,
        message_id=produced.message_id,
        outcome=outcome,
        reason=reason,
    )


def _break_events(rt: Runtime, decision: Decision, policy: Policy, run_id: str) -> list[EscalationEvent]:
    return [
        plans.break_event(item, policy, on=decision.on, now=rt.clock(), run_id=run_id)
        for item in decision.plan_breaks
    ]


def _escalation_event(
    rt: Runtime,
    decision: Decision,
    run_id: str,
    dispatch_key: str,
    produced: _Produced,
    outcome: Outcome,
    reason: str | None,
) -> EscalationEvent:
    now = rt.clock().astimezone(UTC)
    headline = decision.headline
    assert headline is not None  # an escalation event is written only for a decision with steps
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
        customer_id=decision.customer_id,
        kind=EventKind.ESCALATION,
        occurred_on=decision.on,
        recorded_at=now,
        outcome=outcome,
        # A dispatch is carried out once a day; failed attempts may repeat, each logged under its own time.
        key_suffix=f"{headline.id}#sent"
        if outcome in {Outcome.SENT, Outcome.RECORDED}
        else f"{headline.id}#{outcome.value}#{now:%H%M%S%f}",
        step=headline.id,
        # What was done, not what the policy asked: no "email" when the address was blocked.
        channels=tuple(sorted(action.value for action in decision.delivered_channels)),
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


def _invoice_changes(
    rt: Runtime, customer: Customer, policy: Policy, records: dict[str, InvoiceRecord], decision: Decision
) -> list[Change]:
    """Each invoice's new state once the decision is carried out, on the records as they are now.

    The same pure `carry_out` the engine, the preview and the tests use: what is recorded is what was
    decided, and the index gets exactly the day the engine will act next.
    """
    before = [invoice_from_record(record) for record in records.values()]
    _, after = carry_out(customer, before, decision)
    next_on = next_action_dates(customer, before, policy, rt.calendar, decision)
    changes = []
    for old, new in zip(before, after, strict=True):
        record = records[old.invoice_id]
        actions = []
        if new.dunning != old.dunning:
            actions += [
                InvoiceRecord.steps_done.set(list(new.dunning.steps_done)),
                InvoiceRecord.last_step_on.set(new.dunning.last_step_on),
            ]
        if new.status is not old.status:
            actions.append(InvoiceRecord.status.set(new.status.value))
        if new.plan != old.plan:
            actions.append(
                InvoiceRecord.plan.set(plan_attribute(new.plan)) if new.plan else InvoiceRecord.plan.remove()
            )
        if next_on[old.invoice_id] != record.next_action_on:
            actions += schedule_actions(record, next_on[old.invoice_id], rt.settings.due_shards)
        if actions:
            changes.append(Change(record, actions))
    return changes


def _commit_schedule(
    rt: Runtime,
    customer: Customer,
    policy: Policy,
    records: dict[str, InvoiceRecord],
    decision: Decision,
    run_id: str,
) -> None:
    """Records what changes without a message: broken plans, invoices moving in or out of the index."""
    events = _break_events(rt, decision, policy, run_id)
    try:
        UnitOfWork(
            events=[event_record(event) for event in events],
            changes=_invoice_changes(rt, customer, policy, records, decision),
        ).commit()
    except ConflictError as exc:
        # The concurrent writer (a payment, an import) rescheduled the invoice itself; the next run decides
        # again on the new state, so nothing is lost.
        logger.info("schedule left to a concurrent change", extra={"reason": str(exc)})
        return
    for event in events:
        log_escalation(event)


def _commit_dispatch(
    rt: Runtime,
    customer: Customer,
    policy: Policy,
    decision: Decision,
    records: dict[str, InvoiceRecord],
    customer_record: CustomerRecord,
    dispatch_key: str,
    events: Sequence[EscalationEvent],
) -> None:
    """Records the dispatch; on a concurrent invoice change, reloads and applies the decision again."""
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        unit = UnitOfWork(
            events=[event_record(event) for event in events],
            changes=_invoice_changes(rt, customer, policy, records, decision),
        )
        done = [
            CustomerRecord.last_dispatch.set(dispatch_key),
            CustomerRecord.pending_dispatch.remove(),
            CustomerRecord.pending_since.remove(),
        ]
        unit.final = Change(
            customer_record,
            # The engine counted today's message (or its call-task stand-in) toward the customer's spacing.
            [CustomerRecord.last_message_on.set(decision.on), *done] if decision.sends_message else done,
            condition=CustomerRecord.pending_dispatch == dispatch_key,
            add_version_condition=False,
        )
        try:
            unit.commit()
            return
        except ConflictError:
            if attempt == COMMIT_ATTEMPTS:
                _keep_evidence_of_send(rt, events[0])
                raise
            records = {item.invoice_id: item for item in rt.invoices.for_customer(customer.customer_id)}


def _keep_evidence_of_send(rt: Runtime, event: EscalationEvent) -> None:
    """The message left but its state could not be recorded: at least the log must say it was sent."""
    try:
        rt.events.append(event_record(event))
    except Exception:
        logger.exception("could not log a sent dispatch", extra={"customer_id": event.customer_id})
