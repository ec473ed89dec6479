"""Customers' addresses and names stay out of CloudWatch unless LOG_PERSONAL_DATA=true.

The scenario runs the services through a bounce, whose reason quotes the dead address at INFO (the
escalation line) and WARNING (email skipped), plus an SES notification too broken to read (logged whole at
ERROR), and reads every line they log the way Powertools writes it to CloudWatch.
"""

from __future__ import annotations

import ast
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from relance import config, observability
from relance.observability import (
    MASKED,
    MASKED_EMAIL,
    PERSONAL_DATA_FILTER,
    mask_personal_data,
    mask_personal_data_in,
)
from relance.services.feedback import record_feedback
from relance_tools.replay import MemoryPipeline

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "jeanne.martin@perso.example"
NAME = "Jeanne Martin"
CUSTOMERS = f"customer_id;name;email;language;kind\nC1;{NAME};{EMAIL};fr;consumer\n".encode()
INVOICES = (
    b"invoice_id;customer_id;issue_date;due_date;currency;total\nF1;C1;01/01/2026;02/02/2026;EUR;1200,00\n"
)
# The layer's logger and the handlers' (same service): where the filter sits in a function.
LOGGERS = (observability.logger.name, observability.logger.service)


def bounce(message_id: str) -> str:
    """SES's record of a permanent bounce, quoting the address as receiving servers do."""
    return json.dumps(
        {
            "eventType": "Bounce",
            "mail": {
                "timestamp": "2026-02-03T08:00:00Z",
                "messageId": message_id,
                "destination": [EMAIL],
                "commonHeaders": {"to": [f"{NAME} <{EMAIL}>"]},
                "tags": {"customer_id": ["C1"]},
            },
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "timestamp": "2026-02-03T08:00:00Z",
                "feedbackId": "feedback-1",
                "bouncedRecipients": [
                    {"emailAddress": EMAIL, "diagnosticCode": f"smtp; 550 5.1.1 <{EMAIL}>: no such user"}
                ],
            },
        }
    )


@contextmanager
def captured() -> Iterator[list[logging.LogRecord]]:
    """Every record that reaches the root logger, as a handler there would receive it."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(level=logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def run_scenario() -> None:
    pipeline = MemoryPipeline.start(date(2026, 1, 5))
    pipeline.upload("incoming/customers/customers.csv", CUSTOMERS)
    pipeline.upload("incoming/invoices/invoices.csv", INVOICES)
    day = date(2026, 1, 5)
    while day <= date(2026, 3, 6):
        pipeline.run_day(day)
        if day == date(2026, 2, 3):
            (sent,) = pipeline.ctx.mailer.sent
            record_feedback(pipeline.ctx, bounce(sent.message_id))
            record_feedback(pipeline.ctx, bounce(sent.message_id).replace('"messageId"', '"id"'))
        day += timedelta(days=1)


def written(records: list[logging.LogRecord]) -> list[tuple[int, str]]:
    formatter = LambdaPowertoolsFormatter()
    return [(record.levelno, formatter.format(record)) for record in records]


@pytest.fixture(scope="module")
def masked_lines() -> list[tuple[int, str]]:
    """The scenario's lines as a deployed function writes them (LOG_PERSONAL_DATA unset)."""
    with captured() as records:
        run_scenario()
    return written(records)


@pytest.fixture(scope="module")
def raw_lines() -> list[tuple[int, str]]:
    """The same lines without the filter: what LOG_PERSONAL_DATA=true writes."""
    had = [name for name in LOGGERS if PERSONAL_DATA_FILTER in logging.getLogger(name).filters]
    for name in had:
        logging.getLogger(name).removeFilter(PERSONAL_DATA_FILTER)
    try:
        with captured() as records:
            run_scenario()
    finally:
        for name in had:  # as the layer's import left them
            logging.getLogger(name).addFilter(PERSONAL_DATA_FILTER)
    return written(records)


def test_no_line_of_the_scenario_names_the_customer_or_her_address(
    masked_lines: list[tuple[int, str]],
) -> None:
    assert len(masked_lines) > 20
    leaking = [line for _, line in masked_lines if "jeanne" in line.lower() or "Martin" in line]
    assert leaking == []
    skipped = [json.loads(line) for _, line in masked_lines if '"email skipped"' in line]
    assert skipped
    assert all(f"no email to {MASKED_EMAIL} until" in line["reason"] for line in skipped)
    (unreadable,) = [json.loads(line) for _, line in masked_lines if "unreadable SES notification" in line]
    assert unreadable["sns_message"] == MASKED


def test_without_the_filter_the_same_lines_carry_the_address(raw_lines: list[tuple[int, str]]) -> None:
    """What the filter removes: the address at INFO, WARNING and ERROR, the name in the raw notification."""
    carrying = {level for level, line in raw_lines if EMAIL in line}
    assert {logging.INFO, logging.WARNING, logging.ERROR} <= carrying
    assert any(NAME in line for _, line in raw_lines)


def test_the_handlers_lines_and_exceptions_are_masked_too() -> None:
    """A handler logs through the parent of the layer's logger (functions/worker/app.py: "customer
    processed", "customer failed" with its traceback)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(LambdaPowertoolsFormatter())
    handler_logger = logging.getLogger(observability.logger.service)
    handler_logger.addHandler(handler)
    try:
        handler_logger.warning(
            "customer processed", extra={"customer_id": "C1", "reason": f"no email to {EMAIL}"}
        )
        try:
            raise ValueError(f"SES answered MessageRejected: {EMAIL} is not verified")
        except ValueError:
            handler_logger.exception("customer failed", extra={"customer_id": "C1"})
        observability.logger.info("hold", extra={"customer_id": "C1", "contact_name": NAME})
    finally:
        handler_logger.removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["customer processed", "customer failed", "hold"]
    assert EMAIL not in stream.getvalue()
    assert NAME not in stream.getvalue()
    assert lines[1]["exception_name"] == "ValueError"
    refusal = f"ValueError: SES answered MessageRejected: {MASKED_EMAIL} is not verified"
    assert refusal in lines[1]["exception"]
    assert lines[2]["contact_name"] == MASKED


def test_addresses_are_masked_anywhere_in_a_line_and_personal_fields_blanked() -> None:
    line = {
        "message": f"SES answered MessageRejected: identities failed the check: {EMAIL}, b@x.example",
        "customer_id": "C1",
        "escalation": {"reason": f"no email to {EMAIL}", "invoice_ids": ["F1"], "amount_due": "12.00"},
        "name": NAME,
        "recipients": [EMAIL],
        "sns_message": '{"to": ["Jeanne Martin"]}',
        "cc": [],
        "count": 3,
        "message_id": "0100018f00000001-000000",
    }

    assert mask_personal_data(line) == {
        "message": f"SES answered MessageRejected: identities failed the check: {MASKED_EMAIL}, "
        f"{MASKED_EMAIL}",
        "customer_id": "C1",
        "escalation": {"reason": f"no email to {MASKED_EMAIL}", "invoice_ids": ["F1"], "amount_due": "12.00"},
        "name": MASKED,
        "recipients": MASKED,
        "sns_message": MASKED,
        "cc": [],
        "count": 3,
        "message_id": "0100018f00000001-000000",
    }


@pytest.mark.parametrize(
    ("value", "reveal"),
    [(None, False), ("false", False), ("", False), ("yes", False), ("true", True), (" TRUE ", True)],
)
def test_only_a_clear_true_lets_personal_data_through(
    monkeypatch: pytest.MonkeyPatch, value: str | None, reveal: bool
) -> None:
    environment = {} if value is None else {"LOG_PERSONAL_DATA": value}
    assert config.log_personal_data(environment) is reveal
    # What the layer does at import, in a function whose stack says `value`.
    monkeypatch.delenv("LOG_PERSONAL_DATA", raising=False)
    if value is not None:
        monkeypatch.setenv("LOG_PERSONAL_DATA", value)
    target = logging.getLogger(f"relance-test-masking-{value}")
    monkeypatch.setattr(target, "filters", [])
    mask_personal_data_in(target.name)
    assert (PERSONAL_DATA_FILTER in target.filters) is not reveal


def test_the_stack_setting_rejects_a_value_it_cannot_read() -> None:
    environment = {
        "CUSTOMERS_TABLE": "c",
        "INVOICES_TABLE": "i",
        "EVENTS_TABLE": "e",
        "BUCKET_NAME": "b",
        "SENDER_EMAIL": "relances@creditor.example",
        "COMPANY_NAME": "Créancier SAS",
    }
    assert config.Settings.from_env(environment).log_personal_data is False
    assert config.Settings.from_env({**environment, "LOG_PERSONAL_DATA": "true"}).log_personal_data is True
    with pytest.raises(config.ConfigError, match="LOG_PERSONAL_DATA='yes' must be true or false"):
        config.Settings.from_env({**environment, "LOG_PERSONAL_DATA": "yes"})


HANDLERS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))


def test_the_handlers_are_found() -> None:
    assert set(HANDLERS) >= {"ingest", "planner", "worker", "feedback"}


@pytest.mark.parametrize("handler", HANDLERS)
def test_every_handler_logs_as_the_service_the_filter_sits_on(handler: str) -> None:
    """A handler Logger named otherwise (service="...") would be a logger the filter is not on."""
    tree = ast.parse((ROOT / "functions" / handler / "app.py").read_text(encoding="utf-8"))
    loggers = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Logger"
    ]
    assert len(loggers) == 1, handler
    assert not {keyword.arg for keyword in loggers[0].keywords} & {"service", "child", "logger_handler"}
