"""The bucket in memory: plain files, and evidence written once and kept (Object Lock)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from relance.domain.evidence import sha256_hex
from relance.ports import EvidenceConflict, StorageError, StoredObject


@dataclass(frozen=True)
class MemoryObject:
    body: bytes
    content_type: str
    metadata: Mapping[str, str]
    modified: datetime
    retain_until: datetime | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryStore:
    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        """`clock` dates each write, as S3's LastModified does: the context's clock in a replay."""
        self.objects: dict[str, MemoryObject] = {}
        self.clock = clock

    def read(self, key: str) -> bytes:
        try:
            return self.objects[key].body
        except KeyError:
            raise StorageError(f"no object under {key}") from None

    def put_report(self, key: str, report: Mapping[str, Any]) -> None:
        body = json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")
        self.put_file(key, body, "application/json; charset=utf-8")

    def put_file(self, key: str, body: bytes, content_type: str) -> None:
        current = self.objects.get(key)
        if current is not None and current.retain_until is not None:
            raise EvidenceConflict(f"{key} is evidence under retention; it cannot be replaced")
        self.objects[key] = MemoryObject(body, content_type, {}, self.clock())

    def put_evidence(
        self, key: str, body: bytes, content_type: str, retain_until: datetime, metadata: Mapping[str, str]
    ) -> StoredObject:
        digest = sha256_hex(body)
        current = self.objects.get(key)
        if current is not None:
            if current.metadata.get("sha256") != digest:
                raise EvidenceConflict(f"{key} already holds another document")
            return StoredObject(key=key, sha256=digest, version_id=None)
        self.objects[key] = MemoryObject(
            body, content_type, {**metadata, "sha256": digest}, self.clock(), retain_until
        )
        return StoredObject(key=key, sha256=digest, version_id=None)

    def delete(self, key: str) -> None:
        """Deleting evidence under retention fails, as Object Lock makes it fail."""
        current = self.objects.get(key)
        if current is not None and current.retain_until is not None:
            raise EvidenceConflict(f"{key} is under Object Lock until {current.retain_until.isoformat()}")
        self.objects.pop(key, None)

    def keys(self, prefix: str, modified_since: datetime | None = None) -> Iterator[str]:
        since = None if modified_since is None else modified_since.replace(microsecond=0)
        return iter(
            sorted(
                key
                for key, item in self.objects.items()
                if key.startswith(prefix) and (since is None or item.modified >= since)
            )
        )
