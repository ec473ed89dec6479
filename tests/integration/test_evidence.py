"""Evidence written once under S3 Object Lock, on the embedded AWS: a stored notice can be neither deleted
nor replaced before its retention date, and a retried write of the same bytes is the same object."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from relance.adapters.dynamo.records import EventRecord
from relance.adapters.store import EvidenceConflict
from relance_tools.local_pipeline import LocalPipeline

from .seed import add_customer, add_invoice

pytestmark = pytest.mark.integration

KEY = "notices/C1/2026/03/2026-03-02-formal_notice-EUR.pdf"
NOTICE = b"%PDF-1.4 the formal notice"


def store(stack: LocalPipeline, body: bytes = NOTICE, key: str = KEY):
    rt = stack.runtime
    return rt.store.put_evidence(
        key,
        body,
        "application/pdf",
        retain_until=rt.retain_until(date(2026, 3, 2)),
        metadata={"customer-id": "C1"},
    )


def s3(stack: LocalPipeline):
    return stack.runtime.client("s3"), stack.runtime.settings.bucket


def test_a_stored_notice_is_locked_in_governance_mode_until_its_retention_date(stack: LocalPipeline):
    stored = store(stack)
    client, bucket = s3(stack)

    head = client.head_object(Bucket=bucket, Key=KEY, VersionId=stored.version_id)

    assert head["ObjectLockMode"] == "GOVERNANCE"
    # NoticeRetentionDays defaults to 1826 days (five years, one leap day) from the day it is stored.
    assert head["ObjectLockRetainUntilDate"].astimezone(UTC) == datetime(2031, 3, 2, tzinfo=UTC)
    assert head["Metadata"]["sha256"] == hashlib.sha256(NOTICE).hexdigest() == stored.sha256


def test_deleting_a_stored_notice_before_its_retention_date_is_refused(stack: LocalPipeline):
    stored = store(stack)
    client, bucket = s3(stack)

    with pytest.raises(ClientError) as refused:
        client.delete_object(Bucket=bucket, Key=KEY, VersionId=stored.version_id)

    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    body = client.get_object(Bucket=bucket, Key=KEY, VersionId=stored.version_id)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == stored.sha256


def test_overwriting_a_stored_notice_is_refused(stack: LocalPipeline):
    store(stack)
    client, bucket = s3(stack)

    with pytest.raises(ClientError) as refused:
        client.put_object(Bucket=bucket, Key=KEY, Body=b"%PDF-1.4 another text", IfNoneMatch="*")
    with pytest.raises(EvidenceConflict):
        store(stack, body=b"%PDF-1.4 another text")

    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    assert client.get_object(Bucket=bucket, Key=KEY)["Body"].read() == NOTICE


def test_a_retried_write_of_the_same_bytes_is_taken_as_the_same_object(stack: LocalPipeline):
    first = store(stack)
    again = store(stack)

    assert again == first
    client, bucket = s3(stack)
    versions = client.list_object_versions(Bucket=bucket, Prefix=KEY)["Versions"]
    assert [version["VersionId"] for version in versions] == [first.version_id]


def test_even_a_write_that_skips_the_condition_leaves_the_locked_notice_intact(stack: LocalPipeline):
    """Versioning keeps the original under its version id; a delete without one only hides it."""
    stored = store(stack)
    client, bucket = s3(stack)

    client.put_object(Bucket=bucket, Key=KEY, Body=b"%PDF-1.4 forged")
    client.delete_object(Bucket=bucket, Key=KEY)

    original = client.get_object(Bucket=bucket, Key=KEY, VersionId=stored.version_id)["Body"].read()
    assert original == NOTICE


def test_the_notice_the_worker_sends_is_the_locked_one_logged_with_its_sha256(stack: LocalPipeline):
    add_customer("C1")
    add_invoice(
        stack.runtime,
        "F1",
        due=date(2026, 1, 20),
        steps=("courtesy", "reminder_1", "reminder_2", "reminder_3"),
        last_step_on=date(2026, 2, 20),
    )

    stack.run_day(date(2026, 3, 2))

    [event] = [e for e in EventRecord.query("C1") if e.kind == "escalation"]
    [notice] = event.notices
    client, bucket = s3(stack)
    [version] = client.list_object_versions(Bucket=bucket, Prefix=notice.key)["Versions"]
    body = client.get_object(Bucket=bucket, Key=notice.key)["Body"].read()
    assert hashlib.sha256(body).hexdigest() == notice.sha256
    with pytest.raises(ClientError, match="AccessDenied"):
        client.delete_object(Bucket=bucket, Key=notice.key, VersionId=version["VersionId"])
    head = client.head_object(Bucket=bucket, Key=notice.key)
    assert head["ObjectLockRetainUntilDate"].astimezone(UTC) - datetime(2026, 3, 2, tzinfo=UTC) == timedelta(
        days=1826
    )
