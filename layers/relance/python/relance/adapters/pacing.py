"""Sends paced to the account's SES rate, so that the worker instances together never exceed it.

SES refuses what goes beyond the account's maximum send rate (a throttling error: SendRefused, the message
comes back to the queue later). Rather than send into the refusals, each worker instance paces itself: at
most WorkerConcurrency instances run at once (MaximumConcurrency of the queue's event source) and each sends
at SesSendRate / WorkerConcurrency, so that the sum never exceeds the rate whichever instances are busy. SES
counts recipients, not messages: a message to a customer with a copy address takes two.

The pacer is a token bucket filling at the rate up to `burst` tokens (one by default: SES tolerates short
bursts but does not say how long, so we make none of our own). Time is injected, a monotonic clock and a
sleep, so that the tests and the simulation in tests/benchmarks/pacing.py run on simulated seconds. One per
worker instance; Lambda gives an instance one invocation at a time, so the bucket takes no lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import getaddresses

from relance.ports import Mailer


class TokenBucket:
    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError(f"a token bucket needs a positive rate and burst, not {rate} and {burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._at = clock()
        self.waited = 0.0
        """Seconds spent waiting for tokens, in all."""

    def take(self, tokens: float = 1.0) -> float:
        """Waits until `tokens` may be spent, spends them and returns the seconds waited.

        More than the burst at once is allowed: the bucket goes into debt and the wait pays it back, so a
        message with many recipients waits as long as they would have one by one.
        """
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        self._tokens -= tokens
        if self._tokens >= 0:
            return 0.0
        wait = -self._tokens / self.rate
        self._sleep(wait)
        # The debt is paid by the time slept: the bucket is empty at the end of the wait, and fills from then.
        self._tokens = 0.0
        self._at = now + wait
        self.waited += wait
        return wait


def recipients(message: EmailMessage) -> int:
    """What SES counts against the send rate for this message: its To and Cc addresses (those SesMailer
    sends to), at least one."""
    addresses = getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
    return max(1, sum(1 for _, address in addresses if address))


class PacedMailer:
    """The Mailer port, each send waiting for its recipients' tokens before it is handed to `mailer`."""

    def __init__(self, mailer: Mailer, bucket: TokenBucket) -> None:
        self._mailer = mailer
        self.bucket = bucket

    def send(self, message: EmailMessage, tags: Mapping[str, str] | None = None) -> str:
        self.bucket.take(recipients(message))
        return self._mailer.send(message, tags)
