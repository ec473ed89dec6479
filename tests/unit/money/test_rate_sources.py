"""Rates that never go stale: the central banks' responses become fetched rows, a person verifies them,
and the rate book prices a claim on whatever verified or fetched rate exists, saying which."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from relance.domain.money import HalfYear, Jurisdiction, RateStatus, RateTable, compute_claim
from relance.rates import (
    InMemoryRateStore,
    JsonFileRateStore,
    RateStoreError,
    RateUpdateError,
    SourceError,
    base_rate_drift,
    candidates_from,
    current_rate_book,
    refresh,
    set_rate,
    verify,
)
from relance.rates.sources import parse_boe_csv, parse_sdmx_csv, parse_sdmx_json

D = Decimal
FIXTURES = Path(__file__).parent / "fixtures" / "rates"
FETCHED = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
H2_2026 = HalfYear(2026, 2)


def response(name: str) -> str:
    files = {"ecb": "ecb_mrr_fr.csv", "bundesbank": "bundesbank_su0115.json", "boe": "boe_iudbedr.csv"}
    return (FIXTURES / files[name]).read_text(encoding="utf-8")


def responses() -> dict[str, str]:
    return {name: response(name) for name in ("ecb", "bundesbank", "boe")}


def by_period(rows) -> dict[str, Decimal]:
    return {str(row.period): row.percent for row in rows}


# Parsers


def test_the_ecb_rate_of_a_half_year_is_the_one_in_force_on_its_first_day():
    rows = candidates_from("ecb", response("ecb"), FETCHED)

    assert by_period(rows) == {
        "2023-H1": D("2.50"),
        "2023-H2": D("4.00"),
        "2024-H1": D("4.50"),
        "2024-H2": D("4.25"),
        "2025-H1": D("3.15"),
        "2025-H2": D("2.15"),
        "2026-H1": D("2.15"),
        "2026-H2": D("2.15"),
    }
    assert {row.status for row in rows} == {RateStatus.FETCHED}
    assert {row.table for row in rows} == {RateTable.ECB_MRO}
    assert "FM.B.U2.EUR.4F.KR.MRR_FR.LEV" in rows[-1].source
    assert "in force on 2026-07-01" in rows[-1].source


def test_a_half_year_not_yet_begun_gets_no_row():
    rows = candidates_from("ecb", response("ecb"), datetime(2026, 6, 30, 23, 0, tzinfo=UTC))

    assert max(row.period for row in rows) == HalfYear(2026, 1)


def test_the_bundesbank_monthly_series_gives_one_base_rate_per_half_year():
    rows = candidates_from("bundesbank", response("bundesbank"), FETCHED)

    assert by_period(rows)["2024-H2"] == D("3.37")
    assert by_period(rows)["2026-H2"] == D("1.27")
    assert len(rows) == 8


def test_the_bank_of_england_reference_is_bank_rate_the_day_before_the_half_year():
    rows = candidates_from("boe", response("boe"), FETCHED)

    # 2025-H1: Bank Rate on 31 December 2024; 2025-H2: on 30 June 2025 (the cut of 7 August is later).
    assert by_period(rows) == {
        "2024-H1": D("5.25"),
        "2024-H2": D("5.25"),
        "2025-H1": D("4.75"),
        "2025-H2": D("4.25"),
        "2026-H1": D("3.75"),
        "2026-H2": D("3.75"),
    }


def test_the_same_series_reads_the_same_in_sdmx_csv_and_sdmx_json():
    csv_text = "KEY,TIME_PERIOD,OBS_VALUE\nX,2025-06-11,2.15\nX,2025-04-23,2.40\nX,2025-07-01,NaN\n"
    json_text = (
        '{"dataSets":[{"series":{"0:0":{"observations":{"0":[2.40],"1":[2.15]}}}}],'
        '"structure":{"dimensions":{"observation":[{"id":"TIME_PERIOD","values":'
        '[{"id":"2025-04-23"},{"id":"2025-06-11"}]}]}}}'
    )

    assert parse_sdmx_csv(csv_text, "t") == parse_sdmx_json(json_text, "t")
    assert [o.percent for o in parse_sdmx_csv(csv_text, "t")] == [D("2.40"), D("2.15")]


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_sdmx_csv, "DATE,VALUE\n2025-01-01,1\n", "no TIME_PERIOD and OBS_VALUE"),
        (parse_sdmx_csv, "TIME_PERIOD,OBS_VALUE\n2025-13,1\n", "not an SDMX period"),
        (parse_sdmx_csv, "TIME_PERIOD,OBS_VALUE\n2025-01-01,one\n", "is not a number"),
        (parse_sdmx_json, "<html>maintenance</html>", "not an SDMX-JSON data message"),
        (parse_boe_csv, "DATE,IUDBEDR\n2025-01-02,4.75\n", "is not written like 02 Jan 2025"),
        (parse_boe_csv, "DATE,XUDLUSS\n02 Jan 2025,1.25\n", "no DATE and IUDBEDR"),
    ],
)
def test_a_response_in_another_format_is_refused_with_the_reason(parse, text: str, message: str):
    with pytest.raises(SourceError, match=message):
        parse(text, "source")


def test_missing_boe_values_are_skipped():
    rows = parse_boe_csv("DATE,IUDBEDR\n30 Jun 2025,4.25\n01 Jul 2025,..\n", "boe")

    assert [(o.on, o.percent) for o in rows] == [(date(2025, 6, 30), D("4.25"))]


def test_a_bundesbank_half_year_holding_two_rates_is_a_misread_not_a_rate():
    message = json.loads(response("bundesbank"))
    observations = message["dataSets"][0]["series"]["0"]["observations"]
    observations[str(len(observations) - 1)] = [1.52, 0]  # October 2026 unlike July 2026
    text = json.dumps(message)

    with pytest.raises(SourceError, match="several base rates"):
        candidates_from("bundesbank", text, FETCHED)


# Refresh, merge, verification


def test_refreshing_stores_only_what_no_verified_row_already_says():
    store = InMemoryRateStore()

    report = refresh(store, responses(), FETCHED)

    assert {(row.table, str(row.period)) for row in report.added} == {
        (RateTable.ECB_MRO, "2026-H2"),
        (RateTable.DE_BASE, "2026-H2"),
        (RateTable.UK_REFERENCE, "2026-H2"),
    }
    assert report.disagreements == []
    assert report.errors == []
    assert len(store.load()) == 3
    # Run again the same day: nothing new.
    again = refresh(store, responses(), FETCHED)
    assert again.added == []
    assert len(again.unchanged) == 3


def test_the_unverified_german_value_off_the_ecb_gap_is_reported_and_replaced_by_the_fetched_one():
    store = InMemoryRateStore()

    report = refresh(store, responses(), FETCHED)
    book = current_rate_book(store)

    # de.yaml's 2026-H2 1.52 (unverified) is not ECB 2.15 - 0.88: the check says so.
    assert any(line.startswith("2026-H2: German base rate 1.52") for line in report.drift)
    entry = book.entry(RateTable.DE_BASE, H2_2026)
    assert (entry.percent, entry.status) == (D("1.27"), RateStatus.FETCHED)
    assert any("replaces unverified 1.52" in note for note in book.notes)


def test_the_shipped_tables_keep_the_ecb_gap_wherever_both_are_known():
    store = InMemoryRateStore()
    refresh(store, responses(), FETCHED)

    assert base_rate_drift(current_rate_book(store)) == []


def test_a_fetched_value_never_overrides_a_verified_row():
    store = InMemoryRateStore()
    wrong = response("ecb").replace("2025-06-11,2.15", "2025-06-11,2.20")

    report = refresh(store, {"ecb": wrong}, FETCHED)

    assert any("2026-H1: fetched 2.20, verified 2.15" in line for line in report.disagreements)
    assert current_rate_book(store).rate_for(RateTable.ECB_MRO, HalfYear(2026, 1)).percent == D("2.15")


def test_one_unreadable_source_does_not_stop_the_others():
    store = InMemoryRateStore()

    report = refresh(store, {"ecb": "<html>down</html>", "boe": response("boe")}, FETCHED)

    assert len(report.errors) == 1
    assert [row.table for row in report.added] == [RateTable.UK_REFERENCE]


def test_a_claim_reaching_2026_h2_is_priced_on_the_fetched_rate_and_says_so():
    store = InMemoryRateStore()
    refresh(store, responses(), FETCHED)

    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("36500.00"),
        currency="EUR",
        due=date(2026, 6, 30),
        as_of=date(2026, 7, 10),
        rates=current_rate_book(store),
    )

    assert [(p.rate, p.interest) for p in claim.periods] == [(D("12.15"), D("121.50"))]
    assert any("fetched from ECB Data Portal" in w and "not yet verified" in w for w in claim.warnings)


def test_a_person_verifies_a_half_year_and_the_warning_goes():
    store = InMemoryRateStore()
    refresh(store, responses(), FETCHED)

    verified = verify(store, H2_2026, by="julie", at=FETCHED, tables=[RateTable.ECB_MRO])

    assert [(row.table, row.status) for row in verified] == [(RateTable.ECB_MRO, RateStatus.VERIFIED)]
    entry = current_rate_book(store).entry(RateTable.ECB_MRO, H2_2026)
    assert entry.verified
    assert "verified by julie on 2026-11-28" in entry.source
    claim = compute_claim(
        Jurisdiction.FR,
        amount=D("1000.00"),
        currency="EUR",
        due=date(2026, 6, 30),
        as_of=date(2026, 7, 10),
        rates=current_rate_book(store),
    )
    assert claim.warnings == ()


def test_verifying_a_german_rate_off_the_gap_needs_an_explicit_decision():
    store = InMemoryRateStore()
    # Only the ECB is fetched: de.yaml's unverified 1.52 stays, 0.25 off the gap.
    refresh(store, {"ecb": response("ecb")}, FETCHED)

    with pytest.raises(RateUpdateError, match=r"German base rate 1\.52"):
        verify(store, H2_2026, by="julie", at=FETCHED, tables=[RateTable.DE_BASE])

    [row] = verify(store, H2_2026, by="julie", at=FETCHED, tables=[RateTable.DE_BASE], despite_drift=True)
    assert row.percent == D("1.52")


def test_nothing_to_verify_says_what_to_do():
    with pytest.raises(RateUpdateError, match="fetch the sources first"):
        verify(InMemoryRateStore(), HalfYear(2027, 1), by="julie", at=FETCHED)


def test_the_french_legal_rate_no_api_serves_is_entered_by_a_person():
    store = InMemoryRateStore()

    row = set_rate(
        store,
        RateTable.FR_LEGAL_OTHER,
        H2_2026,
        D("3.00"),
        source="arrêté (test value)",
        by="julie",
        at=FETCHED,
    )

    assert row.verified
    assert current_rate_book(store).rate_for(RateTable.FR_LEGAL_OTHER, H2_2026).percent == D("3.00")
    with pytest.raises(RateUpdateError, match=r"verified in rates/fr\.yaml"):
        set_rate(
            store, RateTable.FR_LEGAL_OTHER, HalfYear(2026, 1), D("3.00"), source="x", by="j", at=FETCHED
        )


def test_the_json_file_store_reads_back_what_it_wrote(tmp_path: Path):
    store = JsonFileRateStore(tmp_path / "rates.json")
    assert store.load() == []
    refresh(store, responses(), FETCHED)

    again = JsonFileRateStore(tmp_path / "rates.json").load()

    assert sorted(again, key=lambda r: r.table.name) == sorted(store.load(), key=lambda r: r.table.name)
    assert {row.recorded_at for row in again} == {FETCHED}
    (tmp_path / "bad.json").write_text('{"format": "relance-rates/1", "rows": [{"table": "NOPE"}]}')
    with pytest.raises(RateStoreError, match="row 1"):
        JsonFileRateStore(tmp_path / "bad.json").load()
