"""The AWS adapters keep the ports' contract (tests/contract) on moto's server, as the in-memory fakes do
in tests/unit/ports; and what only DynamoDB and S3 show: what goes on the wire, and Object Lock."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pynamodb.connection.base import Connection

from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord
from relance.adapters.rate_store import S3RateStore
from relance.bootstrap import Runtime
from relance.domain.evidence import retained_until
from relance.ports import Change
from relance_tools.devstack import EmbeddedAws
from tests.contract.book_contract import BookContract, Ports
from tests.contract.objects import MONDAY, full_customer, plain_customer
from tests.contract.rate_store_contract import RateStoreContract
from tests.contract.store_contract import NOTICE, Bucket, StoreContract

from .conftest import fresh_stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def runtime(aws: EmbeddedAws) -> Runtime:
    """One stack for the module; the tables are emptied before each test, the bucket never is."""
    return fresh_stack(aws).runtime()


def empty_tables() -> None:
    for model in (CustomerRecord, InvoiceRecord, EventRecord):
        items = list(model.scan(consistent_read=True))
        with model.batch_write() as batch:
            for item in items:
                batch.delete(item)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every DynamoDB request pynamodb sends: operation, parameters and answer."""
    seen: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    original = Connection.dispatch

    def dispatch(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        answer = original(self, operation_name, operation_kwargs)
        seen.append((operation_name, operation_kwargs, answer))
        return answer

    monkeypatch.setattr(Connection, "dispatch", dispatch)
    return seen


class TestDynamoBook(BookContract):
    @pytest.fixture
    def ports(self, runtime: Runtime) -> Ports:
        # Reached once, so that the models are bound to the stack's tables before they are emptied.
        book, log = runtime.book, runtime.events
        empty_tables()
        return Ports(book=book, log=log)


class TestS3Store(StoreContract):
    @pytest.fixture
    def bucket(self, runtime: Runtime) -> Bucket:
        return Bucket(store=runtime.store, prefix=f"contract/{uuid.uuid4().hex}/")


class TestS3RateStore(RateStoreContract):
    @pytest.fixture
    def rate_store(self, runtime: Runtime) -> S3RateStore:
        # A key of its own per test: the bucket is never emptied.
        return S3RateStore(
            runtime.client("s3"), runtime.settings.bucket, f"contract/{uuid.uuid4().hex}/rates.json"
        )


def test_the_runtime_keeps_its_rates_in_the_documents_bucket(runtime: Runtime):
    assert (runtime.rate_store.bucket, runtime.rate_store.key) == (
        runtime.settings.bucket,
        "rates/rates.json",
    )


# What only DynamoDB shows.


def test_an_update_sends_only_the_attributes_that_changed(runtime: Runtime, calls):
    book = runtime.book
    empty_tables()
    book.save([Change(None, full_customer())])
    before = book.customer("C1")
    assert before is not None
    calls.clear()

    book.save([Change(before, replace(before, name="Dupont SAS", next_action_on=None))])

    [(operation, request, _)] = calls
    assert operation == "TransactWriteItems"
    [item] = request["TransactItems"]
    update = item["Update"]
    written = set(update["ExpressionAttributeNames"].values())
    # The name, the index date and its shard (the customer leaves the index), and the version: nothing else.
    assert written == {"name", "next_action_on", "due_shard", "version"}
    assert "cases" not in update["UpdateExpression"]


def test_the_daily_index_is_queried_never_scanned(runtime: Runtime, calls):
    book = runtime.book
    empty_tables()
    book.create(
        customers=[
            plain_customer(f"C{number}", next_action_on=MONDAY if number < 3 else None)
            for number in range(12)
        ]
    )
    calls.clear()

    due = book.due_customers(MONDAY)

    operations = {operation for operation, _, _ in calls}
    assert operations == {"Query"}
    assert sum(answer.get("ScannedCount", 0) for _, _, answer in calls) == due.items_read == 3
    assert due.customer_ids == {"C0", "C1", "C2"}


# What only S3 shows: Object Lock.


def test_a_stored_notice_is_locked_and_neither_deleted_nor_replaced_before_its_retention_date(
    runtime: Runtime,
):
    key = f"notices/{uuid.uuid4().hex}/2026-03-02-formal_notice-EUR.pdf"
    stored = runtime.store.put_evidence(
        key,
        NOTICE,
        "application/pdf",
        retain_until=retained_until(date(2026, 3, 2), runtime.settings.notice_retention_days),
        metadata={"customer-id": "C1"},
    )
    client, bucket = runtime.client("s3"), runtime.settings.bucket

    head = client.head_object(Bucket=bucket, Key=key, VersionId=stored.version_id)
    with pytest.raises(ClientError) as refused_delete:
        client.delete_object(Bucket=bucket, Key=key, VersionId=stored.version_id)
    with pytest.raises(ClientError) as refused_overwrite:
        client.put_object(Bucket=bucket, Key=key, Body=b"%PDF-1.4 another text", IfNoneMatch="*")
    # A write that skips the condition, then a delete without a version, only hide the original.
    client.put_object(Bucket=bucket, Key=key, Body=b"%PDF-1.4 forged")
    client.delete_object(Bucket=bucket, Key=key)

    assert head["ObjectLockMode"] == "GOVERNANCE"
    # NoticeRetentionDays defaults to 1826 days (five years, one leap day) from the day it is stored.
    assert head["ObjectLockRetainUntilDate"].astimezone(UTC) == datetime(2031, 3, 2, tzinfo=UTC)
    assert head["Metadata"]["sha256"] == stored.sha256
    assert refused_delete.value.response["Error"]["Code"] == "AccessDenied"
    assert refused_overwrite.value.response["Error"]["Code"] == "PreconditionFailed"
    original = client.get_object(Bucket=bucket, Key=key, VersionId=stored.version_id)["Body"].read()
    assert original == NOTICE


def test_the_work_queue_delivers_every_message_it_accepted_once(runtime: Runtime):
    """Sent ten a call from several threads: every body arrives, each once, whatever the order."""
    sqs = runtime.client("sqs")
    url = runtime.settings.work_queue_url
    sqs.purge_queue(QueueUrl=url)
    bodies = [{"customer_id": f"C{n:03d}", "run_id": "daily-2026-03-02"} for n in range(95)]

    assert runtime.queue.send_all(bodies) == 95

    received: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            received.append(json.loads(message["Body"])["customer_id"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(received) == [body["customer_id"] for body in bodies]
