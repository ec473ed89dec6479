"""Sends rendered MIME messages through SES v2, raw, so that attachments and headers are ours."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
)

# SES errors that no retry will fix: the message or an address is wrong, or the sender is not allowed.
_PERMANENT = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "BadRequestException",
    "NotFoundException",
}
# SES said no for now: nothing was sent, a later attempt may go through.
_REFUSED_FOR_NOW = {
    "TooManyRequestsException",
    "Throttling",
    "ThrottlingException",
    "LimitExceededException",
    "SendingPausedException",
    "AccountSuspendedException",
}


class SendRejected(RuntimeError):
    """SES refused the message for good; nothing was sent."""


class SendRefused(RuntimeError):
    """SES did not take the message this time (throttled, paused, unreachable); nothing was sent."""


class SendUncertain(RuntimeError):
    """The request may have reached SES and the answer was lost: the message may have left.

    Retrying could send it twice, so the caller keeps the dispatch claimed and a person checks.
    """


class SesMailer:
    def __init__(self, client: Any, configuration_set: str | None) -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(self, message: EmailMessage, tags: dict[str, str] | None = None) -> str:
        """Returns SES's message id. Recipients come from the message's own To and Cc headers.

        `tags` travel with SES's delivery, bounce and complaint events, so feedback finds the customer.
        """
        recipients = [
            address for _, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))
        ]
        _, sender = getaddresses([message["From"]])[0]
        kwargs: dict[str, Any] = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": recipients},
            "Content": {"Raw": {"Data": message.as_bytes()}},
        }
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        if tags:
            kwargs["EmailTags"] = [{"Name": name, "Value": _tag_value(value)} for name, value in tags.items()]
        try:
            response = self._client.send_email(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            text = f"SES answered {code}: {exc.response.get('Error', {}).get('Message')}"
            if code in _PERMANENT:
                raise SendRejected(text) from exc
            if code in _REFUSED_FOR_NOW:
                raise SendRefused(text) from exc
            # A server error after the request arrived: SES may have accepted the message before failing.
            raise SendUncertain(text) from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise SendRefused(f"SES could not be reached: {exc}") from exc
        except BotoCoreError as exc:
            raise SendUncertain(f"no answer from SES after sending: {exc}") from exc
        return str(response["MessageId"])


def _tag_value(value: str) -> str:
    # SES tag values allow only ASCII letters, digits, '_', '-', '.' and '@'.
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", value)[:256]
