"""Pacing the sends to the account's SES rate: each worker instance waits for its share, on any clock."""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage

import pytest

from relance.adapters.memory import MemoryMailer
from relance.adapters.memory.outbox import SendRateLimit
from relance.adapters.pacing import PacedMailer, TokenBucket, recipients
from relance.bootstrap import Runtime
from relance.config import ConfigError, Settings
from relance.ports import SendRefused


class FakeTime:
    """A clock that moves only when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def message(to: str = "compta@client.example", cc: str | None = None) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "relances@creditor.example"
    mail["To"] = to
    if cc:
        mail["Cc"] = cc
    mail["Subject"] = "Relance"
    mail.set_content("Bonjour")
    return mail


def test_a_full_bucket_sends_at_once_then_each_send_waits_its_interval():
    time = FakeTime()
    bucket = TokenBucket(4.0, clock=time.clock, sleep=time.sleep)

    waits = [bucket.take() for _ in range(5)]

    assert waits == [0.0, 0.25, 0.25, 0.25, 0.25]
    assert time.now == pytest.approx(101.0)


def test_time_spent_elsewhere_counts_toward_the_next_send_but_never_saves_up_a_burst():
    time = FakeTime()
    bucket = TokenBucket(2.0, clock=time.clock, sleep=time.sleep)
    bucket.take()
    time.now += 0.3  # rendering and storing took 0.3 s of the 0.5 s interval

    assert bucket.take() == pytest.approx(0.2)

    time.now += 60  # an idle minute
    assert [bucket.take(), bucket.take()] == [0.0, pytest.approx(0.5)]


def test_a_message_to_several_recipients_waits_for_each_of_them():
    time = FakeTime()
    bucket = TokenBucket(2.0, clock=time.clock, sleep=time.sleep)
    bucket.take()

    assert bucket.take(3) == pytest.approx(1.5)
    assert bucket.take() == pytest.approx(0.5)


def test_a_bucket_needs_a_positive_rate():
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(0)


def test_recipients_are_the_to_and_cc_addresses_ses_counts():
    assert recipients(message()) == 1
    assert recipients(message("a@x.example, B <b@x.example>", cc="c@x.example")) == 3


def test_the_paced_mailer_waits_before_handing_each_message_to_the_mailer():
    time = FakeTime()
    sent_at: list[float] = []

    class Recording:
        def send(self, mail: EmailMessage, tags: Mapping[str, str] | None = None) -> str:
            sent_at.append(time.now)
            return f"id-{len(sent_at)}"

    mailer = PacedMailer(Recording(), TokenBucket(10.0, clock=time.clock, sleep=time.sleep))

    ids = [mailer.send(message(), {"customer": "C1"}) for _ in range(3)]

    assert ids == ["id-1", "id-2", "id-3"]
    assert [round(at - 100, 6) for at in sent_at] == [0.0, 0.1, 0.2]


def test_the_simulated_ses_refuses_beyond_its_rate_and_accepts_again_once_time_passes():
    time = FakeTime()
    ses = SendRateLimit(rate=2.0, clock=time.clock)
    mailer = MemoryMailer(gate=ses)
    mailer.send(message())
    mailer.send(message())

    with pytest.raises(SendRefused):
        mailer.send(message())
    time.now += 0.5
    mailer.send(message())

    assert (ses.accepted, ses.refused, len(mailer.sent)) == (3, 1, 3)


def test_a_paced_mailer_is_never_refused_by_an_ses_of_the_same_rate():
    time = FakeTime()
    ses = SendRateLimit(rate=5.0, clock=time.clock, burst=1.0)
    paced = PacedMailer(MemoryMailer(gate=ses), TokenBucket(5.0, clock=time.clock, sleep=time.sleep))

    for _ in range(50):
        paced.send(message())

    assert ses.refused == 0
    assert time.now - 100 == pytest.approx(49 / 5)


def settings(**env: str) -> Settings:
    base = {
        "CUSTOMERS_TABLE": "c",
        "INVOICES_TABLE": "i",
        "EVENTS_TABLE": "e",
        "BUCKET_NAME": "b",
        "SENDER_EMAIL": "relances@creditor.example",
        "COMPANY_NAME": "Créancier SAS",
    }
    return Settings.from_env({**base, **env})


def test_each_worker_instance_takes_its_share_of_the_send_rate():
    assert settings(SES_SEND_RATE="14", WORKER_CONCURRENCY="4").send_rate_per_worker == 3.5
    assert settings().send_rate_per_worker is None


@pytest.mark.parametrize("raw", ["fast", "0", "-3", "nan", "inf"])
def test_a_send_rate_that_is_not_a_positive_number_is_refused_by_name(raw: str):
    with pytest.raises(ConfigError, match="SES_SEND_RATE"):
        settings(SES_SEND_RATE=raw)


def test_the_runtime_paces_ses_on_the_system_clock_only():
    paced = Runtime(settings(SES_SEND_RATE="10", WORKER_CONCURRENCY="5"))
    paced._clients["sesv2"] = object()
    simulated = Runtime(paced.settings, clock=lambda: paced.clock())
    simulated._clients["sesv2"] = object()
    unset = Runtime(settings())
    unset._clients["sesv2"] = object()

    assert isinstance(paced.mailer, PacedMailer)
    assert paced.mailer.bucket.rate == 2.0
    assert not isinstance(simulated.mailer, PacedMailer)
    assert not isinstance(unset.mailer, PacedMailer)
