"""Points the pynamodb models at the stack's tables, at run time rather than at import time."""

from __future__ import annotations

from pynamodb.models import Model

from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord
from relance.config import Settings


def bind_tables(settings: Settings) -> None:
    for model, table in (
        (CustomerRecord, settings.customers_table),
        (InvoiceRecord, settings.invoices_table),
        (EventRecord, settings.events_table),
    ):
        _bind(model, table, settings.region)


def _bind(model: type[Model], table: str, region: str) -> None:
    model.Meta.table_name = table
    model.Meta.region = region
    # pynamodb caches one connection per model class, built with the endpoint of its day; a new binding
    # (the demo's embedded AWS, a test's fresh tables) must not reuse it.
    model._connection = None
