"""The written corpus (tests/fixtures/replies): each raw .eml read and classified as its manifest says.

The manifest gives each file's class and, where the reply states them, the promised or payment date, the
amount, the requests and the invoice numbers. A field the manifest leaves out is not checked.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from relance.domain.replies import ReplyClass
from tests.benchmarks.replies import CORPUS, classify_file, manifest, outcomes, scores

ENTRIES = manifest()


def test_the_corpus_holds_at_least_60_replies_in_both_languages_across_all_classes():
    languages = Counter(entry["lang"] for entry in ENTRIES)
    classes = Counter(entry["class"] for entry in ENTRIES)

    assert len(ENTRIES) >= 60
    assert languages["fr"] >= 25
    assert languages["en"] >= 25
    assert set(classes) == {kind.value for kind in ReplyClass}
    assert min(classes.values()) >= 6
    assert sorted(path.name for path in CORPUS.glob("*.eml")) == sorted(entry["file"] for entry in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["file"] for entry in ENTRIES])
def test_each_reply_is_classified_as_its_manifest_says(entry):
    result = classify_file(entry)
    found = ", ".join(f"{e.rule}={e.phrase!r}" for e in result.evidence)

    assert result.primary == ReplyClass(entry["class"]), found
    if "promised_on" in entry:
        assert result.promised_on == date.fromisoformat(entry["promised_on"])
    if "paid_on" in entry:
        assert result.paid_on == date.fromisoformat(entry["paid_on"])
    if "amount" in entry:
        assert (result.amount, result.currency) == (Decimal(entry["amount"]), entry["currency"])
    if "requests" in entry:
        assert list(result.requests) == entry["requests"]
    for ref in entry.get("invoice_refs", []):
        assert ref in result.invoice_refs


@pytest.mark.parametrize("kind", [ReplyClass.PROMISE, ReplyClass.DISPUTE, ReplyClass.ALREADY_PAID])
def test_precision_on_the_corpus_is_at_least_95_percent_for_the_classes_that_stop_reminders(kind):
    precision, _, predicted, _ = scores(outcomes())[kind]

    assert predicted >= 8, f"too few {kind} predictions for a precision to mean anything"
    assert precision is not None
    assert precision >= 0.95


def test_no_autoresponder_in_the_corpus_is_ever_read_as_anything_but_an_auto_reply():
    autoresponders = [o for o in outcomes() if o.expected == ReplyClass.AUTO_REPLY]
    others = [o for o in outcomes() if o.expected != ReplyClass.AUTO_REPLY]

    assert len(autoresponders) >= 10
    assert {o.file: o.classification.primary for o in autoresponders} == {
        o.file: ReplyClass.AUTO_REPLY for o in autoresponders
    }
    assert [o.file for o in others if o.classification.primary == ReplyClass.AUTO_REPLY] == []
