"""Dunning one customer for one day: decide, claim the dispatch, produce and send, record.

Order matters for "no duplicate message ever": the dispatch is claimed on the customer before anything
leaves; documents are stored and bus events published (both safe to repeat) before the customer's email,
the one thing that cannot be repeated; the account manager's call task goes after it, so that a throttled
email never becomes a hold; the claim is cleared in the same write that records the day. A retry that finds
the claim still taken does not know whether the email left, so it holds the customer for a person.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from relance.domain.amounts import ZERO
from relance.domain.cases import CaseAction, CaseChange
from relance.domain.engine import Decision, carry_out, decide, next_action_on, settle_book
from relance.domain.events import EscalationEvent, EventKind, EventLine, NoticeRef, Outcome
from relance.domain.evidence import retained_until
from relance.domain.models import Customer, DispatchState, Invoice
from relance.domain.money import NeedsPerson
from relance.domain.policy import Action, Policy
from relance.observability import count_metric, log_escalation, logger
from relance.ports import (
    Change,
    ConflictError,
    Context,
    SendRefused,
    SendRejected,
    SendUncertain,
    StoredObject,
)
from relance.rendering.mime import Attachment, build_message, mailbox, stable_message_id
from relance.services import documents, plans
from relance.services.call_tasks import send_call_task
from relance.services.case_log import case_events
from relance.services.customer_file import CustomerFile, load_customer_file
from relance.services.handoff import prepare_handoff
from relance.services.messages import MessageParts, message_context, settled_claims
from relance.services.penalties import Claim, claims_for, log_fetched_rates, policy_waiver, rates_for

COMMIT_ATTEMPTS = 4
# How the commit waits between attempts; a replay or a test on simulated time replaces it.
sleep = time.sleep
# A dispatch younger than this may still be running in another worker (the queue's visibility timeout is
# six times the function's): its claim is no hold yet, the message comes back later.
IN_PROGRESS = timedelta(minutes=15)


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
    case_ids: tuple[str, ...] = ()


class NoticeHeld(RuntimeError):
    """A step claiming penalties would print a claim a person must decide on first (a contractual rate
    below the legal floor, relance.domain.money.review): nothing of the day is sent."""

    def __init__(self, held: dict[str, dict[str, NeedsPerson]]) -> None:
        super().__init__(
            "; ".join(
                f"{invoice_id}: {why.reason}"
                for reasons in held.values()
                for invoice_id, why in reasons.items()
            )
        )
        self.held = held
        """Per case, the invoices held and why."""


class DispatchInProgress(RuntimeError):
    """Another worker holds today's dispatch and may still be running: the queue retries this one later."""


@dataclass
class _Produced:
    """What the dispatch has done so far, so that a failure knows whether anything left the house."""

    notices: dict[str, list[NoticeRef]] = field(default_factory=dict)
    """Formal notices stored, per case."""
    evidence: dict[str, list[NoticeRef]] = field(default_factory=dict)
    """Other evidence (hand-off packs), per case: logged with the notices, not attached to the email."""
    claims: dict[str, Claim] = field(default_factory=dict)
    published: dict[str, str] = field(default_factory=dict)
    call_task_message_id: str | None = None
    call_task_error: str | None = None
    message_id: str | None = None
    email: StoredObject | None = None
    """The customer's email as sent, archived under emails/."""
    email_skipped: str | None = None
    """Why the customer's email was not sent (its address bounced or complained); None when it was."""


def process_customer(ctx: Context, customer_id: str, run_id: str) -> DispatchResult:
    now = ctx.clock()
    calendar = ctx.calendar
    today = calendar.local_date(now)
    if not calendar.within_window(now):
        reason = (
            f"{calendar.local_now(now):%H:%M} is outside the sending window "
            f"{calendar.window.opens:%H:%M}-{calendar.window.closes:%H:%M} ({ctx.settings.timezone})"
        )
        # Not quiet: a schedule outside the window defers every customer, every day (an alarm watches this).
        logger.warning("deferred", extra={"customer_id": customer_id, "reason": reason})
        count_metric("DispatchDeferred")
        return DispatchResult(customer_id, today, "deferred", reason=reason)

    customer = ctx.book.customer(customer_id)
    if customer is None:
        logger.error("unknown customer", extra={"customer_id": customer_id})
        return DispatchResult(customer_id, today, "unknown_customer", reason="no such customer")
    invoices = ctx.book.invoices_of(customer_id)
    policy = ctx.policies.for_customer(customer)
    decision = decide(customer, invoices, policy, calendar, today)
    for hold in decision.holds:
        logger.info(
            "hold", extra={"customer_id": customer_id, "subject": hold.subject, "reason": hold.reason}
        )

    if not decision.dispatches:
        # Nothing reaches the customer: only state changes (cases, a broken plan, the index) to record.
        _commit_schedule(ctx, customer, invoices, policy, decision, run_id)
        return DispatchResult(
            customer_id,
            today,
            "plan_broken" if decision.plan_breaks else "nothing_due",
            invoice_ids=tuple(item.invoice.invoice_id for item in decision.plan_breaks),
        )

    dispatch_key = f"{customer_id}#{today.isoformat()}"
    claimed = ctx.book.claim_dispatch(customer, dispatch_key, now)
    if claimed is None:
        return _claim_refused(ctx, customer_id, today, dispatch_key, now)

    produced = _Produced()
    try:
        if decision.case_actions or decision.courtesy:
            _produce(ctx, claimed, invoices, decision, policy, dispatch_key, run_id, produced)
        else:
            _produce_plan_reminder(ctx, claimed, decision, policy, dispatch_key, produced)
    except SendRejected as exc:
        ctx.book.release_dispatch(customer_id, dispatch_key)
        events = _dispatch_events(
            ctx, decision, policy, run_id, dispatch_key, produced, Outcome.FAILED, str(exc)
        )
        for event in events:
            ctx.events.append(event)
            log_escalation(event)
        return DispatchResult(customer_id, today, "failed", step=events[0].step, reason=str(exc))
    except NoticeHeld as exc:
        # Nothing was stored or sent (the check runs before the first document): the day is given back,
        # the customer stays due, and tomorrow's run holds it again until a person corrects the terms.
        ctx.book.release_dispatch(customer_id, dispatch_key)
        return _notice_held(ctx, claimed, decision, run_id, exc)
    except SendUncertain:
        # The email may have left: the claim stays, the retry finds the customer held for a person.
        logger.error(
            "send uncertain, dispatch held", extra={"customer_id": customer_id, "dispatch": dispatch_key}
        )
        count_metric("DispatchHeld", reason="send_uncertain")
        raise
    except SendRefused:
        # Throttled or unreachable: nothing left, the queue retries with its backoff.
        ctx.book.release_dispatch(customer_id, dispatch_key)
        raise
    except Exception:
        if produced.message_id is None and produced.call_task_message_id is None:
            # Nothing reached a person: let the queue retry from a clean slate.
            ctx.book.release_dispatch(customer_id, dispatch_key)
        raise

    # A courtesy notice or plan reminder that cannot be emailed is skipped (logged once, never retried); a
    # case step went by the account manager's call instead, so it is carried out.
    skipped = produced.email_skipped and not decision.case_actions
    outcome = Outcome.SKIPPED if skipped else Outcome.SENT
    events = _dispatch_events(
        ctx, decision, policy, run_id, dispatch_key, produced, outcome, produced.email_skipped
    )
    _commit_dispatch(ctx, claimed, invoices, policy, decision, dispatch_key, run_id, events)
    if produced.email_skipped:
        logger.warning("email skipped", extra={"customer_id": customer_id, "reason": produced.email_skipped})
    return DispatchResult(
        customer_id,
        today,
        outcome.value,
        step=events[0].step,
        invoice_ids=decision.invoice_ids,
        message_id=produced.message_id,
        notices=tuple(ref for refs in produced.notices.values() for ref in refs),
        reason=produced.email_skipped or produced.call_task_error,
        case_ids=tuple(action.case.case_id for action in decision.case_actions),
    )


def record_released_dispatch(
    ctx: Context, customer: Customer, actor: str, reason: str, also: Sequence[EscalationEvent] = ()
) -> list[EscalationEvent]:
    """A person checked that a held dispatch did leave: its steps are recorded as done, nothing is sent.

    The engine is asked again for the dispatch's day: it is deterministic, so on the same book it names the
    same steps the interrupted attempt was sending. `also` is logged with it (the release's own event).
    """
    dispatch_key = customer.dispatch.pending
    if dispatch_key is None:
        raise ValueError(f"customer {customer.customer_id} has no held dispatch")
    day = date.fromisoformat(dispatch_key.rsplit("#", 1)[1])
    invoices = ctx.book.invoices_of(customer.customer_id)
    policy = ctx.policies.for_customer(customer)
    decision = decide(customer, invoices, policy, ctx.calendar, day)
    if not decision.dispatches:
        raise ValueError(
            f"the engine decides nothing for {customer.customer_id} on {day.isoformat()} any more (the book "
            "changed since); release it as not sent"
        )
    run_id = f"release-{day.isoformat()}"
    events = [
        replace(event, actor=actor)
        for event in _dispatch_events(
            ctx, decision, policy, run_id, dispatch_key, _Produced(), Outcome.RECORDED, reason
        )
    ]
    # When the worker could not record the send, it kept the log's entry of it (_keep_evidence_of_send):
    # that entry, with SES's message id, stands; only the state it could not write is recorded now.
    unlogged = [event for event in events if not ctx.events.exists(event.customer_id, event.event_key)]
    _commit_dispatch(ctx, customer, invoices, policy, decision, dispatch_key, run_id, [*unlogged, *also])
    return events


def _claim_refused(
    ctx: Context, customer_id: str, today: date, dispatch_key: str, now: datetime
) -> DispatchResult:
    fresh = ctx.book.customer(customer_id)
    if fresh is not None and fresh.dispatch.last == dispatch_key:
        return DispatchResult(
            customer_id, today, "already_done", reason=f"dispatch {dispatch_key} is recorded"
        )
    pending = fresh.dispatch.pending if fresh is not None else None
    since = fresh.dispatch.pending_since if fresh is not None else None
    if pending == dispatch_key and since is not None and now - since < IN_PROGRESS:
        # Another worker is on it right now (a redelivered message): not a hold, try again later.
        logger.warning(
            "dispatch in progress elsewhere", extra={"customer_id": customer_id, "dispatch": pending}
        )
        raise DispatchInProgress(f"dispatch {pending} started at {since.isoformat()} is still in progress")
    reason = (
        f"dispatch {pending} started at {since.isoformat() if since else '?'} never completed; it may have "
        f"been sent, so the customer is held until a person checks (relance release {customer_id})"
    )
    logger.error("dispatch held", extra={"customer_id": customer_id, "reason": reason})
    count_metric("DispatchHeld", reason="interrupted")
    return DispatchResult(customer_id, today, "held", reason=reason)


def _produce(
    ctx: Context,
    customer: Customer,
    invoices: Sequence[Invoice],
    decision: Decision,
    policy: Policy,
    dispatch_key: str,
    run_id: str,
    produced: _Produced,
) -> None:
    settings = ctx.settings
    today = decision.on
    step = decision.message_step
    claiming = [action for action in decision.case_actions if action.step.claim_penalties]
    delivered = decision.delivered_channels
    # The log is read only when today's steps need the customer's history.
    needs_file = bool(claiming) or bool(delivered & {Action.CALL_TASK, Action.HANDOFF})
    customer_file = load_customer_file(ctx, customer.customer_id, policy) if needs_file else CustomerFile()
    settled = {action.case.case_id: settled_claims(action.case, invoices, policy) for action in claiming}
    claimed_invoices = [
        *(invoice for action in claiming for invoice in action.invoices),
        *(invoice for group in settled.values() for invoice in group),
    ]
    produced.claims = claims_for(
        settings.country,
        customer,
        claimed_invoices,
        today,
        customer_file.payments,
        customer_file.notice_dates,
        settings.interest_rate_mode,
        policy_waiver(policy),
        rates_for(ctx),
    )
    log_fetched_rates(customer.customer_id, produced.claims)
    _check_holds(claiming, produced.claims)
    attachments: list[Attachment] = []
    for action in decision.with_action(Action.LETTER):
        body, ref = _store_notice(ctx, customer, action, produced.claims, dispatch_key, today)
        produced.notices.setdefault(action.case.case_id, []).append(ref)
        attachments.append(Attachment(ref.key.rsplit("/", 1)[-1], "application/pdf", body))

    for bus_action, detail_type in (
        (Action.SUSPEND, "CustomerSuspensionRequested"),
        (Action.HANDOFF, "CollectionHandoffRequested"),
    ):
        for action in decision.with_action(bus_action):
            detail = _bus_detail(ctx, customer, action, dispatch_key, run_id)
            if bus_action is Action.HANDOFF:
                pack = prepare_handoff(ctx, customer, action, policy, dispatch_key, today, customer_file)
                produced.evidence.setdefault(action.case.case_id, []).append(
                    NoticeRef(key=pack.key, sha256=pack.sha256)
                )
                detail["evidence_pack"] = {"key": pack.key, "sha256": pack.sha256}
            produced.published[f"{detail_type}.{action.case.case_id}"] = ctx.bus.publish(detail_type, detail)

    if step is not None and Action.EMAIL in step.actions:
        if decision.email_blocked is not None:
            produced.email_skipped = f"email not sent, call task instead: {decision.email_blocked}"
        else:
            parts = MessageParts(
                step=step,
                actions=tuple(action for action in decision.case_actions if action.step.sends_message),
                upcoming=decision.courtesy,
                settled_claims=tuple(invoice for group in settled.values() for invoice in group),
            )
            context = message_context(
                company=settings.company,
                customer=customer,
                parts=parts,
                today=today,
                account_manager=customer.account_manager_email
                if Action.CALL_TASK in decision.channels
                else None,
                claims=produced.claims,
                country=settings.country,
                mediator=settings.consumer_mediator,
            )
            produced.message_id = _send_email(
                ctx,
                customer,
                step.id,
                ctx.renderer.email(step.template, context),
                dispatch_key,
                attachments,
                produced,
            )

    call_actions = decision.with_action(Action.CALL_TASK)
    if decision.email_blocked is not None and decision.case_actions:
        # The email cannot go: the account manager gets the step as a call task (and fixes the address).
        call_actions = decision.case_actions
    if call_actions:
        try:
            produced.call_task_message_id = send_call_task(
                ctx, customer, invoices, call_actions, policy, dispatch_key, today, customer_file
            )
        except (SendRefused, SendRejected, SendUncertain) as exc:
            if produced.message_id is None and produced.email_skipped is None:
                raise
            # The customer's email left: the day is done; the missing task is logged and alarmed instead.
            produced.call_task_error = f"call task not sent: {exc}"
            logger.error(
                "call task not sent", extra={"customer_id": customer.customer_id, "reason": str(exc)}
            )
            count_metric("CallTaskFailed")


def _check_holds(claiming: Sequence[CaseAction], claims: dict[str, Claim]) -> None:
    """Raises NoticeHeld when a step claiming penalties covers a claim a person must decide on: printing
    an unlawful agreed rate, or silently another one, on a formal notice are both wrong (docs/interest.md)."""
    held: dict[str, dict[str, NeedsPerson]] = {}
    for action in claiming:
        for invoice in action.invoices:
            claim = claims.get(invoice.invoice_id)
            if claim is not None and claim.hold is not None:
                held.setdefault(action.case.case_id, {})[invoice.invoice_id] = claim.hold
    if held:
        raise NoticeHeld(held)


def _notice_held(
    ctx: Context, customer: Customer, decision: Decision, run_id: str, held: NoticeHeld
) -> DispatchResult:
    """One STATUS event per held case (the digest lists it for a person), a log line and a metric."""
    now = ctx.clock().astimezone(UTC)
    actions = {action.case.case_id: action for action in decision.case_actions}
    for case_id, reasons in held.held.items():
        action = actions[case_id]
        invoices = [invoice for invoice in action.invoices if invoice.invoice_id in reasons]
        event = EscalationEvent(
            customer_id=customer.customer_id,
            kind=EventKind.STATUS,
            occurred_on=decision.on,
            recorded_at=now,
            outcome=Outcome.HELD,
            # Once a day and case: a retry the same day collides instead of doubling.
            key_suffix=f"{case_id}#notice_held",
            step=action.step.id,
            invoice_ids=tuple(invoice.invoice_id for invoice in invoices),
            lines=tuple(EventLine(invoice_id=i.invoice_id, balance=i.balance) for i in invoices),
            currency=action.case.currency,
            amount=sum((invoice.balance for invoice in invoices), ZERO),
            reason=f"{action.step.id} held for a person: "
            + "; ".join(f"{invoice_id}: {why.reason}" for invoice_id, why in sorted(reasons.items())),
            run_id=run_id,
            detail={"notice_held": ",".join(sorted({why.code for why in reasons.values()}))},
            case_id=case_id,
            customer_name=customer.name,
        )
        ctx.events.append(event)
        log_escalation(event)
    logger.error("notice held", extra={"customer_id": customer.customer_id, "reason": str(held)})
    count_metric("NoticeHeld")
    return DispatchResult(
        customer.customer_id,
        decision.on,
        "notice_held",
        invoice_ids=tuple(i for reasons in held.held.values() for i in sorted(reasons)),
        reason=str(held),
        case_ids=tuple(held.held),
    )


def _store_notice(
    ctx: Context,
    customer: Customer,
    action: CaseAction,
    claims: dict[str, Claim],
    dispatch_key: str,
    today: date,
) -> tuple[bytes, NoticeRef]:
    """The formal notice of one case (so one currency), stored once as evidence."""
    step = action.step
    # Policy validation guarantees every letter step a deadline.
    assert step.deadline_days is not None
    context = documents.letter_context(
        company=ctx.settings.company,
        customer=customer,
        invoices=list(action.letter_invoices),
        claims=claims,
        currency=action.case.currency,
        today=today,
        deadline=today + timedelta(days=step.deadline_days),
    )
    context["case"] = {"id": action.case.case_id, "supplementary": action.kind.value == "supplementary"}
    body = ctx.renderer.formal_notice(context)
    name = step.id
    key = (
        f"notices/{customer.customer_id}/{today:%Y/%m}/{today.isoformat()}-{name}-{action.case.currency}.pdf"
    )
    stored = ctx.store.put_evidence(
        key,
        body,
        "application/pdf",
        retain_until=retained_until(today, ctx.settings.notice_retention_days),
        metadata={
            "customer-id": customer.customer_id,
            "case-id": action.case.case_id,
            "step": name,
            "dispatch": dispatch_key,
            "invoices": ",".join(invoice.invoice_id for invoice in action.letter_invoices),
        },
    )
    return body, NoticeRef(key=stored.key, sha256=stored.sha256, currency=action.case.currency)


def _produce_plan_reminder(
    ctx: Context,
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
        company=ctx.settings.company,
        customer=customer,
        reminders=decision.plan_reminders,
        policy=policy,
        today=decision.on,
    )
    rendered = ctx.renderer.email(plans.PLAN_REMINDER.template, context)
    produced.message_id = _send_email(
        ctx, customer, plans.PLAN_REMINDER.id, rendered, dispatch_key, [], produced
    )


def _send_email(
    ctx: Context,
    customer: Customer,
    step_id: str,
    rendered: Any,
    dispatch_key: str,
    attachments: Sequence[Attachment],
    produced: _Produced,
) -> str:
    """The one thing that cannot be repeated: the customer's email, with a Message-ID stable per dispatch.

    The message is archived as sent (raw MIME, attachments included) once SES took it, or may have: a lost
    answer still archives it, as the email that may have left.
    """
    settings = ctx.settings
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
    tags = {"customer_id": customer.customer_id, "dispatch": dispatch_key, "step": step_id}
    try:
        message_id = ctx.mailer.send(message, tags=tags)
    except SendUncertain:
        produced.email = _archive(ctx, customer, message, dispatch_key, step_id, None)
        raise
    produced.email = _archive(ctx, customer, message, dispatch_key, step_id, message_id)
    return message_id


ARCHIVE_ATTEMPTS = 3


def _archive(
    ctx: Context,
    customer: Customer,
    message: Any,
    dispatch_key: str,
    step_id: str,
    message_id: str | None,
) -> StoredObject | None:
    """Keeps the email as evidence under emails/<customer>/<yyyy>/<mm>/ (Object Lock, written once).

    The email has left: a store that keeps failing must not make the dispatch fail (a retry could not send
    it again anyway); the failure is logged at ERROR and counted, for a person to see in the alarm.
    """
    day = date.fromisoformat(dispatch_key.rsplit("#", 1)[1])
    key = f"emails/{customer.customer_id}/{day:%Y/%m}/{day.isoformat()}-{step_id}.eml"
    body = message.as_bytes()
    for attempt in range(1, ARCHIVE_ATTEMPTS + 1):
        try:
            return ctx.store.put_evidence(
                key,
                body,
                "message/rfc822",
                retain_until=retained_until(day, ctx.settings.notice_retention_days),
                metadata={
                    "customer-id": customer.customer_id,
                    "dispatch": dispatch_key,
                    "step": step_id,
                    "ses-message-id": message_id or "unknown: the answer was lost",
                },
            )
        except Exception:
            if attempt == ARCHIVE_ATTEMPTS:
                logger.exception(
                    "email not archived", extra={"customer_id": customer.customer_id, "key": key}
                )
                count_metric("EmailArchiveFailed")
                return None
            sleep(0.2 * attempt)
    return None


def _bus_detail(
    ctx: Context, customer: Customer, action: CaseAction, dispatch_key: str, run_id: str
) -> dict[str, Any]:
    """The documented detail of CustomerSuspensionRequested and CollectionHandoffRequested (README).

    `evidence` lists the case's formal notices (the one sent with this dispatch, if any, and the earlier
    ones the case logged), so that the system acting on it can show what the debtor was told.
    """
    notices = [
        {"key": ref.key, "sha256": ref.sha256}
        for event in ctx.events.for_customer(customer.customer_id)
        if event.case_id == action.case.case_id and event.kind is EventKind.ESCALATION
        for ref in event.notices
        if ref.key.startswith("notices/")
    ]
    return {
        "dispatch_id": dispatch_key,
        "run_id": run_id,
        "case_id": action.case.case_id,
        "customer_id": customer.customer_id,
        "customer_name": customer.name,
        "step": action.step.id,
        "invoices": [
            {
                "invoice_id": invoice.invoice_id,
                "currency": invoice.currency,
                "balance": str(invoice.balance),
                "due_date": invoice.due_date.isoformat(),
            }
            for invoice in action.invoices
        ],
        "evidence": notices,
    }


def _dispatch_events(
    ctx: Context,
    decision: Decision,
    policy: Policy,
    run_id: str,
    dispatch_key: str,
    produced: _Produced,
    outcome: Outcome,
    reason: str | None,
) -> list[EscalationEvent]:
    """The log of the dispatch: one event per case acted on (they share the message), or the courtesy
    notice's, or the plan reminder's."""
    if not decision.case_actions and not decision.courtesy:
        return [
            plans.reminder_event(
                decision,
                now=ctx.clock(),
                run_id=run_id,
                dispatch_key=dispatch_key,
                message_id=produced.message_id,
                outcome=outcome,
                reason=reason,
                customer_name=decision.customer.name,
                email=(produced.email.key, produced.email.sha256) if produced.email else None,
            )
        ]
    now = ctx.clock().astimezone(UTC)
    events = []
    headline = max(decision.case_actions, key=lambda action: action.rank) if decision.case_actions else None
    for action in decision.case_actions:
        lines = [
            _line(action, invoice, produced.claims.get(invoice.invoice_id)) for invoice in action.invoices
        ]
        if action is headline:
            lines += [
                EventLine(
                    invoice_id=invoice.invoice_id, balance=invoice.balance, step="courtesy", stage="upcoming"
                )
                for invoice in decision.courtesy
            ]
        events.append(
            _event(
                ctx,
                decision,
                action.step.id,
                action.case.case_id,
                action.case.currency,
                lines,
                run_id,
                dispatch_key,
                produced,
                outcome,
                reason,
                now,
                action,
            )
        )
    if not decision.case_actions:
        step = decision.courtesy_step
        assert step is not None
        lines = [
            EventLine(invoice_id=invoice.invoice_id, balance=invoice.balance, step=step.id, stage="upcoming")
            for invoice in decision.courtesy
        ]
        currencies = {invoice.currency for invoice in decision.courtesy}
        events.append(
            _event(
                ctx,
                decision,
                step.id,
                None,
                currencies.pop() if len(currencies) == 1 else None,
                lines,
                run_id,
                dispatch_key,
                produced,
                outcome,
                reason,
                now,
                None,
            )
        )
    return events


def _line(action: CaseAction, invoice: Invoice, claim: Claim | None) -> EventLine:
    covered = any(item.invoice_id == invoice.invoice_id for item in action.letter_invoices)
    named = action.case.named(invoice.invoice_id)
    stage = "noticed" if covered else ("reminded" if named else "new")
    if not covered and action.case.noticed:
        stage = "noticed_before" if invoice.invoice_id in action.case.noticed else "after_notice"
    return EventLine(
        invoice_id=invoice.invoice_id,
        balance=invoice.balance,
        step=action.step.id,
        interest=claim.interest if claim else None,
        indemnity=claim.indemnity if claim else None,
        stage=stage,
    )


def _event(
    ctx: Context,
    decision: Decision,
    step: str,
    case_id: str | None,
    currency: str | None,
    lines: Sequence[EventLine],
    run_id: str,
    dispatch_key: str,
    produced: _Produced,
    outcome: Outcome,
    reason: str | None,
    now: datetime,
    action: CaseAction | None,
) -> EscalationEvent:
    detail = {
        "dispatch": dispatch_key,
        **{f"published.{name}": event_id for name, event_id in produced.published.items()},
    }
    if action is not None and action.kind.value != "step":
        detail["message_kind"] = action.kind.value
    if produced.call_task_message_id:
        detail["call_task_message_id"] = produced.call_task_message_id
    if produced.call_task_error:
        detail["call_task_error"] = produced.call_task_error
    for line in lines:
        claim = produced.claims.get(line.invoice_id)
        if claim is not None and claim.note:
            # A missing rate or an unsupported case: the person reading the log sees why interest is absent.
            detail[f"claim_note.{line.invoice_id}"] = claim.note
    chased = [line for line in lines if line.stage != "upcoming"] or list(lines)
    suffix = case_id or "customer"
    return EscalationEvent(
        customer_id=decision.customer_id,
        kind=EventKind.ESCALATION,
        occurred_on=decision.on,
        recorded_at=now,
        outcome=outcome,
        # A dispatch is carried out once a day; failed attempts may repeat, each logged under its own time.
        key_suffix=f"{step}#{suffix}#sent"
        if outcome in {Outcome.SENT, Outcome.RECORDED, Outcome.SKIPPED}
        else f"{step}#{suffix}#{outcome.value}#{now:%H%M%S%f}",
        step=step,
        # What was done, not what the policy asked: no "email" when the address was blocked.
        channels=tuple(sorted(item.value for item in decision.delivered_channels)),
        invoice_ids=tuple(line.invoice_id for line in lines),
        lines=tuple(lines),
        currency=currency,
        amount=sum((line.balance for line in chased), ZERO) if currency else None,
        reason=reason,
        run_id=run_id,
        message_id=produced.message_id,
        notices=(*produced.notices.get(case_id or "", []), *produced.evidence.get(case_id or "", [])),
        detail=detail,
        case_id=case_id,
        customer_name=decision.customer.name,
        email_key=produced.email.key if produced.email else None,
        email_sha256=produced.email.sha256 if produced.email else None,
    )


def _break_events(ctx: Context, decision: Decision, policy: Policy, run_id: str) -> list[EscalationEvent]:
    return [
        plans.break_event(item, policy, on=decision.on, now=ctx.clock(), run_id=run_id)
        for item in decision.plan_breaks
    ]


def _settled(
    ctx: Context,
    customer: Customer,
    invoices: Sequence[Invoice],
    policy: Policy,
    decision: Decision,
    run_id: str,
) -> tuple[Customer, tuple[Invoice, ...], list[Change[Any]], list[EscalationEvent]]:
    """The book after the day: the changes to save (customer with its index date, invoices that changed)
    and the events of the cases opened or closed on the way."""
    settled_customer, settled_invoices, changes, _ = settle_book(customer, invoices, policy, decision.on)
    events = case_events(ctx, settled_customer, changes, settled_invoices, policy, decision.on, run_id)
    after_customer, after_invoices = carry_out(customer, invoices, policy, decision)
    start = decision.on + timedelta(days=1) if decision.dispatches or decision.plan_breaks else decision.on
    after_customer = replace(
        after_customer,
        next_action_on=next_action_on(after_customer, after_invoices, policy, ctx.calendar, start),
    )
    invoice_changes: list[Change[Any]] = [
        Change(before, after)
        for before, after in zip(invoices, after_invoices, strict=True)
        if before != after
    ]
    return after_customer, after_invoices, invoice_changes, events


def _commit_schedule(
    ctx: Context,
    customer: Customer,
    invoices: Sequence[Invoice],
    policy: Policy,
    decision: Decision,
    run_id: str,
) -> None:
    """Records what changes without a message: cases opened or closed, broken plans, the next date."""
    after, _, invoice_changes, events = _settled(ctx, customer, invoices, policy, decision, run_id)
    events += _break_events(ctx, decision, policy, run_id)
    changes: list[Change[Any]] = list(invoice_changes)
    if after != customer:
        changes.insert(0, Change(customer, after))
    if not changes and not events:
        return
    try:
        ctx.book.save(changes, events)
    except ConflictError as exc:
        # The concurrent writer (a payment, an import) rescheduled the customer itself; the next run decides
        # again on the new state, so nothing is lost.
        logger.info("schedule left to a concurrent change", extra={"reason": str(exc)})
        return
    for event in events:
        log_escalation(event)


def _commit_dispatch(
    ctx: Context,
    customer: Customer,
    invoices: Sequence[Invoice],
    policy: Policy,
    decision: Decision,
    dispatch_key: str,
    run_id: str,
    events: Sequence[EscalationEvent],
) -> None:
    """Records the dispatch, clearing the claim in the same write.

    On a concurrent change (a payment landed, a person paused an invoice) it reloads and applies the day's
    decision again to the fresh book; on a store error it waits and retries: the email has left, so giving
    up here would leave a held customer and lose the message id. After the last attempt the events are at
    least logged, and the claim stays for a person (relance release --was-sent).
    """
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        after, _, invoice_changes, case_log = _settled(ctx, customer, invoices, policy, decision, run_id)
        after = replace(after, dispatch=DispatchState(last=dispatch_key))
        changes: list[Change[Any]] = [Change(customer, after, dispatch=dispatch_key), *invoice_changes]
        try:
            ctx.book.save(changes, [*events, *case_log, *_break_events(ctx, decision, policy, run_id)])
        except ConflictError as exc:
            if attempt == COMMIT_ATTEMPTS:
                _keep_evidence_of_send(ctx, events)
                raise
            fresh = ctx.book.customer(customer.customer_id)
            if fresh is not None and fresh.dispatch.last == dispatch_key and exc.event_already_logged:
                return  # an earlier attempt did record it, its answer was lost
            if fresh is None or fresh.dispatch.pending != dispatch_key:
                _keep_evidence_of_send(ctx, events)
                raise
            customer, invoices = fresh, ctx.book.invoices_of(customer.customer_id)
            continue
        except Exception:
            if attempt == COMMIT_ATTEMPTS:
                _keep_evidence_of_send(ctx, events)
                raise
            logger.warning(
                "dispatch record failed, retrying", extra={"dispatch": dispatch_key, "attempt": attempt}
            )
            sleep(min(2.0, 0.2 * 2**attempt))
            continue
        for event in [*events, *case_log]:
            log_escalation(event)
        return


def _keep_evidence_of_send(ctx: Context, events: Sequence[EscalationEvent]) -> None:
    """The message left but its state could not be recorded: at least the log must say it was sent."""
    for event in events:
        try:
            ctx.events.append(event)
        except Exception:
            logger.exception("could not log a sent dispatch", extra={"customer_id": event.customer_id})


def case_changes_of(decision: Decision) -> tuple[CaseChange, ...]:
    return decision.case_changes
