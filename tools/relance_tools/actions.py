"""The dated decisions of a demo or a replay (actions.csv): a dispute, a promise, a resume, on their day."""

from __future__ import annotations

import sys

from relance.ports import Context
from relance.services import levers
from relance_tools.cli.dated_files import DatedAction

ACTOR = "demo:actions"


def apply_action(ctx: Context, action: DatedAction, actor: str = ACTOR) -> bool:
    """Applies one decision; a decision that no longer applies (the invoice was paid) is said and skipped."""
    try:
        if action.kind == "dispute":
            levers.dispute(ctx, action.invoice_id, action.reason, actor=actor)
        elif action.kind == "promise" and action.until is not None:
            levers.promise(ctx, action.invoice_id, action.until, actor=actor, reason=action.reason)
        else:
            levers.resume(ctx, action.invoice_id, actor=actor, reason=action.reason)
    except levers.LeverError as exc:
        print(
            f"{action.on.isoformat()}: {action.kind} {action.invoice_id} not applied: {exc}", file=sys.stderr
        )
        return False
    return True
