"""Drives the real Lambda handlers on the embedded AWS, the way the AWS services would invoke them.

Events are the samples of events/ with the day's values filled in; the SQS event-source mapping is
emulated (receive, invoke with the batch, delete what the handler did not report as failed).
Operator/test tool: not shipped in the layer.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import ModuleType
from typing import Any, TextIO
from urllib.parse import quote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from relance import observability
from relance.bootstrap import Runtime, use_runtime
from relance_tools.devstack import EmbeddedAws, EmbeddedStack, repository_root
from relance_tools.sesmail import delivery_notification, raw_headers

__all__ = ["LambdaContext", "LocalPipeline", "SimulatedClock", "load_handler_module", "raw_headers"]


@dataclass
class SimulatedClock:
    """The pipeline's clock in the demo and tests: the day's morning in the creditor's timezone."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class LambdaContext:
    """What a handler reads of its context; the shape of Powertools' test fixture."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:eu-west-3:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def load_handler_module(name: str) -> ModuleType:
    """Imports functions/<name>/app.py as the Lambda runtime would, under a name of its own."""
    module_name = f"relance_function_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = repository_root() / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the {name} handler from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _sample_event(name: str) -> dict[str, Any]:
    return json.loads((repository_root() / "events" / name).read_text(encoding="utf-8"))


@dataclass
class DayRun:
    day: date
    planned: dict[str, Any]
    processed: list[dict[str, Any]] = field(default_factory=list)
    failed_records: int = 0


@dataclass
class LocalPipeline:
    aws: EmbeddedAws
    stack: EmbeddedStack
    clock: SimulatedClock
    runtime: Runtime
    log_stream: TextIO | None = None
    _reported: int = 0
    _journaled: int = 0

    @classmethod
    def start(
        cls, aws: EmbeddedAws, stack: EmbeddedStack, first_day: date, log_stream: TextIO | None = None
    ) -> LocalPipeline:
        """Binds the handlers' runtime to the embedded stack, with a clock the caller moves day by day."""
        stack.apply_environment()
        rt = stack.runtime()
        clock = SimulatedClock(rt.calendar.at_opening(first_day) + timedelta(minutes=5))
        rt.clock = clock
        use_runtime(rt)
        return cls(aws=aws, stack=stack, clock=clock, runtime=rt, log_stream=log_stream)

    def invoke(self, name: str, event: dict[str, Any]) -> dict[str, Any]:
        """Calls functions/<name>/app.py; its log lines and metrics, and the lines the services it calls
        log, go to `log_stream` when one is set."""
        module = load_handler_module(name)
        if self.log_stream is None:
            return dict(module.lambda_handler(event, LambdaContext(name)))
        module.logger.registered_handler.setStream(self.log_stream)
        # The services log through the layer's child logger, whose parent is the Logger named after the
        # service as it was when relance.observability was first imported: in this process that may be
        # before the stack's environment named it, so its lines go through that parent, whichever it is.
        layer = Logger(service=observability.logger.service).registered_handler
        # Read, not taken from setStream's answer: that is None when the stream is already this one (the
        # handlers' Logger and the layer's parent are one when the service was named before the import).
        previous = layer.stream
        layer.setStream(self.log_stream)
        try:
            with redirect_stdout(self.log_stream):
                result: dict[str, Any] = module.lambda_handler(event, LambdaContext(name))
        finally:
            layer.setStream(previous)
        return result

    def stream_records(self) -> list[dict[str, Any]]:
        """Every record of the escalation log's DynamoDB stream from its start, shaped as Lambda's event
        source mapping hands them to the journal function."""
        rt = self.runtime
        table = rt.client("dynamodb").describe_table(TableName=rt.settings.events_table)["Table"]
        stream_arn = str(table["LatestStreamArn"])
        streams = rt.client("dynamodbstreams")
        records: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                page = streams.get_records(ShardIterator=iterator)
                records.extend(page["Records"])
                if not page["Records"]:
                    break
                iterator = page.get("NextShardIterator")
        for record in records:
            # boto3 parses the stream's epoch seconds into a datetime; Lambda hands over the number.
            created = record["dynamodb"].get("ApproximateCreationDateTime")
            if isinstance(created, datetime):
                record["dynamodb"]["ApproximateCreationDateTime"] = int(created.timestamp())
            record["eventSourceARN"] = stream_arn
        return records

    def run_journal(self, batch_size: int = 100) -> int:
        """Delivers the stream's records not delivered yet to the journal function, in batches as the
        stack's event source mapping does (BatchSize 100); returns how many were delivered."""
        records = self.stream_records()[self._journaled :]
        for start in range(0, len(records), batch_size):
            self.invoke("journal", {"Records": records[start : start + batch_size]})
        self._journaled += len(records)
        return len(records)

    def set_day(self, day: date) -> None:
        self.clock.now = self.runtime.calendar.at_opening(day) + timedelta(minutes=5)

    def upload(self, key: str, body: bytes) -> dict[str, Any]:
        """Drops a file in the bucket and delivers the S3 notification to the ingest handler."""
        return self.invoke("ingest", self._object_created(key, body))

    def receive_reply(self, key: str, raw: bytes) -> dict[str, Any]:
        """A customer's reply as the SES receipt rule stores it (moto has no SES inbound): the raw email
        under inbound/, then the S3 notification to the replies handler."""
        return self.invoke("replies", self._object_created(key, raw))

    def _object_created(self, key: str, body: bytes) -> dict[str, Any]:
        """Puts the object in the bucket; the notification S3 then sends, from events/s3-put.json."""
        bucket = self.runtime.settings.bucket
        self.runtime.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        event = _sample_event("s3-put.json")
        record = event["Records"][0]
        record["eventTime"] = self.clock.now.astimezone(UTC).isoformat().replace("+00:00", "Z")
        record["s3"]["bucket"]["name"] = bucket
        record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        # S3 notifications carry the key URL-encoded, spaces as '+'; the handlers must decode it.
        record["s3"]["object"]["key"] = quote_plus(key, safe="/")
        record["s3"]["object"]["size"] = len(body)
        return event

    def run_planner(self, day: date) -> dict[str, Any]:
        event = _sample_event("schedule.json")
        scheduled = datetime.combine(day, time(8, 0), tzinfo=self.runtime.calendar.timezone)
        event["scheduled_time"] = scheduled.astimezone(UTC).isoformat().replace("+00:00", "Z")
        event["execution_id"] = f"demo-{day.isoformat()}"
        return self.invoke("planner", event)

    def drain_queue(self) -> tuple[list[dict[str, Any]], int]:
        """Emulates the SQS event source mapping until the queue is empty; returns outcomes and failures."""
        sqs = self.runtime.client("sqs")
        url = self.runtime.settings.work_queue_url
        template = _sample_event("sqs-batch.json")["Records"][0]
        outcomes: list[dict[str, Any]] = []
        failures = 0
        while True:
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return outcomes, failures
            records = []
            for message in messages:
                record = copy.deepcopy(template)
                record.update(
                    messageId=message["MessageId"],
                    receiptHandle=message["ReceiptHandle"],
                    body=message["Body"],
                    md5OfBody=message["MD5OfBody"],
                )
                record["attributes"].update(message.get("Attributes", {}))
                records.append(record)
            try:
                response = self.invoke("worker", {"Records": records})
                failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
            except BatchProcessingError:
                # Every record failed: Powertools fails the invocation, and SQS keeps the whole batch.
                failed = {message["MessageId"] for message in messages}
            failures += len(failed)
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                outcomes.append(json.loads(message["Body"]) | {"failed": message["MessageId"] in failed})
            if failed:
                # A failed record waits out its visibility timeout in AWS; here it is left for the next day.
                return outcomes, failures

    def report_deliveries(self) -> int:
        """SES's report of every message sent since the last call: delivered, through SNS to feedback."""
        delivered = 0
        for message in self.aws.sent_messages()[self._reported :]:
            event = _sample_event("sns-ses-bounce.json")
            body = delivery_notification(
                message["raw_data"], message["id"], message["source"], message["destinations"], self.clock.now
            )
            event["Records"][0]["Sns"]["Message"] = body
            event["Records"][0]["Sns"]["MessageId"] = f"delivery-{message['id']}"
            event["Records"][0]["Sns"]["Timestamp"] = self.clock.now.astimezone(UTC).isoformat()
            self.invoke("feedback", event)
            delivered += 1
        self._reported += delivered
        return delivered

    def run_day(self, day: date) -> DayRun:
        self.set_day(day)
        planned = self.run_planner(day)
        processed, failures = self.drain_queue()
        return DayRun(day=day, planned=planned, processed=processed, failed_records=failures)
