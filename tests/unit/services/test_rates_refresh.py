"""The scheduled rates refresh on the in-memory ports, fed the central banks' recorded responses (no
network): it stores what they publish as fetched, never over a verified row, and counts the tables of
the half-year under way that a person has not verified yet (the RatesUnverified alarm's metric)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from relance.adapters.memory import memory_context
from relance.adapters.memory.context import ManualClock
from relance.domain.money import HalfYear, PublishedRate, RateStatus, RateTable, rate_tables_for
from relance.services.rates import run_rates_refresh

FIXTURES = Path(__file__).parent.parent / "money" / "fixtures" / "rates"
FILES = {"ecb": "ecb_mrr_fr.csv", "bundesbank": "bundesbank_su0115.json", "boe": "boe_iudbedr.csv"}
TODAY = date(2026, 11, 28)


def recorded():
    return {name: (FIXTURES / file).read_text(encoding="utf-8") for name, file in FILES.items()}, {}


def context():
    return memory_context(clock=ManualClock(datetime(2026, 11, 28, 6, 15, tzinfo=UTC)))


def test_a_french_creditor_needs_the_ecb_rate_and_the_french_legal_rates():
    assert RateTable.ECB_MRO in rate_tables_for("FR")
    assert all(table.name.startswith(("ECB", "FR")) for table in rate_tables_for("FR"))


def test_the_sources_rates_are_stored_fetched_and_what_no_api_serves_stays_unverified():
    ctx = context()

    result = run_rates_refresh(ctx, TODAY, fetch=recorded)

    assert result.fetched
    stored = {(row.table, row.period): row for row in ctx.rate_store.load()}
    ecb = stored[(RateTable.ECB_MRO, HalfYear(2026, 2))]
    assert ecb.status is RateStatus.FETCHED
    # A fetched ECB rate is usable, not verified; the French legal rate has no API: both still count.
    assert "ECB_MRO 2026-H2" in result.unverified
    assert result.as_dict()["rates_unverified"] == len(result.unverified) > 0


def test_once_every_table_is_verified_nothing_is_fetched_and_the_count_is_zero():
    ctx = context()
    run_rates_refresh(ctx, TODAY, fetch=recorded)
    verified = [
        PublishedRate(
            table=table,
            period=HalfYear(2026, 2),
            percent=Decimal("3.0"),
            source="official publication",
            status=RateStatus.VERIFIED,
            file="rate store",
            recorded_at=datetime(2026, 7, 2, tzinfo=UTC),
        )
        for table in rate_tables_for("FR")
    ]
    ctx.rate_store.save([*ctx.rate_store.load(), *verified])

    def no_fetch():
        raise AssertionError("nothing to fetch once verified")

    result = run_rates_refresh(ctx, TODAY, fetch=no_fetch)

    assert (result.fetched, result.unverified) == (False, ())


def test_a_fetched_value_never_replaces_a_verified_row_and_the_disagreement_is_reported():
    ctx = context()
    run_rates_refresh(ctx, TODAY, fetch=recorded)
    [ecb] = [
        row for row in ctx.rate_store.load() if (row.table, str(row.period)) == (RateTable.ECB_MRO, "2026-H2")
    ]
    ctx.rate_store.save(
        [
            *(row for row in ctx.rate_store.load() if row is not ecb),
            replace(ecb, percent=ecb.percent + 1, status=RateStatus.VERIFIED),
        ]
    )

    result = run_rates_refresh(ctx, TODAY, fetch=recorded)

    kept = [
        row for row in ctx.rate_store.load() if (row.table, str(row.period)) == (RateTable.ECB_MRO, "2026-H2")
    ]
    assert [row.percent for row in kept] == [ecb.percent + 1]
    assert any("ECB" in line and "kept" in line for line in result.disagreements)


def test_a_source_that_cannot_be_fetched_is_reported_and_the_others_stored():
    ctx = context()

    def ecb_only():
        texts, _ = recorded()
        return {"ecb": texts["ecb"]}, {"boe": "boe: could not be fetched (timed out)"}

    result = run_rates_refresh(ctx, TODAY, fetch=ecb_only)

    assert result.errors == ("boe: could not be fetched (timed out)",)
    assert {row.table for row in ctx.rate_store.load()} == {RateTable.ECB_MRO}
