"""The composition root: the AWS adapters behind the ports, built from the environment on first use.

`Runtime` is the Context (relance.ports) the handlers give the services. Nothing here runs at import time
and no client is made before it is needed, so a handler module imports fast and tests can bind another
stack. No service imports this module: they receive what it builds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from relance.config import Settings
from relance.domain.calendar import BusinessCalendar, SendingWindow
from relance.domain.selection import PolicyBook
from relance.policies import policy_book
from relance.ports import Clock

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

    from relance.adapters.bus import EventBusPublisher
    from relance.adapters.dynamo.repositories import DynamoBook, DynamoEventLog
    from relance.adapters.dynamo.stream import StreamImages
    from relance.adapters.mailer import SesMailer
    from relance.adapters.pacing import PacedMailer
    from relance.adapters.queue import WorkQueue
    from relance.adapters.rate_store import S3RateStore
    from relance.adapters.store import S3Store
    from relance.rendering.renderer import TemplateRenderer


def xray_tracer() -> Tracer:
    """The handlers' X-Ray tracer. Every AWS call goes through botocore (pynamodb's too), so botocore alone
    is patched: patching every library X-Ray knows would import pynamodb's and sqlite3's patchers and probe
    a dozen database drivers at each cold start (about 40 ms)."""
    from aws_lambda_powertools import Tracer

    return Tracer(patch_modules=("botocore",))


def system_clock() -> datetime:
    return datetime.now(UTC)


def _client_config(service: str) -> Any:
    from botocore.config import Config

    if service == "sesv2":
        # No automatic retry for SES: a request retried after a lost answer could send the same email
        # twice. The worker decides instead (SendRefused: the queue retries; SendUncertain: a person checks).
        return Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return Config(retries={"mode": "standard", "max_attempts": 5})


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = system_clock
    _clients: dict[str, Any] = field(default_factory=dict)
    _bound: bool = False

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3

            self._clients[service] = boto3.client(
                service, region_name=self.settings.region, config=_client_config(service)
            )
        return self._clients[service]

    def _tables(self) -> None:
        if not self._bound:
            from relance.adapters.dynamo.binding import bind_tables

            bind_tables(self.settings)
            self._bound = True

    @cached_property
    def calendar(self) -> BusinessCalendar:
        window = SendingWindow(self.settings.window_opens, self.settings.window_closes)
        return BusinessCalendar(
            self.settings.country, self.settings.timezone, window=window, region=self.settings.creditor_region
        )

    @cached_property
    def policies(self) -> PolicyBook:
        settings = self.settings
        return policy_book(
            settings.default_policy, settings.consumer_policy, postal_delay_days=settings.postal_delay_days
        )

    @cached_property
    def book(self) -> DynamoBook:
        from relance.adapters.dynamo.repositories import DynamoBook

        self._tables()
        return DynamoBook(self.settings.due_shards)

    @cached_property
    def events(self) -> DynamoEventLog:
        from relance.adapters.dynamo.repositories import DynamoEventLog

        self._tables()
        return DynamoEventLog()

    @cached_property
    def mailer(self) -> SesMailer | PacedMailer:
        """SES, paced to this instance's share of the account's send rate (relance.adapters.pacing).

        Only on the system clock: a runtime on a simulated clock (the demo's embedded stack) sends to moto,
        which has no quota, and its seconds are not real ones to wait.
        """
        from relance.adapters.mailer import SesMailer

        mailer = SesMailer(self.client("sesv2"), self.settings.configuration_set)
        rate = self.settings.send_rate_per_worker
        if rate is None or self.clock is not system_clock:
            return mailer
        from relance.adapters.pacing import PacedMailer, TokenBucket

        return PacedMailer(mailer, TokenBucket(rate))

    @cached_property
    def stream_images(self) -> StreamImages:
        """Reads the escalation log's items as its DynamoDB stream delivers them (the journal function)."""
        from relance.adapters.dynamo.stream import StreamImages

        return StreamImages()

    @cached_property
    def store(self) -> S3Store:
        from relance.adapters.store import S3Store

        return S3Store(self.client("s3"), self.settings.bucket, self.settings.object_lock_mode)

    @cached_property
    def rate_store(self) -> S3RateStore:
        """The rate rows the scheduled rates function fetched or a person verified (documents bucket)."""
        from relance.adapters.rate_store import S3RateStore

        return S3RateStore(self.client("s3"), self.settings.bucket)

    @cached_property
    def queue(self) -> WorkQueue:
        from relance.adapters.queue import WorkQueue

        return WorkQueue(self.client("sqs"), self.settings.work_queue_url)

    @cached_property
    def bus(self) -> EventBusPublisher:
        from relance.adapters.bus import EventBusPublisher

        return EventBusPublisher(self.client("events"), self.settings.event_bus)

    @cached_property
    def renderer(self) -> TemplateRenderer:
        from relance.rendering.renderer import TemplateRenderer

        return TemplateRenderer()


_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(Settings.from_env())
    return _runtime


def use_runtime(new: Runtime | None) -> None:
    """Installs a runtime (the demo's embedded stack, a test's) or drops it so the next call rebuilds."""
    global _runtime
    _runtime = new
