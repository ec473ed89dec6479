"""The stack's configuration, read from the environment that template.yaml gives every function."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

# The daily index's partitions the planner reads, whatever DUE_SHARDS says now: items keep the shard they were
# written with, so a lowered DUE_SHARDS must not hide them (template.yaml's DueShards MaxValue is this).
# Sixteen partitions take 16,000 index writes a second, far beyond a daily run paced to SES (docs/scale.md);
# each one more is a Query of both indexes every day, for ever.
MAX_DUE_SHARDS = 16


class ConfigError(RuntimeError):
    """A missing or malformed setting, named with the environment variable to set."""


@dataclass(frozen=True)
class Company:
    """The creditor, as it signs its messages and letters."""

    name: str
    siren: str
    address: tuple[str, ...]
    iban: str | None
    phone: str | None
    reply_to: str


@dataclass(frozen=True)
class ConsumerMediator:
    """The consumer mediator a consumer may refer a dispute to, named on every consumer notice (Code de la
    consommation, art. L616-1). Set as CONSUMER_MEDIATOR="name | https://site"."""

    name: str
    url: str


@dataclass(frozen=True)
class Settings:
    region: str
    customers_table: str
    invoices_table: str
    events_table: str
    bucket: str
    work_queue_url: str
    event_bus: str
    sender_email: str
    configuration_set: str | None
    company: Company
    country: str
    timezone: str
    window_opens: time
    window_closes: time
    default_policy: str
    consumer_policy: str
    due_shards: int
    notice_retention_days: int
    # French B2B: "split" takes each half-year's rate (the default reading of L441-10); "fixed" keeps the
    # rate of the half-year in which the invoice became late for the whole delay.
    interest_rate_mode: str = "split"
    # Object Lock on evidence: GOVERNANCE (a permitted person may lift it; the template denies that by
    # default) or COMPLIANCE (nobody may, until the retention date).
    object_lock_mode: str = "GOVERNANCE"
    # False (the default) masks email addresses and the fields that hold names in every log line.
    log_personal_data: bool = False
    # Named on consumer notices (L616-1); None until the creditor has joined a mediation scheme.
    consumer_mediator: ConsumerMediator | None = None
    # Days a registered letter is assumed to take to arrive when no receipt date is recorded: the notice's
    # deadline runs from receipt, so the suspension waits for letter date + this + the deadline.
    postal_delay_days: int = 3
    # The creditor's region where local law adds holidays: "alsace-moselle" (or FR-57, FR-67, FR-68) closes
    # Good Friday and 26 December. Not the AWS region.
    creditor_region: str | None = None
    # The account's SES maximum send rate (`aws sesv2 get-account`: SendQuota.MaxSendRate, recipients a
    # second) and the most worker instances at once (MaximumConcurrency of the queue's event source): each
    # instance paces its sends to their quotient, so that together they stay under the rate. None: unpaced.
    ses_send_rate: float | None = None
    worker_concurrency: int = 1

    @property
    def send_rate_per_worker(self) -> float | None:
        """Recipients a second one worker instance may send to; None when sends are not paced."""
        if self.ses_send_rate is None:
            return None
        return self.ses_send_rate / self.worker_concurrency

    # Who receives the morning digest (the finance team); empty: the digest is only written to the bucket.
    digest_recipients: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise ConfigError(f"environment variable {name} is not set (template.yaml sets it on deploy)")
            return value

        def optional(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def integer(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is not an integer") from None
            if value < 1:
                raise ConfigError(f"{name}={raw!r} must be 1 or more")
            return value

        window = env.get("SEND_WINDOW", "08:00-19:00")
        try:
            opens, closes = (time.fromisoformat(part.strip()) for part in window.split("-"))
        except ValueError:
            raise ConfigError(f"SEND_WINDOW={window!r} must look like 08:00-19:00") from None
        sender = need("SENDER_EMAIL")
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-3",
            customers_table=need("CUSTOMERS_TABLE"),
            invoices_table=need("INVOICES_TABLE"),
            events_table=need("EVENTS_TABLE"),
            bucket=need("BUCKET_NAME"),
            work_queue_url=optional("WORK_QUEUE_URL") or "",
            event_bus=optional("EVENT_BUS_NAME") or "",
            sender_email=sender,
            configuration_set=optional("SES_CONFIGURATION_SET"),
            company=Company(
                name=need("COMPANY_NAME"),
                siren=env.get("COMPANY_SIREN", "").strip(),
                address=tuple(
                    line.strip() for line in env.get("COMPANY_ADDRESS", "").split("|") if line.strip()
                ),
                iban=optional("COMPANY_IBAN"),
                phone=optional("COMPANY_PHONE"),
                reply_to=optional("REPLY_TO_EMAIL") or sender,
            ),
            country=env.get("COUNTRY", "FR").strip() or "FR",
            timezone=env.get("TIMEZONE", "Europe/Paris").strip() or "Europe/Paris",
            window_opens=opens,
            window_closes=closes,
            default_policy=env.get("DEFAULT_POLICY", "fr-b2b-standard").strip() or "fr-b2b-standard",
            consumer_policy=env.get("CONSUMER_POLICY", "fr-b2c").strip() or "fr-b2c",
            due_shards=_due_shards(integer("DUE_SHARDS", 4)),
            notice_retention_days=integer("NOTICE_RETENTION_DAYS", 1826),
            interest_rate_mode=_rate_mode(env.get("INTEREST_RATE_MODE", "split")),
            object_lock_mode=_lock_mode(env.get("OBJECT_LOCK_MODE", "GOVERNANCE")),
            log_personal_data=_flag("LOG_PERSONAL_DATA", env.get("LOG_PERSONAL_DATA", "false")),
            consumer_mediator=_mediator(env.get("CONSUMER_MEDIATOR", "")),
            postal_delay_days=integer("POSTAL_DELAY_DAYS", 3),
            creditor_region=_creditor_region(env.get("CREDITOR_REGION", "")),
            ses_send_rate=_send_rate(env.get("SES_SEND_RATE", "")),
            worker_concurrency=integer("WORKER_CONCURRENCY", 1),
            digest_recipients=_addresses(env.get("DIGEST_RECIPIENTS", "")),
        )


def log_personal_data(env: Mapping[str, str] | None = None) -> bool:
    """Whether log lines may carry personal data as it is; anything but a clear "true" masks it.

    Read by relance.observability at import, before any Settings exist, and never failing there: a
    malformed value masks.
    """
    env = os.environ if env is None else env
    try:
        return _flag("LOG_PERSONAL_DATA", env.get("LOG_PERSONAL_DATA", "false"))
    except ConfigError:
        return False


def _rate_mode(raw: str) -> str:
    mode = raw.strip().lower() or "split"
    if mode not in {"split", "fixed"}:
        raise ConfigError(f"INTEREST_RATE_MODE={raw!r} must be split or fixed")
    return mode


def _due_shards(shards: int) -> int:
    if shards > MAX_DUE_SHARDS:
        # Items written in a shard the planner does not read would never be dunned.
        raise ConfigError(
            f"DUE_SHARDS={shards} must be {MAX_DUE_SHARDS} or fewer (the shards the planner reads)"
        )
    return shards


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower() or "false"
    if value not in {"true", "false"}:
        raise ConfigError(f"{name}={raw!r} must be true or false")
    return value == "true"


def _lock_mode(raw: str) -> str:
    mode = raw.strip().upper() or "GOVERNANCE"
    if mode not in {"GOVERNANCE", "COMPLIANCE"}:
        raise ConfigError(f"OBJECT_LOCK_MODE={raw!r} must be GOVERNANCE or COMPLIANCE")
    return mode


def _mediator(raw: str) -> ConsumerMediator | None:
    if not raw.strip():
        return None
    name, sep, url = (part.strip() for part in raw.partition("|"))
    if not sep or not name or not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        raise ConfigError(
            f"CONSUMER_MEDIATOR={raw!r} must look like 'Médiateur XYZ | https://www.mediateur-xyz.fr'"
        )
    return ConsumerMediator(name=name, url=url)


_REGIONS = {"alsace-moselle", "fr-57", "fr-67", "fr-68"}


def _creditor_region(raw: str) -> str | None:
    region = raw.strip().lower()
    if not region:
        return None
    if region not in _REGIONS:
        raise ConfigError(f"CREDITOR_REGION={raw!r} must be empty or one of {', '.join(sorted(_REGIONS))}")
    return region


def _send_rate(raw: str) -> float | None:
    text = raw.strip()
    if not text:
        return None
    try:
        rate = float(text)
    except ValueError:
        raise ConfigError(f"SES_SEND_RATE={raw!r} is not a number (SES's maximum send rate)") from None
    if not math.isfinite(rate) or rate <= 0:
        raise ConfigError(f"SES_SEND_RATE={raw!r} must be a positive number of recipients a second")
    return rate


def _addresses(raw: str) -> tuple[str, ...]:
    """Comma-separated addresses. Checked where they are used (the digest names a bad one in its log and
    record) rather than here: every function reads the settings, and a typo in who receives the digest
    must not stop the dunning."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())
