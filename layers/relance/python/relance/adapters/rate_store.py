"""The stack's rate rows: one JSON object in the documents bucket, read and written whole.

A few rows a half-year: an object is enough, and the CLI's file store writes the very same document
(relance.rates.store.rows_to_document), so a file and the stack's object can be compared or copied.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from relance.domain.money import PublishedRate
from relance.ports import StorageError
from relance.rates.store import rows_from_document, rows_to_document

RATES_KEY = "rates/rates.json"
# A warm worker prices many customers in a run: the object is read again after this long, not per claim.
# The rows change twice a year and when a person verifies them; five minutes late is harmless.
MAX_AGE_SECONDS = 300.0


class S3RateStore:
    """A RateStore (relance.rates.store) on S3: a missing object holds no row yet."""

    def __init__(
        self, client: Any, bucket: str, key: str = RATES_KEY, max_age: float = MAX_AGE_SECONDS
    ) -> None:
        self._client = client
        self.bucket = bucket
        self.key = key
        self._max_age = max_age
        self._cached: tuple[float, list[PublishedRate]] | None = None

    @property
    def label(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def load(self) -> list[PublishedRate]:
        if self._cached is not None and time.monotonic() - self._cached[0] < self._max_age:
            return list(self._cached[1])
        rows = self._read()
        self._cached = (time.monotonic(), rows)
        return list(rows)

    def _read(self) -> list[PublishedRate]:
        try:
            body = self._client.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in {"NoSuchKey", "404"}:
                return []
            raise StorageError(f"{self.label} cannot be read ({code})") from exc
        return rows_from_document(body.decode("utf-8"), self.label)

    def save(self, rows: Sequence[PublishedRate]) -> None:
        self._cached = None
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=rows_to_document(rows).encode("utf-8"),
                ContentType="application/json; charset=utf-8",
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            raise StorageError(f"{self.label} cannot be written ({code})") from exc
