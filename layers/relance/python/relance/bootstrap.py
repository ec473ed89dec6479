"""The composition root: builds adapters from the environment, once per process, on first use.

Nothing here runs at import time, so a handler module imports fast and tests can bind another stack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.config import Config

from relance.adapters.bus import EventBusPublisher
from relance.adapters.dynamo.binding import bind_tables
from relance.adapters.dynamo.repositories import CustomerStore, EventStore, InvoiceStore
from relance.adapters.mailer import SesMailer
from relance.adapters.queue import WorkQueue
from relance.adapters.store import S3Store
from relance.assets import asset_dir
from relance.config import Settings
from relance.domain.calendar import BusinessCalendar, SendingWindow
from relance.domain.models import Customer
from relance.domain.policy import Policy
from relance.domain.selection import (
    PolicyDefaults,
    SelectionError,
    SelectionRule,
    rules_from_mapping,
    select_policy,
)
from relance.policies import get_policy, load_policies

# Profile rules live beside the policies, in a folder of their own so that the policy loader, which reads
# every policies/*.yaml as a policy, never mistakes them for one.
SELECTION_FILE = Path("selection") / "rules.yaml"

Clock = Callable[[], datetime]
# No automatic retry for SES: a request retried after a lost answer could send the same email twice. The
# worker decides instead (SendRefused: retry later; SendUncertain: hold for a person).
_CLIENT_CONFIGS = {"sesv2": Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)}


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = system_clock
    _clients: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bind_tables(self.settings)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, region_name=self.settings.region, config=_CLIENT_CONFIGS.get(service)
            )
        return self._clients[service]

    @cached_property
    def calendar(self) -> BusinessCalendar:
        window = SendingWindow(self.settings.window_opens, self.settings.window_closes)
        return BusinessCalendar(self.settings.country, self.settings.timezone, window=window)

    @cached_property
    def customers(self) -> CustomerStore:
        return CustomerStore()

    @cached_property
    def invoices(self) -> InvoiceStore:
        return InvoiceStore()

    @cached_property
    def events(self) -> EventStore:
        return EventStore()

    @cached_property
    def mailer(self) -> SesMailer:
        return SesMailer(self.client("sesv2"), self.settings.configuration_set)

    @cached_property
    def store(self) -> S3Store:
        return S3Store(self.client("s3"), self.settings.bucket)

    @cached_property
    def queue(self) -> WorkQueue:
        return WorkQueue(self.client("sqs"), self.settings.work_queue_url)

    @cached_property
    def bus(self) -> EventBusPublisher:
        return EventBusPublisher(self.client("events"), self.settings.event_bus)

    def retain_until(self, day: date) -> datetime:
        """Evidence stored on `day` stays under Object Lock until then (the stack's retention setting)."""
        return datetime.combine(
            day + timedelta(days=self.settings.notice_retention_days), time(0), tzinfo=UTC
        )

    def policy_for(self, customer: Customer) -> Policy:
        """The customer's own policy when set, else the first profile rule that matches, else the stack's
        default for its kind."""
        defaults = PolicyDefaults(self.settings.default_policy, self.settings.consumer_policy)
        return get_policy(select_policy(customer, load_selection_rules(), defaults))


@cache
def load_selection_rules(directory: Path | None = None) -> tuple[SelectionRule, ...]:
    """The rules of policies/selection/rules.yaml (none without the file), checked once per process."""
    folder = directory or asset_dir("policies")
    path = folder / SELECTION_FILE
    if not path.is_file():
        return ()
    source = SELECTION_FILE.as_posix()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SelectionError(f"{source}: not valid YAML: {exc}") from exc
    return rules_from_mapping(data, source, known_policies=set(load_policies(directory)))


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
