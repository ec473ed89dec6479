"""The bucket: evidence written once under Object Lock, reports, and the files the finance team drops."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError


class EvidenceConflict(RuntimeError):
    """Another document already sits under this evidence key; evidence is never replaced."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str
    version_id: str | None


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class S3Store:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def read(self, key: str) -> bytes:
        return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def put_report(self, key: str, report: dict[str, Any]) -> None:
        body = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False).encode("utf-8")
        self._client.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType="application/json; charset=utf-8"
        )

    def put_file(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def put_evidence(
        self, key: str, body: bytes, content_type: str, retain_until: datetime, metadata: dict[str, str]
    ) -> StoredObject:
        """Writes a notice once: the key must be new, and Object Lock keeps it until `retain_until`.

        A retry that finds the very same bytes under the key takes them as its own; different bytes fail.
        """
        digest = sha256_hex(body)
        try:
            response = self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                IfNoneMatch="*",
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(bytes.fromhex(digest)).decode("ascii"),
                Metadata={**metadata, "sha256": digest},
                ObjectLockMode="GOVERNANCE",
                ObjectLockRetainUntilDate=retain_until,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {
                "PreconditionFailed",
                "ConditionalRequestConflict",
            }:
                raise
            head = self._client.head_object(Bucket=self.bucket, Key=key)
            if head.get("Metadata", {}).get("sha256") != digest:
                raise EvidenceConflict(f"s3://{self.bucket}/{key} already holds another document") from exc
            return StoredObject(key=key, sha256=digest, version_id=head.get("VersionId"))
        return StoredObject(key=key, sha256=digest, version_id=response.get("VersionId"))
