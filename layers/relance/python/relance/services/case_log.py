"""The log of cases opening, waiting behind a hand-off, being released, reopened and closing.

A closing case says what became of the penalties it claimed on invoices paid since: still claimable
(policy claim_after_payment) with their amounts, or waived.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date

from relance.domain.amounts import ZERO
from relance.domain.cases import CaseChange
from relance.domain.events import EscalationEvent, EventKind, EventLine, Outcome
from relance.domain.models import Customer, Invoice
from relance.domain.policy import Policy
from relance.ports import Context
from relance.services.messages import settled_claims
from relance.services.penalties import DatedPayment, claims_for, policy_waiver, rates_for


def case_events(
    ctx: Context,
    customer: Customer,
    changes: Sequence[CaseChange],
    invoices: Sequence[Invoice],
    policy: Policy,
    day: date,
    run_id: str | None,
    actor: str = "system",
) -> list[EscalationEvent]:
    now = ctx.clock().astimezone(UTC)
    events = []
    for change in changes:
        case = change.case
        detail = {
            "state": case.state.value,
            "opened_on": case.opened_on.isoformat(),
            "steps": ",".join(f"{item.step}@{item.on.isoformat()}" for item in case.steps),
        }
        if case.noticed:
            detail["noticed"] = ",".join(case.noticed)
        if case.handed_off:
            detail["handed_off"] = ",".join(case.handed_off)
        reason = change.reason
        if change.change == "closed":
            reason = f"{reason}; {_penalties_note(ctx, customer, case, invoices, policy, day)}".rstrip("; ")
        by_id = {invoice.invoice_id: invoice for invoice in invoices}
        listed = change.invoice_ids or tuple(sorted(set(case.noticed) | set(case.handed_off)))
        events.append(
            EscalationEvent(
                customer_id=customer.customer_id,
                kind=EventKind.CASE,
                occurred_on=day,
                recorded_at=now,
                outcome=Outcome.RECORDED,
                key_suffix=f"{case.case_id}#{change.change}",
                step=change.change,
                invoice_ids=listed,
                lines=tuple(
                    EventLine(invoice_id=number, balance=by_id[number].balance)
                    for number in listed
                    if number in by_id
                ),
                currency=case.currency,
                reason=reason,
                run_id=run_id,
                actor=actor,
                detail=detail,
                case_id=case.case_id,
                customer_name=customer.name,
            )
        )
    return events


def _penalties_note(
    ctx: Context, customer: Customer, case: object, invoices: Sequence[Invoice], policy: Policy, day: date
) -> str:
    """What a closing case says of the penalties it claimed on invoices that were then paid."""
    from relance.domain.models import Case

    assert isinstance(case, Case)
    if not policy.claim_after_payment:
        claiming = {step.id for step in policy.steps if step.claim_penalties}
        claimed = {n for message in case.messages if message.step in claiming for n in message.invoice_ids}
        return (
            f"penalties claimed on {', '.join(sorted(claimed))} waived (policy '{policy.name}': "
            "claim_after_payment is false)"
            if claimed
            else ""
        )
    paid = settled_claims(case, invoices, policy)
    if not paid:
        return ""
    payments = [DatedPayment(i.invoice_id, i.paid_on or day, i.amount_paid) for i in paid]
    claims = claims_for(
        ctx.settings.country,
        customer,
        paid,
        day,
        payments,
        None,
        ctx.settings.interest_rate_mode,
        policy_waiver(policy),
        rates_for(ctx),
    )
    parts = []
    for invoice in paid:
        claim = claims[invoice.invoice_id]
        if claim.waived:
            continue
        interest = claim.interest if claim.interest is not None else ZERO
        parts.append(
            f"{invoice.invoice_id}: interest {interest}"
            f"{' (to be completed)' if claim.interest is None else ''}"
            f" + indemnity {claim.indemnity} {invoice.currency}"
        )
    return "penalties still claimable on paid invoices: " + "; ".join(parts) if parts else ""
