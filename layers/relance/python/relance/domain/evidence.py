"""Evidence: how long it is kept, and the hash that proves it was not altered."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def retained_until(day: date, retention_days: int) -> datetime:
    """Evidence stored on `day` stays under Object Lock until then: the stack's retention, in whole days.

    French commercial claims are prescribed after five years (Code de commerce L110-4): the default
    retention of 1,826 days keeps every notice and message until its claim can no longer be brought.
    """
    return datetime.combine(day + timedelta(days=retention_days), time(0), tzinfo=UTC)
