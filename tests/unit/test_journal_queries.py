"""The console reads what the functions write: every field a saved Logs Insights query or a dashboard widget
filters, sorts or shows exists in the lines of the log groups it reads, and every kind or outcome it names
exists in the escalation log.

The journal's lines are produced here by the journal service itself, through Powertools' formatter, for a
sample of every kind of entry; the ingest summary's fields come from the ingest report.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from relance import observability
from relance.adapters.dynamo.stream import StreamImages
from relance.adapters.memory.book import MemoryBook
from relance.domain.events import EventKind, Outcome
from relance.ingest.report import IngestReport
from relance.services import dunning
from relance.services.ingest import dispatch
from relance.services.journal import write_journal
from tests.journal_samples import captured_log, more_samples, sample_events, stream_record
from tests.unit.services.driver import client
from tests.unit.test_template import load_template

# Keys Powertools writes on every line, and the fields Logs Insights makes up (@timestamp, @log...).
POWERTOOLS_KEYS = {"level", "location", "message", "timestamp", "service", "xray_trace_id", "cold_start"}
POWERTOOLS_KEYS |= {"function_name", "function_memory_size", "function_arn", "function_request_id"}
KEYWORDS = {"fields", "filter", "stats", "sort", "limit", "dedup", "display", "by", "as", "and", "or", "not"}
KEYWORDS |= {"in", "like", "asc", "desc"}


@dataclass(frozen=True)
class Query:
    name: str
    log_groups: frozenset[str]
    text: str


def _flatten(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}{key}.")
    elif prefix:
        yield prefix[:-1]


def journal_lines() -> list[dict[str, Any]]:
    """What the journal writes for a sample of every kind of entry, as CloudWatch receives it."""

    @dataclass
    class Context:
        book: MemoryBook
        stream_images: StreamImages

    book = MemoryBook()
    book.create(customers=[client("C1", name="Dupont SARL")])
    events = [*sample_events().values(), *more_samples()]
    with captured_log() as log:
        write_journal(Context(book, StreamImages()), [stream_record(e, n) for n, e in enumerate(events)])
    return [json.loads(line) for line in log.getvalue().splitlines()]


def fields_by_group() -> dict[str, set[str]]:
    journal = {field for line in journal_lines() for field in _flatten(line)}
    summary = IngestReport(file="incoming/payments/p.csv", received_at="2026-03-02T08:00:00+00:00").summary()
    ingest = POWERTOOLS_KEYS | {f"ingest.{key}" for key in summary}
    # The worker's own lines the queries read: a held dispatch names the customer and why.
    worker = POWERTOOLS_KEYS | {"customer_id", "reason"}
    # The planner's and feedback's lines: read for their level and message only (failures).
    return {
        "JournalLogGroup": journal,
        "IngestLogGroup": ingest,
        "WorkerLogGroup": worker,
        "PlannerLogGroup": POWERTOOLS_KEYS,
        "FeedbackLogGroup": POWERTOOLS_KEYS | {"customer_id"},
        # services/replies.py: a reply set aside (why) and a task not sent (whose, why).
        "RepliesLogGroup": POWERTOOLS_KEYS | {"customer_id", "reason", "inbound_key", "outcome"},
    }


def saved_queries() -> list[Query]:
    """The template's saved queries and its dashboard's log widgets that read the journal."""
    resources = load_template()["Resources"]
    queries = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Logs::QueryDefinition":
            continue
        properties = resource["Properties"]
        groups = frozenset(group["Ref"] for group in properties["LogGroupNames"])
        queries.append(Query(logical_id, groups, properties["QueryString"]))
    body = resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{([^}]+)\}", r"\1", body))["widgets"]
    for widget in widgets:
        if widget["type"] != "log":
            continue
        sources, _, text = widget["properties"]["query"].rpartition("'")
        groups = frozenset(re.findall(r"SOURCE '([^']+)'", sources + "'"))
        queries.append(Query(f"dashboard: {widget['properties']['title']}", groups, text.lstrip(" |")))
    return [query for query in queries if "JournalLogGroup" in query.log_groups]


def fields_of(query: str) -> set[str]:
    """The fields a Logs Insights query reads: names that are no command, keyword, function, alias,
    literal or @field."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', " ", query)
    text = re.sub(r"/(?:[^/\\\n]|\\.)+/", " ", text)
    text = re.sub(r"#[^\n]*", " ", text)
    aliases = set(re.findall(r"\bas\s+([A-Za-z_][\w.]*)", text))
    names = set()
    for match in re.finditer(r"(?<![\w.@])([A-Za-z_][\w.]*)(\s*\()?", text):
        name, call = match.groups()
        if call or name.lower() in KEYWORDS or name in aliases:
            continue
        names.add(name)
    return names


def named_values(query: str, field: str) -> set[str]:
    """The values a query compares `field` with (`field = "x"`, `field != "x"`, `field in ["x", "y"]`)."""
    values = set(re.findall(rf'(?<![\w.]){field}\s*!?=\s*"([^"]*)"', query))
    for listed in re.findall(rf"(?<![\w.]){field}\s+in\s+\[([^\]]*)\]", query):
        values |= set(re.findall(r'"([^"]*)"', listed))
    return values


QUERIES = saved_queries()
FIELDS = fields_by_group()


def test_the_journal_has_its_saved_queries_and_widgets():
    names = {query.name for query in QUERIES}
    assert {"JournalQuery", "CustomerHistoryQuery", "TodaysSendsQuery", "NeedsHumanQuery"} <= names
    assert "FailuresQuery" in names
    assert sum(name.startswith("dashboard: ") for name in names) >= 4


def test_the_samples_cover_every_kind_of_entry():
    kinds = {line.get("kind") for line in journal_lines() if line["message"] == "journal"}

    assert kinds == {kind.value for kind in EventKind}


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: query.name)
def test_every_field_a_query_reads_is_in_the_lines_it_reads(query: Query):
    known = set().union(*(FIELDS[group] for group in query.log_groups))

    assert fields_of(query.text) - known == set()


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: query.name)
def test_every_kind_outcome_and_message_a_query_names_exists(query: Query):
    assert named_values(query.text, "kind") <= {kind.value for kind in EventKind}
    assert named_values(query.text, "outcome") <= {outcome.value for outcome in Outcome}
    assert named_values(query.text, "message") <= {observability.JOURNAL_MESSAGE, "ingest"}


def test_the_messages_the_queries_match_are_the_ones_logged():
    """`message = "ingest"` is the ingest summary; /dispatch held/ the worker's held dispatch."""
    assert 'logger.info("ingest", extra={"ingest": report.summary()})' in inspect.getsource(dispatch)
    held = re.findall(r'logger\.error\(\s*"([^"]*dispatch held[^"]*)"', inspect.getsource(dunning))
    assert held
    patterns = {p for query in QUERIES for p in re.findall(r"message like /([^/]+)/", query.text)}
    assert patterns == {"dispatch held"}


def test_every_query_showing_entries_shows_the_customers_name_and_the_event_key():
    """A name to read, a key to dedup (a stream delivers at least once)."""
    for query in QUERIES:
        if not query.text.lstrip().startswith("fields"):
            continue
        shown = fields_of(query.text.split("|")[0])
        assert "event_key" in shown, query.name
        assert "customer_name" in shown or "CUSTOMER-ID" in query.text, query.name


def test_the_customer_history_is_for_the_customer_id_edited_in():
    [history] = [query for query in QUERIES if query.name == "CustomerHistoryQuery"]

    assert named_values(history.text, "customer_id") == {"CUSTOMER-ID"}


# ---------------------------------------------------------------- the check itself


def test_the_field_check_catches_a_misspelt_field_and_spares_functions_aliases_and_literals():
    query = (
        'fields @timestamp, customer_nme, detail.until | filter kind in ["escalation"] and ispresent(case_id)'
        ' and message like /held/ | stats latest(step) as last_step by customer_id | filter last_step != "x"'
    )

    assert fields_of(query) == {"customer_nme", "detail.until", "kind", "case_id", "message", "step"} | {
        "customer_id"
    }
    assert "customer_nme" not in FIELDS["JournalLogGroup"]
    assert "detail.until" in FIELDS["JournalLogGroup"]


def test_the_value_check_reads_equalities_and_lists():
    query = 'filter kind = "case" or kind in ["escalation", "refund"] and outcome != "sent"'

    assert named_values(query, "kind") == {"case", "escalation", "refund"}
    assert named_values(query, "outcome") == {"sent"}
