"""Shared by the unit and integration halves."""

from __future__ import annotations

import fcntl
import gc
import os
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    """Python collects its young objects every 700 allocations, and each time older ones are due with them:
    in a process holding 2,000 collected tests, the runs that build thousands of emails and books spent a
    third of their time in the collector (the fault injection's 100 runs: 9.0 s, 6.1 s with this). Freed
    memory is the same; it is only looked for less often."""
    gc.set_threshold(50_000, 50, 100)


# The contract suites live outside test modules; their asserts still explain themselves.
pytest.register_assert_rewrite("tests.contract")


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder built once per run (the demo's outputs, the Lambda layer), however many pytest-xdist workers
    ask for it: the first builds it under the run's shared temporary root while holding a lock, the others
    wait for it and read it. A failed build leaves no folder: the next asker builds it again and fails the
    same way, each with its own error."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # each worker's basetemp is a folder of the run's
    target = root / name
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / f"{name}.built").exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            build(target)
            (root / f"{name}.built").touch()
    return target


# Figures a test reports (the fault injection's, the bad-input corpus's) as record_property("figures",
# (title, {name: count})). They reach the controller with each report, also from pytest-xdist's workers
# (whose own output is not shown), are summed per title, and printed at the end of the run.
FIGURES = "figures"
_figures: dict[str, Counter[str]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == FIGURES:
            title, counts = value
            _figures.setdefault(title, Counter()).update(counts)


def pytest_terminal_summary(terminalreporter) -> None:
    for title, counts in _figures.items():
        figures = ", ".join(f"{name} {count:,}" for name, count in counts.items())
        terminalreporter.write_line(f"{title}: {figures}")
