"""Lowering DueShards orphans nothing: the planner reads every shard a write may have used.

An item keeps the `due_shard` it was written with until its due date is cleared (an update rewrites only
the attributes that differ, and both sides are computed with today's DUE_SHARDS). A stack that ran with 12
shards and now runs with 4 still holds items in shards 4 to 11. The DynamoDB index is played by a dict
keyed like the real one, filled by the real write mapping; the shard list comes from DynamoBook itself.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pytest

from relance import config
from relance.adapters.dynamo import repositories
from relance.adapters.dynamo.mapping import customer_values, invoice_values
from relance.adapters.dynamo.records import CustomerRecord, InvoiceRecord
from relance.adapters.dynamo.repositories import DynamoBook
from relance.adapters.memory.book import MemoryBook
from relance.domain.models import Customer, Invoice
from tests.unit.domain.builders import customer, invoice

TODAY = date(2026, 3, 2)
BEFORE, AFTER = 12, 4


class FakeIndexes:
    """The two sparse due indexes as DynamoDB holds them: shard -> (customer_id, next_action_on)."""

    def __init__(self) -> None:
        self.items: dict[tuple[Any, str], list[tuple[str, date]]] = defaultdict(list)
        self.queried: list[tuple[Any, int]] = []

    def write_customer(self, item: Customer, shards: int) -> None:
        self._put(CustomerRecord, item.customer_id, customer_values(item, shards))

    def write_invoice(self, item: Invoice, shards: int) -> None:
        self._put(InvoiceRecord, item.customer_id, invoice_values(item, shards))

    def _put(self, model: Any, customer_id: str, values: dict[str, Any]) -> None:
        if values["due_shard"] is not None:  # sparse: only items with a next action are in the index
            self.items[(model, values["due_shard"])].append((customer_id, values["next_action_on"]))

    def query(self, model: Any, shard: int, today: date) -> list[str]:
        """What repositories._due_in asks DynamoDB: one shard, next_action_on <= today."""
        self.queried.append((model, shard))
        return [customer_id for customer_id, due in self.items[(model, f"due#{shard}")] if due <= today]


@pytest.fixture
def indexes(monkeypatch: pytest.MonkeyPatch) -> FakeIndexes:
    fake = FakeIndexes()
    monkeypatch.setattr(repositories, "_due_in", fake.query)
    return fake


def due_customers(count: int) -> list[Customer]:
    return [customer(f"C{n:03d}", next_action_on=date(2026, 3, 1 + n % 2)) for n in range(count)]


def test_lowering_due_shards_orphans_no_customer(indexes: FakeIndexes) -> None:
    customers = due_customers(40)
    for item in customers:
        indexes.write_customer(item, BEFORE)
    in_dropped = {
        item.customer_id for item in customers if int(customer_values(item, BEFORE)["due_shard"][4:]) >= AFTER
    }
    assert len(in_dropped) >= 20  # the scenario does put most of the book beyond the new shard count

    scan = DynamoBook(AFTER).due_customers(TODAY)

    assert scan.customer_ids == {item.customer_id for item in customers}
    assert scan.items_read == 40


def test_dynamo_and_memory_books_agree_after_the_shard_count_changes(indexes: FakeIndexes) -> None:
    """The in-memory book has no shards: it is the specification the DynamoDB book must match."""
    customers = due_customers(30)
    later = [customer(f"L{number}", next_action_on=date(2026, 3, 9)) for number in range(5)]
    # A book of an earlier version: its invoices still carry the per-invoice index.
    legacy = [
        invoice(f"F{number}", customer_id=f"OLD{number}", legacy_next_action_on=date(2026, 2, 27))
        for number in range(12)
    ]
    memory = MemoryBook()
    memory.create(customers=[*customers, *later], invoices=legacy)
    for item in customers[:15]:
        indexes.write_customer(item, BEFORE)
    for item in [*customers[15:], *later]:
        indexes.write_customer(item, AFTER)  # written after the change
    for item in legacy:
        indexes.write_invoice(item, BEFORE)

    assert DynamoBook(AFTER).due_customers(TODAY).customer_ids == memory.due_customers(TODAY).customer_ids


@pytest.mark.parametrize("shards", [1, 4, config.MAX_DUE_SHARDS])
def test_every_possible_shard_of_both_indexes_is_read_whatever_due_shards_says(
    indexes: FakeIndexes, shards: int
) -> None:
    DynamoBook(shards).due_customers(TODAY)

    expected = {(model, shard) for model in (CustomerRecord, InvoiceRecord) for shard in range(16)}
    assert set(indexes.queried) == expected
    assert len(indexes.queried) == len(expected)


def test_a_due_shards_beyond_what_the_planner_reads_is_refused() -> None:
    environment = {
        "CUSTOMERS_TABLE": "c",
        "INVOICES_TABLE": "i",
        "EVENTS_TABLE": "e",
        "BUCKET_NAME": "b",
        "SENDER_EMAIL": "relances@creditor.example",
        "COMPANY_NAME": "Créancier SAS",
    }
    assert config.Settings.from_env({**environment, "DUE_SHARDS": "16"}).due_shards == 16
    with pytest.raises(config.ConfigError, match="DUE_SHARDS=17 must be 16 or fewer"):
        config.Settings.from_env({**environment, "DUE_SHARDS": "17"})
