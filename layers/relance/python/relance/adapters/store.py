"""The bucket: evidence written once under Object Lock, reports, and the files the finance team drops."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from relance.domain.evidence import sha256_hex
from relance.ports import EvidenceConflict, StorageError, StoredObject


class S3Store:
    def __init__(self, client: Any, bucket: str, lock_mode: str = "GOVERNANCE") -> None:
        self._client = client
        self.bucket = bucket
        # GOVERNANCE lets a holder of s3:BypassGovernanceRetention delete (the template denies it by
        # default); COMPLIANCE lets nobody, not even the account's root, until the date.
        self._lock_mode = lock_mode

    def read(self, key: str) -> bytes:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            raise StorageError(f"s3://{self.bucket}/{key} cannot be read ({code})") from exc

    def keys(self, prefix: str, modified_since: datetime | None = None) -> Iterator[str]:
        since = None if modified_since is None else modified_since.replace(microsecond=0)
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if since is None or item["LastModified"] >= since:
                    yield item["Key"]

    def put_report(self, key: str, report: Mapping[str, Any]) -> None:
        body = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False).encode("utf-8")
        self._client.put_object(
            Bucket=self.bucket, Key=key, Body=body, ContentType="application/json; charset=utf-8"
        )

    def put_file(self, key: str, body: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def put_evidence(
        self, key: str, body: bytes, content_type: str, retain_until: datetime, metadata: Mapping[str, str]
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
                ObjectLockMode=self._lock_mode,
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
