"""`relance rates` and `relance interest` against a rate store: fetch (from recorded responses), list,
verify, enter; and an interest computation that answers for today and says which rate it used."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

import relance_tools.cli as cli
from relance_tools.cli import interest, rates
from relance_tools.cli.errors import CliError

FIXTURES = Path(__file__).parent / "fixtures" / "rates"
RESPONSES = [
    "--response",
    f"ecb={FIXTURES / 'ecb_mrr_fr.csv'}",
    "--response",
    f"bundesbank={FIXTURES / 'bundesbank_su0115.json'}",
    "--response",
    f"boe={FIXTURES / 'boe_iudbedr.csv'}",
]
TODAY = "2026-11-28"


def run(module, argv):
    parser = argparse.ArgumentParser(prog="relance")
    module.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


def fetch(capsys) -> str:
    run(rates, ["rates", *RESPONSES, "--fetched-at", TODAY, "--today", TODAY])
    return capsys.readouterr().out


def test_rates_is_a_sub_command_of_relance():
    # build_parser() would import every command (and ssl) while sockets are refused: check the list.
    assert "rates" in cli._COMMAND_MODULES


def test_without_a_2026_h2_rate_the_listing_says_what_is_missing_and_how_to_get_it(capsys):
    run(rates, ["rates", "--today", TODAY])

    out = capsys.readouterr().out
    assert "Missing: ECB_MRO 2026-H2 has no rate; fetch it: relance rates --fetch" in out
    assert "Missing: DE_BASE 2026-H2 has only an unverified value" in out
    assert "Missing: FR_LEGAL_OTHER 2026-H2 has no rate; enter it: relance rates --set FR_LEGAL_OTHER" in out


def test_interest_for_today_fails_until_a_rate_is_fetched_then_answers_naming_it(capsys):
    argv = [
        "interest",
        "--jurisdiction",
        "FR",
        "--amount",
        "12000.00",
        "--due",
        "2026-05-31",
        "--as-of",
        TODAY,
    ]
    with pytest.raises(CliError, match=r"no ECB main refinancing rate for 2026-H2.*relance rates --fetch"):
        run(interest, argv)

    fetch(capsys)
    run(interest, argv)

    out = capsys.readouterr().out
    assert "2026-07-01  2026-11-28" in out
    assert "Rate used: ECB_MRO 2026-H2 2.15 (fetched, rate store): ECB Data Portal" in out
    assert "Rate used: ECB_MRO 2026-H1 2.15 (verified, rates/fr.yaml)" in out
    assert any(line.startswith("Warning:") and "not yet verified" in line for line in out.splitlines())


def test_after_verification_interest_says_verified_and_warns_no_more(capsys):
    fetch(capsys)
    run(rates, ["rates", "--verify", "2026-H2", "--table", "ECB_MRO", "--by", "julie", "--today", TODAY])
    assert "verified: ECB_MRO 2026-H2 2.15" in capsys.readouterr().out

    argv = ["interest", "--jurisdiction", "FR_B2B", "--amount", "1000.00", "--due", "2026-06-30"]
    run(interest, [*argv, "--as-of", "2026-07-10", "--json"])

    output = json.loads(capsys.readouterr().out)
    assert output["rates_used"][0]["status"] == "verified"
    assert output["warnings"] == []
    assert output["legal_basis"] == "FR_B2B"


def test_the_listing_shows_each_rows_status_and_the_fetch_report(capsys):
    out = fetch(capsys)

    assert "fetched: ECB_MRO 2026-H2 2.15" in out
    assert "fetched: DE_BASE 2026-H2 1.27" in out
    lines = out.splitlines()
    assert any(line.split()[:4] == ["DE_BASE", "2026-H2", "1.27", "fetched"] for line in lines)
    assert any(line.split()[:4] == ["DE_BASE", "2026-H1", "1.27", "verified"] for line in lines)
    assert "Note: German base rate 2026-H2: fetched value 1.27 (rate store) replaces unverified 1.52" in out
    assert "check: 2026-H2: German base rate 1.52 (unverified, rates/de.yaml) is not the ECB rate 2.15" in out


def test_a_verification_against_the_ecb_gap_is_refused_with_the_reason(capsys):
    run(rates, ["rates", "--response", f"ecb={FIXTURES / 'ecb_mrr_fr.csv'}", "--fetched-at", TODAY])
    capsys.readouterr()

    with pytest.raises(CliError, match=r"German base rate 1\.52.*--despite-drift"):
        run(rates, ["rates", "--verify", "2026-H2", "--table", "DE_BASE", "--by", "julie"])


def test_a_french_legal_rate_is_entered_with_its_source_and_prices_a_consumer_claim(capsys):
    run(
        rates,
        ["rates", "--set", "FR_LEGAL_OTHER", "2026-H2", "3,00", "--source", "test value", "--by", "julie"],
    )
    assert "entered: FR_LEGAL_OTHER 2026-H2 3.00 (verified)" in capsys.readouterr().out

    argv = ["interest", "--jurisdiction", "FR-B2C", "--amount", "36500.00", "--due", "2026-06-01"]
    run(interest, [*argv, "--notice-date", "2026-06-30", "--as-of", "2026-07-10", "--json"])

    output = json.loads(capsys.readouterr().out)
    assert [(p["rate"], p["interest"]) for p in output["periods"]] == [("3.00", "30.00")]


def test_the_interest_json_holds_the_indemnity_in_its_own_currency(capsys):
    argv = [
        "interest",
        "--jurisdiction",
        "FR",
        "--amount",
        "12000.00",
        "--currency",
        "USD",
        "--due",
        "2025-03-15",
    ]
    run(interest, [*argv, "--paid", "2025-09-30", "--json"])

    output = json.loads(capsys.readouterr().out)
    assert (output["interest"], output["currency"]) == ("830.09", "USD")
    assert (output["indemnity"], output["indemnity_currency"]) == ("40.00", "EUR")
    assert output["totals"] == {"USD": "830.09", "EUR": "40.00"}


def test_the_interest_table_totals_each_currency(capsys):
    argv = [
        "interest",
        "--jurisdiction",
        "FR",
        "--amount",
        "12000.00",
        "--currency",
        "USD",
        "--due",
        "2025-03-15",
    ]
    run(interest, [*argv, "--paid", "2025-09-30"])

    lines = capsys.readouterr().out.splitlines()
    assert "Interest            830.09 USD" in lines
    assert "Recovery indemnity   40.00 EUR" in lines
    assert "Total claim         830.09 USD" in lines
    assert "Total claim          40.00 EUR" in lines


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--set", "FR_LEGAL", "2026-H2", "3"], "is not one of ECB_MRO"),
        (["--set", "FR_LEGAL_OTHER", "2026-H2", "3"], "--set needs --source"),
        (["--set", "FR_LEGAL_OTHER", "2026-S2", "3", "--source", "x"], "is not written like 2025-H2"),
        (["--response", "fed=x.csv"], "must be SOURCE=FILE"),
        (["--verify", "2027-H1", "--by", "julie"], "nothing to verify for 2027-H1"),
    ],
)
def test_bad_rates_input_is_one_specific_line(argv, message):
    with pytest.raises(CliError, match=message) as caught:
        run(rates, ["rates", *argv])

    assert "\n" not in str(caught.value)
