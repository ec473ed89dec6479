"""A schedule outside the sending window is said loudly, by the planner, before the worker defers everyone.

The window is the settings' (08:00-19:00 Paris here); the run's time is the scheduler's scheduled_time.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from relance.adapters.memory import memory_context
from relance.adapters.memory.context import memory_settings
from relance.services import planner
from relance.services.planner import RunRequest, plan_day, run_request

MONDAY = date(2026, 3, 2)  # Paris is UTC+1 in March


def scheduler_input(utc_time: str) -> dict[str, str]:
    return {"scheduled_time": utc_time, "execution_id": "e-1", "attempt": "1"}


@pytest.fixture
def metrics(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    emitted: list[str] = []
    monkeypatch.setattr(planner, "count_metric", lambda name, value=1, **dimensions: emitted.append(name))
    return emitted


def outside_window_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.ERROR and "sending window" in r.getMessage()]


@pytest.mark.parametrize(
    ("utc_time", "local"),
    [
        ("2026-03-02T06:00:00Z", "2026-03-02T07:00:00+01:00"),  # before opening
        ("2026-03-02T18:00:00Z", "2026-03-02T19:00:00+01:00"),  # the window closes at 19:00 sharp
        ("2026-03-02T22:30:00Z", "2026-03-02T23:30:00+01:00"),
    ],
)
def test_a_run_scheduled_outside_the_window_is_an_error_and_a_metric(
    caplog: pytest.LogCaptureFixture, metrics: list[str], utc_time: str, local: str
) -> None:
    ctx = memory_context()
    request = run_request(scheduler_input(utc_time), ctx.calendar, datetime(2026, 3, 2, 12, tzinfo=UTC))

    with caplog.at_level(logging.INFO):
        plan_day(ctx, request)

    (error,) = outside_window_errors(caplog)
    assert error.scheduled_local == local  # type: ignore[attr-defined]
    assert error.send_window == "08:00-19:00"  # type: ignore[attr-defined]
    assert error.timezone == "Europe/Paris"  # type: ignore[attr-defined]
    assert metrics.count("ScheduleOutsideWindow") == 1


@pytest.mark.parametrize("utc_time", ["2026-03-02T07:00:00Z", "2026-03-02T17:59:00Z"])
def test_a_run_scheduled_inside_the_window_is_quiet(
    caplog: pytest.LogCaptureFixture, metrics: list[str], utc_time: str
) -> None:
    ctx = memory_context()
    request = run_request(scheduler_input(utc_time), ctx.calendar, datetime(2026, 3, 2, 12, tzinfo=UTC))

    with caplog.at_level(logging.INFO):
        plan_day(ctx, request)

    assert not outside_window_errors(caplog)
    assert "ScheduleOutsideWindow" not in metrics


def test_the_window_checked_is_the_one_the_settings_give(
    caplog: pytest.LogCaptureFixture, metrics: list[str]
) -> None:
    """The same 07:00 run is fine for a creditor whose window opens at 06:30."""
    ctx = memory_context(replace(memory_settings(), window_opens=time(6, 30)))
    request = run_request(scheduler_input("2026-03-02T06:00:00Z"), ctx.calendar, datetime.now(UTC))

    with caplog.at_level(logging.INFO):
        plan_day(ctx, request)

    assert not outside_window_errors(caplog)


def test_a_replay_by_date_is_not_checked(caplog: pytest.LogCaptureFixture, metrics: list[str]) -> None:
    """A person replaying a day at night means it; the worker still keeps the window for the sending."""
    ctx = memory_context()
    request = run_request({"run_date": "2026-03-02"}, ctx.calendar, datetime(2026, 3, 2, 23, tzinfo=UTC))

    with caplog.at_level(logging.INFO):
        plan_day(ctx, request)

    assert request.scheduled_at is None
    assert not outside_window_errors(caplog)
    assert "ScheduleOutsideWindow" not in metrics


def test_the_check_changes_nothing_of_the_plan(metrics: list[str]) -> None:
    ctx = memory_context()
    request = RunRequest(MONDAY, "daily-2026-03-02", datetime(2026, 3, 2, 5, tzinfo=UTC))

    result = plan_day(ctx, request)

    assert result.closed is None
    assert metrics.count("ScheduleOutsideWindow") == 1
    assert "CustomersQueued" in metrics
