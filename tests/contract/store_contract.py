"""What every DocumentStore does (relance.ports), whatever holds the bucket.

Run against the in-memory store (tests/unit/ports) and S3 with Object Lock on moto's server
(tests/integration/test_ports_contract.py): a subclass gives the `store` fixture and a key prefix of its own.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from relance.ports import DocumentStore, EvidenceConflict, StorageError

NOTICE = b"%PDF-1.4 the formal notice"
RETAIN = datetime(2031, 3, 2, tzinfo=UTC)


@dataclass(frozen=True)
class Bucket:
    store: DocumentStore
    prefix: str
    """Keys of this test start with it: a bucket under Object Lock is never emptied."""


def put_notice(bucket: Bucket, body: bytes = NOTICE, name: str = "notice.pdf"):
    return bucket.store.put_evidence(
        f"{bucket.prefix}{name}", body, "application/pdf", retain_until=RETAIN, metadata={"customer-id": "C1"}
    )


class StoreContract:
    @pytest.fixture
    def bucket(self) -> Bucket:
        raise NotImplementedError("a subclass gives a store and a prefix of its own")

    def test_evidence_is_written_once_with_its_sha256(self, bucket: Bucket):
        stored = put_notice(bucket)

        assert stored.key == f"{bucket.prefix}notice.pdf"
        assert stored.sha256 == hashlib.sha256(NOTICE).hexdigest()
        assert bucket.store.read(stored.key) == NOTICE

    def test_a_retried_write_of_the_same_bytes_is_taken_as_the_same_document(self, bucket: Bucket):
        first = put_notice(bucket)

        again = put_notice(bucket)

        assert again == first
        assert bucket.store.read(first.key) == NOTICE

    def test_other_bytes_under_an_evidence_key_are_refused_and_the_document_kept(self, bucket: Bucket):
        put_notice(bucket)

        with pytest.raises(EvidenceConflict):
            put_notice(bucket, body=b"%PDF-1.4 another text")

        assert bucket.store.read(f"{bucket.prefix}notice.pdf") == NOTICE

    def test_reading_a_missing_key_is_a_storage_error(self, bucket: Bucket):
        with pytest.raises(StorageError):
            bucket.store.read(f"{bucket.prefix}missing.csv")

    def test_files_and_reports_read_back_and_are_listed_by_prefix(self, bucket: Bucket):
        bucket.store.put_file(f"{bucket.prefix}in/b.csv", "é;1\r\n".encode(), "text/csv")
        bucket.store.put_file(f"{bucket.prefix}in/a.csv", b"x", "text/csv")
        bucket.store.put_report(
            f"{bucket.prefix}reports/a.csv.json", {"file": "a.csv", "rows": 1, "note": "reçu"}
        )
        put_notice(bucket, name="in-notices/n.pdf")

        assert bucket.store.read(f"{bucket.prefix}in/b.csv") == "é;1\r\n".encode()
        report = json.loads(bucket.store.read(f"{bucket.prefix}reports/a.csv.json"))
        assert report == {"file": "a.csv", "rows": 1, "note": "reçu"}
        assert list(bucket.store.keys(f"{bucket.prefix}in/")) == [
            f"{bucket.prefix}in/a.csv",
            f"{bucket.prefix}in/b.csv",
        ]
        assert list(bucket.store.keys(f"{bucket.prefix}nothing/")) == []

    def test_listing_since_a_moment_gives_the_objects_written_from_that_second_on(self, bucket: Bucket):
        bucket.store.put_file(f"{bucket.prefix}since/old.csv", b"1", "text/csv")
        time.sleep(1.1)  # S3 dates objects to the second: the next write is a second later at least
        since = datetime.now(UTC)
        bucket.store.put_report(f"{bucket.prefix}since/new.json", {"rows": 1})
        put_notice(bucket, name="since/new.pdf")

        recent = list(bucket.store.keys(f"{bucket.prefix}since/", modified_since=since))
        everything = list(bucket.store.keys(f"{bucket.prefix}since/"))
        later = list(bucket.store.keys(f"{bucket.prefix}since/", modified_since=since + timedelta(hours=1)))

        assert recent == [f"{bucket.prefix}since/new.json", f"{bucket.prefix}since/new.pdf"]
        assert everything == [*recent, f"{bucket.prefix}since/old.csv"]
        assert later == []
