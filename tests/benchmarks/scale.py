"""`make bench`, issue 12's scale figures: the planner's reads per action on 10k and 100k-invoice books
beside a Scan (planner_reads), and the day's sends paced to SES's rate on simulated time (pacing)."""

from __future__ import annotations

import os

from tests.benchmarks import pacing, planner_reads


def run() -> list[tuple[str, str]]:
    # A stack's environment left by an earlier section would print a metric line for each of the thousands of
    # customers dunned here (relance.observability.count_metric): there is no CloudWatch to count for.
    namespace = os.environ.pop("POWERTOOLS_METRICS_NAMESPACE", None)
    try:
        return planner_reads.run() + pacing.run()
    finally:
        if namespace is not None:
            os.environ["POWERTOOLS_METRICS_NAMESPACE"] = namespace


if __name__ == "__main__":
    for label, figure in run():
        print(f"  {label:<58} {figure}")
