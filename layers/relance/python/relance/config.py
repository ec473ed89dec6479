"""The stack's configuration, read from the environment that template.yaml gives every function."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time


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
            due_shards=integer("DUE_SHARDS", 4),
            notice_retention_days=integer("NOTICE_RETENTION_DAYS", 1826),
            interest_rate_mode=_rate_mode(env.get("INTEREST_RATE_MODE", "split")),
            object_lock_mode=_lock_mode(env.get("OBJECT_LOCK_MODE", "GOVERNANCE")),
            digest_recipients=_addresses(env.get("DIGEST_RECIPIENTS", "")),
        )


def _rate_mode(raw: str) -> str:
    mode = raw.strip().lower() or "split"
    if mode not in {"split", "fixed"}:
        raise ConfigError(f"INTEREST_RATE_MODE={raw!r} must be split or fixed")
    return mode


def _lock_mode(raw: str) -> str:
    mode = raw.strip().upper() or "GOVERNANCE"
    if mode not in {"GOVERNANCE", "COMPLIANCE"}:
        raise ConfigError(f"OBJECT_LOCK_MODE={raw!r} must be GOVERNANCE or COMPLIANCE")
    return mode


def _addresses(raw: str) -> tuple[str, ...]:
    """Comma-separated addresses. Checked where they are used (the digest names a bad one in its log and
    record) rather than here: every function reads the settings, and a typo in who receives the digest
    must not stop the dunning."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())
