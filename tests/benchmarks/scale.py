"""`make bench`, issue 12's scale figures: the planner's reads per action on 10k and 100k-invoice books
beside a Scan (planner_reads), and the day's sends paced to SES's rate on simulated time (pacing)."""

from __future__ import annotations

from tests.benchmarks import pacing, planner_reads


def run() -> list[tuple[str, str]]:
    return planner_reads.run() + pacing.run()


if __name__ == "__main__":
    for label, figure in run():
        print(f"  {label:<58} {figure}")
