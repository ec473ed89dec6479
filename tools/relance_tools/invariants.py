"""What a debtor must never see in an escalation log, checked on the log itself (a replay, a property test).

- within a case, the steps never go down, and the formal notice, the suspension and the hand-off come once;
- under a policy that does not allow it, no invoice is put on notice unless an earlier message named it;
- nothing is sent for an invoice once it is paid (the payment's own log entry says when its balance hit zero).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from relance.domain.cases import SUPPLEMENTARY_NOTICE
from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.policy import Policy

ONCE = ("formal_notice", "suspension", "handoff")
_DONE = {Outcome.SENT, Outcome.RECORDED}


def step_ranks(policies: Iterable[Policy]) -> dict[str, float]:
    """Each step's rank on its policy's ladder; a supplementary notice ranks with the hand-off it precedes."""
    ranks: dict[str, float] = {}
    for policy in policies:
        for index, step in enumerate(policy.ladder):
            ranks[step.id] = max(ranks.get(step.id, index), index)
    ranks[SUPPLEMENTARY_NOTICE] = ranks.get("handoff", max(ranks.values(), default=0)) - 0.5
    return ranks


def violations(
    events: Sequence[EscalationEvent], ranks: Mapping[str, float], notice_unnamed: bool = False
) -> list[str]:
    problems: list[str] = []
    by_case: dict[str, list[EscalationEvent]] = defaultdict(list)
    paid_off: dict[tuple[str, str], str] = {}
    for event in sorted(events, key=lambda item: (item.occurred_on, item.recorded_at)):
        if event.kind is EventKind.PAYMENT:
            for line in event.lines:
                if line.balance <= 0:
                    paid_off.setdefault((event.customer_id, line.invoice_id), event.occurred_on.isoformat())
        elif event.kind is EventKind.ESCALATION and event.outcome in _DONE:
            if event.case_id:
                by_case[event.case_id].append(event)
            for line in event.lines:
                since = paid_off.get((event.customer_id, line.invoice_id))
                if since is not None and event.occurred_on.isoformat() >= since:
                    problems.append(
                        f"{event.occurred_on} {event.customer_id}: {event.step} lists {line.invoice_id}, "
                        f"paid on {since}"
                    )
    for case_id, case_events in by_case.items():
        problems += _case_violations(case_id, case_events, ranks, notice_unnamed)
    return problems


def _case_violations(
    case_id: str, events: Sequence[EscalationEvent], ranks: Mapping[str, float], notice_unnamed: bool
) -> list[str]:
    problems = []
    named: set[str] = set()
    highest = -1.0
    seen: dict[str, int] = defaultdict(int)
    for event in events:
        step = event.step or ""
        rank = ranks.get(step, -1.0)
        if rank < highest:
            problems.append(f"{case_id}: {step} on {event.occurred_on} comes after a higher step")
        highest = max(highest, rank)
        seen[step] += 1
        if step in ONCE and seen[step] > 1:
            problems.append(f"{case_id}: {step} a second time on {event.occurred_on}")
        for line in event.lines:
            if line.stage == "noticed" and not notice_unnamed and line.invoice_id not in named:
                problems.append(
                    f"{case_id}: {line.invoice_id} on notice on {event.occurred_on}, never reminded"
                )
        named |= {line.invoice_id for line in event.lines if line.stage != "upcoming"}
    return problems
