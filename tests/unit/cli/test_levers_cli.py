"""The levers' command line: instalments and dates read strictly, one-line errors, stack resolution."""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal

import pytest

from relance.domain.models import Instalment
from relance_tools.cli import main
from relance_tools.cli.errors import CliError
from relance_tools.cli.levers import parse_date, parse_instalments
from relance_tools.cli.stack import (
    FROM_OUTPUTS,
    FROM_PARAMETERS,
    StackDescription,
    runtime_from_args,
    settings_from_stack,
)
from relance_tools.devstack import load_template, template_path


def test_instalments_are_read_from_a_list_and_from_repeated_options():
    assert parse_instalments("2026-04-10:500.00,2026-05-10:500,50", ["2026-06-10:1 000,00"]) == [
        Instalment(date(2026, 4, 10), Decimal("500.00")),
        Instalment(date(2026, 5, 10), Decimal("500.50")),
        Instalment(date(2026, 6, 10), Decimal("1000.00")),
    ]


@pytest.mark.parametrize(
    ("listed", "repeated", "message"),
    [
        (None, [], "give the instalments"),
        ("2026-04-10", [], "expected DATE:AMOUNT"),
        ("2026-04-10:", [], "expected DATE:AMOUNT"),
        ("10/04/2026:500", [], "expected a date as YYYY-MM-DD"),
        ("2026-02-30:500", [], "is not a calendar date"),
        ("2026-04-10:cinq cents", [], "is not a number"),
    ],
)
def test_a_bad_instalment_is_one_clear_error(listed, repeated, message):
    with pytest.raises(CliError, match=message):
        parse_instalments(listed, repeated)


def test_dates_are_iso_only():
    assert parse_date("2026-04-10", "--until") == date(2026, 4, 10)
    with pytest.raises(CliError, match="--until '10/04/2026': expected a date as YYYY-MM-DD"):
        parse_date("10/04/2026", "--until")


def test_a_cli_mistake_is_reported_in_one_line_before_any_aws_call(capsys: pytest.CaptureFixture[str]):
    code = main(["plan", "F1", "--instalments", "2026-04-10", "--stack", "relance-demo"])

    assert code == 2
    assert (
        capsys.readouterr().err
        == "relance plan: instalment '2026-04-10': expected DATE:AMOUNT such as 2026-04-10:500.00\n"
    )


def _args(**values: object) -> argparse.Namespace:
    base = {"stack": "relance-demo", "region": None, "profile": None, "endpoint": None}
    return argparse.Namespace(**{**base, **values})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (_args(stack=None), "--stack NAME is required"),
        (
            _args(endpoint="http://127.0.0.1:5000", profile="prod"),
            "--profile and --endpoint do not go together",
        ),
        (_args(endpoint="https://dynamodb.eu-west-3.amazonaws.com"), "only the local embedded AWS"),
    ],
)
def test_the_stack_options_are_checked(args, message):
    with pytest.raises(CliError, match=message):
        runtime_from_args(args)


def test_every_setting_the_functions_get_is_found_in_the_stacks_outputs_or_parameters():
    """template.yaml and the CLI cannot drift: each Globals variable maps to an Output or a Parameter."""
    template = load_template(template_path())
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    outputs = template["Outputs"]

    for name, value in variables.items():
        if name.startswith("POWERTOOLS_"):
            continue
        if name in FROM_PARAMETERS:
            assert value == {"Ref": FROM_PARAMETERS[name]}, name
        else:
            assert name in FROM_OUTPUTS, f"{name} is neither an Output nor a Parameter for the CLI"
            output = outputs[FROM_OUTPUTS[name]]["Value"]
            resource = "DocumentsBucket" if name == "BUCKET_NAME" else value["Ref"]
            assert output == {"Ref": resource}, name


def test_settings_are_rebuilt_from_a_stack_description():
    description = StackDescription(
        name="relance-prod",
        region="eu-west-3",
        outputs={output: f"value-of-{output}" for output in FROM_OUTPUTS.values()},
        parameters={"SenderEmail": "relances@example.fr", "CompanyName": "Atelier", "DueShards": "8"},
        tags={},
    )

    settings = settings_from_stack(description)

    assert settings.customers_table == "value-of-CustomersTableName"
    assert settings.work_queue_url == "value-of-WorkQueueUrl"
    assert settings.due_shards == 8
    assert settings.company.name == "Atelier"


def test_a_stack_that_is_not_a_relance_stack_is_named():
    description = StackDescription("other", "eu-west-3", outputs={}, parameters={}, tags={})

    with pytest.raises(CliError, match="stack other has no output CustomersTableName"):
        settings_from_stack(description)
