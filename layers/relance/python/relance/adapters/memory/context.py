"""A whole Relance in memory: the settings, a clock, the calendar, the policies and every port faked."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from typing import Any

from relance.adapters.memory.book import MemoryBook
from relance.adapters.memory.log import MemoryEventLog
from relance.adapters.memory.outbox import MemoryBus, MemoryMailer, MemoryQueue
from relance.adapters.memory.store import MemoryStore
from relance.config import Company, Settings
from relance.domain.calendar import BusinessCalendar, SendingWindow
from relance.domain.selection import PolicyBook
from relance.policies import policy_book
from relance.ports import Clock, Renderer
from relance.rates.store import InMemoryRateStore


def memory_settings(**changes: Any) -> Settings:
    """The settings of a stack that exists only in memory (names are placeholders nobody reads)."""
    base = Settings(
        region="eu-west-3",
        customers_table="memory-customers",
        invoices_table="memory-invoices",
        events_table="memory-events",
        bucket="memory-bucket",
        work_queue_url="memory://work",
        event_bus="memory-bus",
        sender_email="relances@creditor.example",
        configuration_set=None,
        company=Company(
            name="Créancier Test SAS",
            siren="917764672",
            address=("1 rue du Test", "75001 Paris", "France"),
            iban="FR76 3000 6000 0112 3456 7890 189",
            phone="+33 1 84 00 00 00",
            reply_to="compta@creditor.example",
        ),
        country="FR",
        timezone="Europe/Paris",
        window_opens=time(8, 0),
        window_closes=time(19, 0),
        default_policy="fr-b2b-standard",
        consumer_policy="fr-b2c",
        due_shards=4,
        notice_retention_days=1826,
    )
    return replace(base, **changes)


@dataclass
class ManualClock:
    """A clock the caller moves: the replay's simulated mornings, a test's instant."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 8, 5, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class MemoryContext:
    settings: Settings
    clock: Clock
    calendar: BusinessCalendar
    policies: PolicyBook
    book: MemoryBook
    events: MemoryEventLog
    mailer: MemoryMailer
    store: MemoryStore
    bus: MemoryBus
    queue: MemoryQueue
    renderer: Renderer
    rate_store: InMemoryRateStore = field(default_factory=InMemoryRateStore)


def memory_context(
    settings: Settings | None = None, clock: Clock | None = None, renderer: Renderer | None = None
) -> MemoryContext:
    settings = settings or memory_settings()
    log = MemoryEventLog()
    if renderer is None:
        from relance.rendering.renderer import TemplateRenderer

        renderer = TemplateRenderer()
    clock = clock or ManualClock()
    return MemoryContext(
        settings=settings,
        clock=clock,
        calendar=BusinessCalendar(
            settings.country,
            settings.timezone,
            window=SendingWindow(settings.window_opens, settings.window_closes),
            region=settings.creditor_region,
        ),
        policies=policy_book(
            settings.default_policy, settings.consumer_policy, postal_delay_days=settings.postal_delay_days
        ),
        book=MemoryBook(log),
        events=log,
        mailer=MemoryMailer(),
        store=MemoryStore(clock),
        bus=MemoryBus(),
        queue=MemoryQueue(),
        renderer=renderer,
    )
