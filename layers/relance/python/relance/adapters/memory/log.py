"""The escalation log in memory: one ordered map of events per customer."""

from __future__ import annotations

from relance.domain.events import EscalationEvent


class MemoryEventLog:
    def __init__(self) -> None:
        self._events: dict[str, dict[str, EscalationEvent]] = {}
        self.reads = 0

    def for_customer(self, customer_id: str) -> list[EscalationEvent]:
        events = self._events.get(customer_id, {})
        self.reads += len(events)
        return [events[key] for key in sorted(events)]

    def append(self, event: EscalationEvent) -> bool:
        events = self._events.setdefault(event.customer_id, {})
        if event.event_key in events:
            return False
        events[event.event_key] = event
        return True

    def customers_with_message(self, message_id: str) -> list[str]:
        self.reads += 1
        if not message_id:
            return []  # as DynamoDB's index: no event is indexed under no id
        return sorted(
            customer_id
            for customer_id, events in self._events.items()
            if any(event.message_id == message_id for event in events.values())
        )

    def exists(self, customer_id: str, event_key: str) -> bool:
        self.reads += 1
        return event_key in self._events.get(customer_id, {})

    def all_events(self) -> list[EscalationEvent]:
        """Every event, by customer then key: what a replay writes as its timeline."""
        return [event for customer in sorted(self._events) for event in self.for_customer(customer)]
