"""`relance interest`: the command line over compute_claim, as JSON or as a table, with one-line errors."""

from __future__ import annotations

import argparse
import json

import pytest

from relance_tools.cli import interest
from relance_tools.cli.errors import CliError

WORKED_EXAMPLE = [
    "interest",
    "--jurisdiction",
    "FR",
    "--amount",
    "12000.00",
    "--currency",
    "EUR",
    "--due",
    "2025-03-15",
    "--paid",
    "2025-09-30",
]


def run(argv):
    # Only this module's sub-command: the lead wires it into relance_tools.cli.main.
    parser = argparse.ArgumentParser(prog="relance")
    interest.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_json_output_of_the_worked_example(capsys):
    assert run([*WORKED_EXAMPLE, "--json"]) == 0

    output = json.loads(capsys.readouterr().out)

    assert {
        "periods",
        "interest",
        "indemnity",
        "total_claim",
        "currency",
        "basis",
        "warnings",
    } <= output.keys()
    assert output["periods"] == [
        {"from": "2025-03-16", "to": "2025-06-30", "days": 107, "rate": "13.15", "balance": "12000.00",
         "interest": "462.59"},
        {"from": "2025-07-01", "to": "2025-09-30", "days": 92, "rate": "12.15", "balance": "12000.00",
         "interest": "367.50"},
    ]  # fmt: skip
    assert output["interest"] == "830.09"
    assert output["indemnity"] == "40.00"
    assert output["total_claim"] == "870.09"
    assert output["currency"] == "EUR"
    assert output["basis"] == ["Code de commerce, art. L441-10", "Code de commerce, art. D441-5"]
    assert output["warnings"] == []


def test_json_amounts_are_strings_never_floats(capsys):
    run([*WORKED_EXAMPLE, "--json"])

    def leaves(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        elif isinstance(value, list):
            for item in value:
                yield from leaves(item)
        else:
            yield value

    assert not any(isinstance(leaf, float) for leaf in leaves(json.loads(capsys.readouterr().out)))


def test_fixed_rate_mode_and_part_payments_from_the_command_line(capsys):
    run([*WORKED_EXAMPLE, "--rate-mode", "fixed", "--json"])
    assert json.loads(capsys.readouterr().out)["interest"] == "860.33"

    run([*WORKED_EXAMPLE[:-2], "--as-of", "2025-07-31", "--payment", "2025-06-30:2000.00", "--json"])
    output = json.loads(capsys.readouterr().out)
    assert [p["balance"] for p in output["periods"]] == ["12000.00", "10000.00"]
    assert output["principal_due"] == "10000.00"


def test_french_consumer_example_from_the_command_line(capsys):
    argv = ["interest", "--jurisdiction", "FR-B2C", "--amount", "12000.00", "--due", "2025-03-15"]
    run([*argv, "--paid", "2025-09-30", "--notice-date", "2025-04-10", "--json"])

    output = json.loads(capsys.readouterr().out)

    assert [p["interest"] for p in output["periods"]] == ["98.80", "83.48"]
    assert (output["interest"], output["indemnity"], output["total_claim"]) == ("182.28", "0.00", "182.28")


def test_table_output_is_aligned_and_totals_the_claim(capsys):
    run(WORKED_EXAMPLE)

    lines = capsys.readouterr().out.splitlines()

    table = [line for line in lines if line.startswith(("From", "2025-"))]
    assert table == [
        "From        To          Days  Rate %   Balance  Interest",
        "2025-03-16  2025-06-30   107   13.15  12000.00    462.59",
        "2025-07-01  2025-09-30    92   12.15  12000.00    367.50",
    ]
    assert "Interest            830.09 EUR" in lines
    assert "Recovery indemnity   40.00 EUR" in lines
    assert "Total claim         870.09 EUR" in lines


def test_a_waiver_shows_what_was_waived(capsys):
    run([*WORKED_EXAMPLE, "--waive", "good payer"])

    out = capsys.readouterr().out

    assert "(waived 830.09)" in out
    assert "Waived (customer): good payer" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--due", "2025-02-30"], "--due '2025-02-30' is not a date written YYYY-MM-DD"),
        (["--due", "15/03/2025"], "--due '15/03/2025' is not a date written YYYY-MM-DD"),
        (["--amount=-12000.00"], "--amount must not be negative"),
        (["--amount", "12k"], "--amount: amount '12k' is not a number"),
        (["--amount", "12000.001"], "invoice amount 12000.001 has more decimals than EUR allows"),
        (
            ["--as-of", "2025-09-30"],
            "give either --paid (paid in full that day) or --as-of (still unpaid), not both",
        ),
        (["--jurisdiction", "ES"], "--jurisdiction 'ES' is not one of FR, FR-B2C, DE, DE-B2C, UK"),
        (["--rate-mode", "daily"], "--rate-mode 'daily' is not split or fixed"),
        (["--currency", "EURO"], "--currency: currency 'EURO' is not an ISO 4217 code"),
        (["--payment", "2025-05-01"], "must be written DATE:AMOUNT"),
        (["--payment", "2025-10-01:100.00"], "--payment dated 2025-10-01 is after --paid 2025-09-30"),
        (["--paid", "2026-07-15"], "no ECB main refinancing rate for 2026-H2 in rates/fr.yaml"),
        (["--waive", " "], "--waive needs a reason"),
    ],
)
def test_bad_input_is_one_specific_line(change, message):
    argv = [*WORKED_EXAMPLE, *change]

    with pytest.raises(CliError) as caught:
        run(argv)

    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unverified_rates_need_the_explicit_flag(capsys):
    argv = [
        "interest",
        "--jurisdiction",
        "DE",
        "--amount",
        "1000.00",
        "--due",
        "2026-06-30",
        "--as-of",
        "2026-07-10",
    ]
    with pytest.raises(CliError, match="unverified"):
        run(argv)

    run([*argv, "--allow-unverified", "--json"])

    output = json.loads(capsys.readouterr().out)
    assert output["periods"][0]["rate"] == "10.52"
    assert any("unverified" in warning for warning in output["warnings"])
