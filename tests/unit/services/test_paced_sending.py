"""The day's customers against an SES that refuses beyond its rate, on simulated time (the simulation of
tests/benchmarks/pacing.py): paced worker instances send at the rate, no faster and no slower, and nobody
gets an email twice."""

from __future__ import annotations

import pytest

from tests.benchmarks.pacing import VirtualTime, simulate


def test_paced_instances_send_every_customer_once_at_the_rate_ses_accepts():
    run = simulate(customers=400, rate=20.0, workers=4)

    assert (run.emails, run.duplicates, run.refused, run.dead) == (400, 0, 0, 0)
    assert run.seconds == pytest.approx(400 / 20.0, rel=0.05)
    assert run.receives == 400  # no message came back


def test_unpaced_instances_are_throttled_yet_every_refused_customer_comes_back_and_is_sent_once():
    run = simulate(customers=400, rate=20.0, workers=4, paced=False)

    assert run.refused > 0
    assert run.receives > 400
    assert (run.emails, run.duplicates, run.dead) == (400, 0, 0)
    assert run.seconds > 400 / 20.0 * 1.05  # the backoffs cost more than pacing does


def test_simulated_threads_run_one_at_a_time_in_the_order_of_their_wake_ups():
    virtual = VirtualTime()
    seen: list[tuple[str, float]] = []

    def sleeper(name: str, naps: list[float]) -> None:
        for nap in naps:
            virtual.sleep(nap)
            seen.append((name, virtual.now))

    virtual.run([lambda: sleeper("a", [1.0, 1.0, 1.0]), lambda: sleeper("b", [1.5, 1.0])])

    assert seen == [("a", 1.0), ("b", 1.5), ("a", 2.0), ("b", 2.5), ("a", 3.0)]
