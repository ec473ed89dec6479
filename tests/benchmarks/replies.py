"""Reply classification on the written corpus (tests/fixtures/replies): precision and recall per class.

`python -m tests.benchmarks.replies` prints the figures and every miss; `make bench` prints the figures.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from relance.domain.replies import ReplyClass, ReplyClassification, classify
from relance.ingest.inbound import parse_inbound

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "replies"


@dataclass(frozen=True)
class Outcome:
    file: str
    expected: ReplyClass
    classification: ReplyClassification


def manifest() -> list[dict]:
    return json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))


def classify_file(entry: dict) -> ReplyClassification:
    mail = parse_inbound((CORPUS / entry["file"]).read_bytes())
    return classify(
        mail.text,
        mail.subject,
        date.fromisoformat(entry["received_on"]),
        mail.is_auto_reply,
        entry.get("language_hint"),
    )


def outcomes() -> list[Outcome]:
    return [Outcome(e["file"], ReplyClass(e["class"]), classify_file(e)) for e in manifest()]


def scores(results: list[Outcome]) -> dict[ReplyClass, tuple[float | None, float | None, int, int]]:
    """Per class: precision, recall (None when undefined), files predicted, files expected."""
    predicted = Counter(r.classification.primary for r in results)
    expected = Counter(r.expected for r in results)
    right = Counter(r.expected for r in results if r.classification.primary == r.expected)
    return {
        kind: (
            right[kind] / predicted[kind] if predicted[kind] else None,
            right[kind] / expected[kind] if expected[kind] else None,
            predicted[kind],
            expected[kind],
        )
        for kind in ReplyClass
    }


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def run() -> list[tuple[str, str]]:
    entries = manifest()
    results = outcomes()  # the first pass also compiles the rules' regular expressions
    start = time.perf_counter()
    outcomes()
    per_reply_ms = (time.perf_counter() - start) * 1000 / len(entries)
    languages = Counter(e["lang"] for e in entries)
    figures = [
        (
            f"reply corpus ({len(entries)} .eml, {languages['fr']} fr / {languages['en']} en)",
            f"{sum(r.classification.primary == r.expected for r in results)} classified as written, "
            f"{per_reply_ms:.2f} ms per reply (parse + classify)",
        )
    ]
    for kind, (precision, recall, predicted, expected) in scores(results).items():
        figures.append(
            (
                f"  replies: {kind}",
                f"precision {_percent(precision)} ({predicted} predicted), "
                f"recall {_percent(recall)} ({expected} expected)",
            )
        )
    return figures


def _median_classify_ms() -> float:
    samples = []
    for entry in manifest():
        mail = parse_inbound((CORPUS / entry["file"]).read_bytes())
        start = time.perf_counter()
        classify(mail.text, mail.subject, date.fromisoformat(entry["received_on"]), mail.is_auto_reply)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:<58} {figure}")
    results = outcomes()
    print(f"classify alone: {_median_classify_ms():.2f} ms median")
    for result in results:
        if result.classification.primary != result.expected:
            found = ", ".join(f"{e.rule}={e.phrase!r}" for e in result.classification.evidence)
            print(
                f"MISS {result.file}: expected {result.expected}, "
                f"got {result.classification.primary} ({found or 'nothing'})"
            )
