"""What leaves the house, in memory: emails, bus events and queue messages, kept for the caller to read.

The mailer takes an optional `gate`, called before each send: tests and the fault-injection runs make it
raise SendRefused, SendRejected or SendUncertain (a timeout after acceptance keeps the message, as a real
lost answer would), or pace the sends to a simulated rate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from relance.ports import SendUncertain


@dataclass(frozen=True)
class SentMail:
    message_id: str
    message: EmailMessage
    raw: bytes
    tags: Mapping[str, str]


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
        self.sent.append(SentMail(message_id, message, message.as_bytes(), dict(tags or {})))
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise SendUncertain("the answer was lost after the message was accepted")
        return message_id


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
