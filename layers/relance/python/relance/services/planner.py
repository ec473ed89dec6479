"""The daily run: which customers have something due today, one queue message each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from relance.domain.calendar import BusinessCalendar
from relance.observability import count_metric, logger
from relance.ports import Context


class RunRequestError(ValueError):
    """A schedule or replay input the planner cannot read."""


@dataclass(frozen=True)
class RunRequest:
    run_date: date
    run_id: str
    scheduled_at: datetime | None = None
    """When the scheduler meant the run to start; None for a replay, which may run at any hour."""


@dataclass(frozen=True)
class PlanResult:
    run_date: date
    run_id: str
    closed: str | None
    items_read: int
    customers_queued: int

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "run_date": self.run_date.isoformat()}


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise RunRequestError(
            f"{text!r} has no timezone; the scheduler sends UTC times like 2026-11-23T07:00:00Z"
        )
    return moment


def run_request(event: Mapping[str, Any], calendar: BusinessCalendar, now: datetime) -> RunRequest:
    """The day this run is for, in the creditor's timezone.

    The scheduler's own `scheduled_time` wins over the clock, so that a retry after midnight still runs
    the day it was meant for; `run_date` replays a given day by hand.
    """
    try:
        if event.get("run_date"):
            run_date = date.fromisoformat(str(event["run_date"]))
            return RunRequest(run_date, str(event.get("run_id") or f"replay-{run_date.isoformat()}"))
        if event.get("scheduled_time"):
            # The scheduler gives each attempt a new execution id; the run is the day, whatever the attempt.
            scheduled = _instant(str(event["scheduled_time"]))
            run_date = calendar.local_date(scheduled)
            return RunRequest(run_date, f"daily-{run_date.isoformat()}", scheduled)
        if event.get("source") == "aws.events" and event.get("time"):
            scheduled = _instant(str(event["time"]))
            run_date = calendar.local_date(scheduled)
            return RunRequest(
                run_date, str(event.get("id") or f"scheduled-{run_date.isoformat()}"), scheduled
            )
    except ValueError as exc:
        raise RunRequestError(f"cannot read the run's date from {dict(event)!r}: {exc}") from exc
    run_date = calendar.local_date(now)
    return RunRequest(run_date, f"run-{run_date.isoformat()}")


def check_schedule(ctx: Context, request: RunRequest) -> bool:
    """Whether the scheduled run starts inside the sending window; says so loudly when it does not.

    A run outside the window fails nothing: the worker defers every customer it is given, every day, and
    the book silently stops moving. CloudFormation cannot compare ScheduleHour with SendWindow, so the
    planner compares the time the scheduler meant with the window the worker will apply.
    """
    if request.scheduled_at is None or ctx.calendar.within_window(request.scheduled_at):
        return True
    window = ctx.calendar.window
    logger.error(
        "scheduled run outside the sending window: every customer will be deferred",
        extra={
            "run_date": request.run_date.isoformat(),
            "scheduled_local": ctx.calendar.local_now(request.scheduled_at).isoformat(),
            "send_window": f"{window.opens:%H:%M}-{window.closes:%H:%M}",
            "timezone": ctx.settings.timezone,
            "fix": "set ScheduleHour inside SendWindow",
        },
    )
    count_metric("ScheduleOutsideWindow")
    return False


def plan_day(ctx: Context, request: RunRequest) -> PlanResult:
    check_schedule(ctx, request)
    closed = ctx.calendar.closed_reason(request.run_date)
    if closed is not None:
        logger.info(
            "closed day, nothing planned", extra={"run_date": request.run_date.isoformat(), "reason": closed}
        )
        return PlanResult(request.run_date, request.run_id, closed, 0, 0)
    due = ctx.book.due_customers(request.run_date)
    messages = [
        {"customer_id": customer_id, "run_date": request.run_date.isoformat(), "run_id": request.run_id}
        for customer_id in sorted(due.customer_ids)
    ]
    ctx.queue.send_all(messages)
    result = PlanResult(request.run_date, request.run_id, None, due.items_read, len(messages))
    logger.info("planned", extra=result.as_dict())
    count_metric("DueItemsRead", due.items_read)
    count_metric("CustomersQueued", len(messages))
    return result
