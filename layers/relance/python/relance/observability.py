"""The escalation log as people read it in CloudWatch: one structured line and one metric per action.

Log lines name customers by their id. Whatever a line carries, PersonalDataFilter replaces email addresses
wherever they appear (message, extras, exception text) and blanks the fields that hold names, addresses or
whole messages, unless LOG_PERSONAL_DATA=true: an SES refusal quoting the recipient, a bounced address in a
reason, an exception's text stay out of CloudWatch. It sits on the layer's logger (every service logs
through it) and on the handlers' Logger of the same service, so the handlers need not know about it.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from relance.config import log_personal_data

# A child of the handler's Logger: same service name, same JSON format, same Lambda context keys.
logger = Logger(child=True)
# The message of every journal line; the saved queries and the dashboard filter on it.
JOURNAL_MESSAGE = "journal"

# Addresses in free text (an SES refusal, a contact-status reason). The domain goes too: a family's own
# domain names the family; the customer_id on the same line is how a person finds the address. Bounded like
# the parts of an address (64 before the @, 63 a label) so that a long run of such characters (a base64
# blob in an exception) costs a linear scan, not a quadratic one.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}")
# Fields whose whole value is personal (names, postal addresses, phone numbers, recipients) or may be (a
# raw notification or message): a name has no pattern to find it by, so it is kept out by its field.
PERSONAL_FIELDS = frozenset(
    {
        "name",
        "customer_name",
        "contact_name",
        "display_name",
        "email",
        "emails",
        "address",
        "addresses",
        "phone",
        "to",
        "cc",
        "bcc",
        "recipient",
        "recipients",
        "destination",
        "sns_message",
        "raw",
        "body",
    }
)
MASKED = "<masked>"
# A line's `customer_kind`: a company's name is not personal data and is shown in the journal, where a
# finance team reads who each entry concerns; a person's (a consumer, an entrepreneur individuel) is masked.
COMPANY = "company"
PERSON = "person"
MASKED_EMAIL = "<email>"
# The attributes every LogRecord has: what is not one of them came in `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def mask_text(text: str) -> str:
    """`text` with every email address replaced: "no email to jo@x.example" -> "no email to <email>"."""
    return _EMAIL.sub(MASKED_EMAIL, text) if "@" in text else text


def _mask_field(key: Any, value: Any) -> Any:
    empty = value is None or (isinstance(value, str | list | tuple | dict | set) and not value)
    if str(key).lower() in PERSONAL_FIELDS and not empty:
        return MASKED
    return mask_personal_data(value)


def mask_personal_data(value: Any) -> Any:
    """A log line's value with its personal data masked, at any depth; other values unchanged."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {key: _mask_field(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_personal_data(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    # Anything else is written as its str() (Powertools' json_default): mask that text.
    return mask_text(str(value))


class PersonalDataFilter(logging.Filter):
    """Masks a record's personal data in place, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg, record.args = mask_text(record.getMessage()), None
        else:
            record.msg = mask_personal_data(record.msg)  # Powertools logs a dict (an event) as it is
        company = getattr(record, "customer_kind", None) == COMPANY
        for key, value in list(vars(record).items()):
            if key == "customer_name" and company:
                continue
            if key not in _RECORD_ATTRIBUTES:
                setattr(record, key, _mask_field(key, value))
        if record.exc_info and record.exc_info[0] is not None:
            # The traceback's text carries the exception's message: Powertools prints an `exception` extra
            # in its stead, masked; the structured stack trace (values unmasked) goes with exc_info.
            record.exception = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exception_name = record.exc_info[0].__name__
            record.exc_info, record.exc_text = None, None
        return True


PERSONAL_DATA_FILTER = PersonalDataFilter()


def mask_personal_data_in(*names: str) -> None:
    """Puts the filter on these loggers (once each), unless LOG_PERSONAL_DATA=true."""
    if log_personal_data():
        return
    for name in names:
        target = logging.getLogger(name)
        if PERSONAL_DATA_FILTER not in target.filters:
            target.addFilter(PERSONAL_DATA_FILTER)


# The layer's child logger (every service's line) and its parent, the handlers' Logger of the same service
# (their own lines and log_event). A filter acts only on records made by its own logger, hence both.
mask_personal_data_in(logger.name, logger.service)


def event_fields(event: Any) -> dict[str, Any]:
    """The fields of an escalation event that a person filters on in Logs Insights."""
    return {
        "customer_id": event.customer_id,
        "kind": event.kind.value,
        "step": event.step,
        "channels": list(event.channels),
        "outcome": event.outcome.value,
        "reason": event.reason,
        "invoice_ids": list(event.invoice_ids),
        "currency": event.currency,
        "amount_due": str(event.amount) if event.amount is not None else None,
        "message_id": event.message_id,
        "notice_keys": [notice.key for notice in event.notices],
        "run_id": event.run_id,
        "occurred_on": event.occurred_on.isoformat(),
    }


def log_escalation(event: Any) -> None:
    logger.info("escalation", extra={"escalation": event_fields(event)})
    count_metric("Escalations", step=event.step or event.kind.value, outcome=event.outcome.value)


def log_journal(line: Mapping[str, Any]) -> None:
    """One entry of the escalation log as the journal log group keeps it (relance.services.journal)."""
    logger.info(JOURNAL_MESSAGE, extra=dict(line))


def count_metric(name: str, value: float = 1, **dimensions: str) -> None:
    """One EMF metric line. Without a namespace (a replay, a test) there is no CloudWatch to count for: the
    metric is dropped rather than failing the work it measures."""
    if not os.environ.get("POWERTOOLS_METRICS_NAMESPACE"):
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)


def gauge_metric(name: str, value: Decimal | int, unit: str = "None", **dimensions: str) -> None:
    """One EMF metric line for a level measured now (an amount owed, a number of days), not an event counted.

    `unit` is CloudWatch's ("None" for amounts and days, "Count" for numbers of things). Amounts are Decimal
    everywhere else; CloudWatch keeps doubles, so the conversion happens here, at the boundary, only.
    """
    if not os.environ.get("POWERTOOLS_METRICS_NAMESPACE"):
        return
    with single_metric(name=name, unit=MetricUnit(unit), value=float(value)) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)
