"""Sends rendered MIME messages through SES v2, raw, so that attachments and headers are ours."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ParamValidationError,
    ReadTimeoutError,
)

from relance.ports import SendRefused, SendRejected, SendUncertain

# This message cannot go, whatever the retries: an address or the content is wrong, or the sender is not
# verified. The attempt is logged as failed and the claim released.
_REJECTED = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "BadRequestException",
    "NotFoundException",
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "ValidationException",
}
# A server error after the request arrived: SES may have accepted the message before failing.
_UNCERTAIN = {"InternalFailure", "InternalServerError", "InternalError", "InternalFailureException"}


def classify(exc: ClientError) -> SendRejected | SendRefused | SendUncertain:
    """What an SES error says of the message: never sent (rejected or refused) or perhaps sent.

    SES checks a request (credentials, permissions, limits, parameters) before it accepts the message, so
    any refusal or client error means nothing left; a 503 means the request was not processed at all. Only
    another server error can come after acceptance. Permission and credential errors are refusals to retry
    (and alarm on), never holds: one IAM mistake must not hold every customer due.
    """
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    text = f"SES answered {code or status}: {error.get('Message')}"
    if code in _REJECTED:
        return SendRejected(text)
    if code in _UNCERTAIN or (
        status >= 500 and status != 503 and code not in {"ServiceUnavailable", "Throttling"}
    ):
        return SendUncertain(text)
    return SendRefused(text)


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
            raise classify(exc) from exc
        except ParamValidationError as exc:
            raise SendRejected(f"the request to SES is malformed, nothing was sent: {exc}") from exc
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            # The request went out and the connection died before the answer: the message may have left.
            raise SendUncertain(f"no answer from SES after sending: {exc}") from exc
        except BotoCoreError as exc:
            # Unreachable, a connect timeout, no credentials: nothing reached SES.
            raise SendRefused(f"SES could not be reached: {exc}") from exc
        return str(response["MessageId"])


def _tag_value(value: str) -> str:
    # SES tag values allow only ASCII letters, digits, '_', '-', '.' and '@'.
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", value)[:256]
