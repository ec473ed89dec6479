"""The bucket in memory: plain files, and evidence written once and kept (Object Lock)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from relance.domain.evidence import sha256_hex
from relance.ports import EvidenceConflict, StorageError, StoredObject


@dataclass(frozen=True)
class MemoryObject:
    body: bytes
    content_type: str
    metadata: Mapping[str, str]
    retain_until: datetime | None = None


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, MemoryObject] = {}

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
        self.objects[key] = MemoryObject(body, content_type, {})

    def put_evidence(
        self, key: str, body: bytes, content_type: str, retain_until: datetime, metadata: Mapping[str, str]
    ) -> StoredObject:
        digest = sha256_hex(body)
        current = self.objects.get(key)
        if current is not None:
            if current.metadata.get("sha256") != digest:
                raise EvidenceConflict(f"{key} already holds another document")
            return StoredObject(key=key, sha256=digest, version_id=None)
        self.objects[key] = MemoryObject(body, content_type, {**metadata, "sha256": digest}, retain_until)
        return StoredObject(key=key, sha256=digest, version_id=None)

    def delete(self, key: str) -> None:
        """Deleting evidence under retention fails, as Object Lock makes it fail."""
        current = self.objects.get(key)
        if current is not None and current.retain_until is not None:
            raise EvidenceConflict(f"{key} is under Object Lock until {current.retain_until.isoformat()}")
        self.objects.pop(key, None)

    def keys(self, prefix: str) -> Iterator[str]:
        return iter(sorted(key for key in self.objects if key.startswith(prefix)))
