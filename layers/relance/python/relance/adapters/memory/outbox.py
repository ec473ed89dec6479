"""What leaves the house, in memory: emails, bus events and queue messages, kept for the caller to read.

The mailer takes an optional `gate`, called before each send: tests and the fault-injection runs make it
raise SendRefused, SendRejected or SendUncertain (a timeout after acceptance keeps the message, as a real
lost answer would), or pace the sends to a simulated rate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cached_property
from typing import Any

from relance.adapters.pacing import recipients
from relance.ports import SendRefused, SendUncertain


@dataclass(frozen=True)
class SentMail:
    message_id: str
    message: EmailMessage
    tags: Mapping[str, str]

    @cached_property
    def raw(self) -> bytes:
        """The bytes SES would have received. Serialized when read, not on every send: most runs (the fault
        injection's 13,000 emails) never read them, and nothing changes a message once it is sent."""
        return self.message.as_bytes()


@dataclass
class MemoryMailer:
    gate: Callable[[EmailMessage], None] | None = None
    sent: list[SentMail] = field(default_factory=list)
    # A lost answer: the message left, the caller hears SendUncertain (set by the fault injection).
    lose_next_answer: bool = False

    def send(self, message: EmailMessage, tags: Mapping[str, str] | None = None) -> str:
        if self.gate is not None:
            self.gate(message)
        message_id = f"0100018f{len(self.sent) + 1:08d}-memory"
        self.sent.append(SentMail(message_id, message, dict(tags or {})))
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise SendUncertain("the answer was lost after the message was accepted")
        return message_id


@dataclass
class SendRateLimit:
    """SES's maximum send rate, simulated: a MemoryMailer gate refusing (SendRefused, as SesMailer reads a
    throttling error) what goes beyond `rate` recipients a second on `clock` (seconds, simulated or not).

    SES lets short bursts through without saying how long; this one lets `burst` recipients through at
    once, one second's worth unless told.
    """

    rate: float
    clock: Callable[[], float]
    burst: float | None = None
    accepted: int = 0
    refused: int = 0
    _tokens: float | None = None
    _at: float = 0.0

    def __call__(self, message: EmailMessage) -> None:
        now = self.clock()
        ceiling = self.burst if self.burst is not None else max(1.0, self.rate)
        if self._tokens is None:
            self._tokens, self._at = ceiling, now
        self._tokens = min(ceiling, self._tokens + max(0.0, now - self._at) * self.rate)
        self._at = max(self._at, now)
        cost = recipients(message)
        # A hair of tolerance: a sender paced exactly at the rate must not be refused for a rounding error.
        if self._tokens + 1e-9 < cost:
            self.refused += 1
            raise SendRefused("SES answered Throttling: Maximum sending rate exceeded.")
        self._tokens -= cost
        self.accepted += cost


@dataclass
class MemoryBus:
    published: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> str:
        self.published.append((detail_type, dict(detail)))
        return f"memory-event-{len(self.published)}"


@dataclass
class MemoryQueue:
    messages: list[dict[str, Any]] = field(default_factory=list)

    def send_all(self, bodies: Sequence[Mapping[str, Any]]) -> int:
        self.messages.extend(dict(body) for body in bodies)
        return len(bodies)

    def drain(self) -> list[dict[str, Any]]:
        taken, self.messages = self.messages, []
        return taken
