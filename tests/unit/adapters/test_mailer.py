"""What the mailer tells the worker when SES fails: rejected for good, refused for now, or maybe sent."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from relance.adapters.mailer import SendRefused, SendRejected, SendUncertain, SesMailer


class FailingSes:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def send_email(self, **kwargs: Any) -> dict[str, str]:
        self.calls += 1
        raise self.error


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Créancier <relances@creditor.example>"
    mail["To"] = "Client <compta@client.example>"
    mail["Subject"] = "Relance"
    mail.set_content("Bonjour")
    return mail


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "SendEmail",
    )


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        (client_error("MessageRejected", 400), SendRejected),
        (client_error("TooManyRequestsException", 429), SendRefused),
        (client_error("SendingPausedException", 400), SendRefused),
        (EndpointConnectionError(endpoint_url="https://email.eu-west-3.amazonaws.com"), SendRefused),
        (client_error("InternalFailure", 500), SendUncertain),
        (ReadTimeoutError(endpoint_url="https://email.eu-west-3.amazonaws.com"), SendUncertain),
    ],
)
def test_each_ses_failure_says_whether_the_message_may_have_left(error: Exception, meaning: type[Exception]):
    ses = FailingSes(error)

    with pytest.raises(meaning):
        SesMailer(ses, None).send(message())

    assert ses.calls == 1


def test_the_ses_client_never_retries_on_its_own():
    """A retry after a lost answer could send twice: only the worker decides to try again."""
    from relance.bootstrap import _client_config

    assert _client_config("sesv2").retries["total_max_attempts"] == 1
