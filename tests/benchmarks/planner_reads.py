"""`make bench`, the planner's reads per action (issue 12), beside a Scan of the same tables.

Books of 10,000 and 100,000 invoices (tests/benchmarks/books.py) are lived on the in-memory ports for
WARM_UP_DAYS, until their cases are spread along the ladder, then MEASURED_DAYS more are measured: the
items the planner reads from the daily index (MemoryBook counts them as DynamoDB returns them) per customer
actually dispatched (an email sent, or a step carried out by call task when the address bounced), and the
visits that did nothing, by reason.

The 10,000-invoice book is also copied to DynamoDB on moto's server (each measured morning, the customers
as the day's files left them) and the planner's own queries are counted there from botocore's responses:
the same customers must come back, and a Scan of each table is counted the same way. Read units are
estimated from item sizes as DynamoDB bills them (4 KB a unit, half for eventually consistent reads, which
the planner's index queries and a Scan are): moto's ConsumedCapacity is a constant.

`python -m tests.benchmarks.planner_reads` prints the figures alone.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from relance.domain.engine import decide
from relance.rendering.summary import SummaryRenderer
from relance_tools.replay import MemoryPipeline
from tests.benchmarks.books import generate, load_as_of, play_day, prepare_day, run_day

SIZES = (10_000, 100_000)
LAST_DAY = date(2026, 3, 31)
WARM_UP_DAYS = 60
MEASURED_DAYS = 14
# A visit is an action when something reached the customer or the account manager.
ACTIONS = {"sent", "skipped"}
READ_UNIT = 4096


@dataclass
class ReadsFigures:
    size: int
    """Invoices of the generated book, the last two weeks' included."""
    invoices: int
    """Invoice items in the table at the end: what a Scan of it reads."""
    customers: int
    days: int
    index_items: int = 0
    visits: int = 0
    actions: int = 0
    no_action: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0
    dynamo: DynamoFigures | None = None

    @property
    def per_action(self) -> float:
        return self.index_items / max(self.actions, 1)


@dataclass
class DynamoFigures:
    load_seconds: float = 0.0
    query_calls: int = 0
    index_items: int = 0
    index_units: float = 0.0
    same_customers: bool = True
    scans: dict[str, tuple[int, float]] = field(default_factory=dict)
    """Per table: items a Scan reads, and its read units."""


def _why(pipeline: MemoryPipeline, customer_id: str, day: date) -> str:
    """Why a visit did nothing, in words without ids or dates: the engine's holds and the case changes."""
    ctx = pipeline.ctx
    customer = ctx.book.customer(customer_id)
    if customer is None:
        return "unknown customer"
    policy = ctx.policies.for_customer(customer)
    decision = decide(customer, ctx.book.invoices_of(customer_id), policy, ctx.calendar, day)
    holds = sorted({re.sub(r"\S*\d\S*", "#", hold.reason) for hold in decision.holds})
    changes = sorted({change.change for change in decision.case_changes})
    return "; ".join(holds) + (f" [recorded: {', '.join(changes)}]" if changes else "")


def _due(pipeline: MemoryPipeline, day: date) -> frozenset[str]:
    book = pipeline.ctx.book
    counted = book.index_reads
    due = book.due_customers(day).customer_ids
    book.index_reads = counted  # a look for the figures, not one of the planner's reads
    return due


def measure(
    invoices: int, dynamo: Any = None, warm_up: int = WARM_UP_DAYS, measured: int = MEASURED_DAYS
) -> ReadsFigures:
    """Lives the book for `warm_up` days, then measures `measured` more; `dynamo` counts them on DynamoDB
    too."""
    started = time.perf_counter()
    book = generate(invoices, LAST_DAY)
    measured_from = LAST_DAY - timedelta(days=measured)
    day = measured_from - timedelta(days=warm_up)
    pipeline = MemoryPipeline.start(day, renderer=SummaryRenderer())
    load_as_of(pipeline.ctx, book, day)
    figures = ReadsFigures(size=invoices, invoices=0, customers=len(book.customers), days=measured)
    while day < measured_from:
        play_day(pipeline, book, day)
        day += timedelta(days=1)
    if dynamo is not None:
        figures.dynamo = DynamoFigures()
        dynamo.load(pipeline, figures.dynamo)
    while day < LAST_DAY:
        prepare_day(pipeline, book, day)
        # What the day's visits will be about, before the worker changes it.
        if dynamo is not None:
            dynamo.plan(pipeline, day, figures.dynamo)
        # Why a visit would do nothing, asked of the book as the visit finds it.
        why = {customer_id: _why(pipeline, customer_id, day) for customer_id in _due(pipeline, day)}
        ran = run_day(pipeline, day)
        figures.index_items += ran.index_items
        figures.visits += len(ran.results)
        figures.errors += ran.errors
        for result in ran.results:
            if result.outcome in ACTIONS:
                figures.actions += 1
            else:
                figures.no_action[f"{result.outcome}: {why.get(result.customer_id, '?')}"] += 1
        day += timedelta(days=1)
    if dynamo is not None:
        dynamo.scan(figures.dynamo)
    memory = pipeline.ctx.book
    figures.invoices = sum(len(memory.invoices_of(c.customer_id)) for c in memory.all_customers())
    figures.seconds = time.perf_counter() - started
    return figures


def _item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus values (strings and numbers as text)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode("utf-8"))
        for kind, content in value.items():
            if kind in {"S", "N", "B"}:
                size += len(str(content).encode("utf-8"))
            elif kind == "BOOL":
                size += 1
            else:
                size += len(str(content).encode("utf-8"))  # lists and maps: close enough for an estimate
    return size


class DynamoCounter:
    """The book on DynamoDB (moto's server): loads it, runs the planner's query and Scans, counting what
    they return."""

    def __init__(self, runtime: Any) -> None:
        from relance.adapters.dynamo.records import CustomerRecord, InvoiceRecord

        self.runtime = runtime
        self.book = runtime.book
        self._models = (CustomerRecord, InvoiceRecord)
        self._calls: list[tuple[str, int, float]] = []
        for client in {
            id(c): c for c in (m._get_connection().connection.client for m in self._models)
        }.values():
            client.meta.events.register("after-call.dynamodb", self._count)

    def _count(self, http_response: object, parsed: dict[str, Any], model: Any, **kwargs: object) -> None:
        if model.name in {"Query", "Scan"}:
            items = parsed.get("Items", [])
            # Read units per page: its items' size in 4 KB units, halved (eventually consistent reads).
            units = math.ceil(sum(_item_bytes(item) for item in items) / READ_UNIT) * 0.5 or 0.5
            self._calls.append((model.name, len(items), units))

    def _taken(self) -> list[tuple[str, int, float]]:
        taken, self._calls = self._calls, []
        return taken

    def load(self, pipeline: MemoryPipeline, figures: DynamoFigures) -> None:
        memory = pipeline.ctx.book
        customers = list(memory.all_customers())
        invoices = [invoice for customer in customers for invoice in memory.invoices_of(customer.customer_id)]
        start = time.perf_counter()
        self.book.create(customers, invoices)
        figures.load_seconds = time.perf_counter() - start

    def plan(self, pipeline: MemoryPipeline, day: date, figures: DynamoFigures) -> None:
        """This morning's customers copied over, then the planner's query on DynamoDB for `day`."""
        self.book.create(list(pipeline.ctx.book.all_customers()))
        self._taken()
        scan = self.book.due_customers(day)
        calls = self._taken()
        figures.query_calls += len(calls)
        figures.index_items += sum(items for _, items, _ in calls)
        figures.index_units += sum(units for _, _, units in calls)
        figures.same_customers &= scan.customer_ids == pipeline.ctx.book.due_customers(day).customer_ids

    def scan(self, figures: DynamoFigures) -> None:
        for model in self._models:
            self._taken()
            sum(1 for _ in model.scan())
            calls = self._taken()
            figures.scans[model.Meta.table_name] = (
                sum(items for _, items, _ in calls),
                sum(units for _, _, units in calls),
            )


def measure_on_moto(invoices: int) -> ReadsFigures:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    from relance_tools.devstack import EmbeddedAws, deploy_stack

    aws = EmbeddedAws.start()
    try:
        stack = deploy_stack(
            {"SenderEmail": "bench@creditor.example", "CompanyName": "Bench SAS"}, stack_name="relance-reads"
        )
        return measure(invoices, DynamoCounter(stack.runtime()))
    finally:
        aws.stop()


def lines(figures: ReadsFigures) -> list[tuple[str, str]]:
    book = f"{figures.size // 1000}k-invoice book, {figures.customers} customers"
    no_action = sum(figures.no_action.values())
    rows = [
        (
            f"planner reads per action, {book}",
            f"{figures.per_action:.3f} index items per customer dispatched ({figures.index_items} items, "
            f"{figures.actions} dispatched in {figures.days} days; target <= 1.1) vs a Scan: "
            f"{figures.invoices} invoice items, {figures.customers} customer items",
        ),
        (
            "  visits without an action",
            f"{no_action} of {figures.visits}"
            + "".join(f"; {count} {reason}" for reason, count in figures.no_action.most_common(3))
            + f" ({figures.errors} errors, {figures.seconds:.0f} s)",
        ),
    ]
    dynamo = figures.dynamo
    if dynamo is not None:
        rows.append(
            (
                "  the same on DynamoDB (moto's server)",
                f"{dynamo.index_items} index items in {dynamo.query_calls} queries, "
                f"~{dynamo.index_units:g} read units ({dynamo.index_units / max(figures.actions, 1):.3f} a "
                f"dispatch); same customers as in memory: {'yes' if dynamo.same_customers else 'NO'}",
            )
        )
        rows.append(
            (
                "  a Scan of each table instead, once",
                "; ".join(
                    f"{table}: {items} items, ~{units:g} read units"
                    for table, (items, units) in dynamo.scans.items()
                )
                + f" (loading the book by BatchWriteItem: {dynamo.load_seconds:.0f} s)",
            )
        )
    return rows


def run() -> list[tuple[str, str]]:
    logging.disable(logging.WARNING)
    try:
        rows = lines(measure_on_moto(SIZES[0]))
        for size in SIZES[1:]:
            rows += lines(measure(size))
    finally:
        logging.disable(logging.NOTSET)
    return rows


if __name__ == "__main__":
    for label, figure in run():
        print(f"  {label:<58} {figure}")
