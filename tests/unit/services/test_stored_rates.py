"""Claims are priced with the stack's stored rates beside the packaged tables; a rate fetched but not yet
verified by a person is used, said in the log, and never on the notice."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from relance.adapters.memory import memory_context
from relance.domain.money import HalfYear, PublishedRate, RateStatus, RateTable
from relance.ports import StorageError
from relance.services.penalties import MISSING_RATE, claim_for, log_fetched_rates, rates_for

from .driver import bill, client

LATE_INTO_H2 = bill("F1", due=date(2026, 5, 4), total="1000.00")
AS_OF = date(2026, 11, 20)


def fetched_ecb(percent: str = "2.15") -> PublishedRate:
    return PublishedRate(
        table=RateTable.ECB_MRO,
        period=HalfYear(2026, 2),
        percent=Decimal(percent),
        source="ECB Data Portal, FM.B.U2.EUR.4F.KR.MRR_FR.LEV",
        status=RateStatus.FETCHED,
        file="rate store",
        recorded_at=datetime(2026, 7, 1, 6, tzinfo=UTC),
    )


def test_without_a_stored_rate_the_half_year_is_missing_and_with_a_fetched_one_it_is_priced_and_flagged():
    ctx = memory_context()
    without = claim_for("FR", client(), LATE_INTO_H2, AS_OF, rates=rates_for(ctx))
    assert without.pending == MISSING_RATE

    ctx.rate_store.save([fetched_ecb()])
    priced = claim_for("FR", client(), LATE_INTO_H2, AS_OF, rates=rates_for(ctx))

    assert priced.pending is None
    assert priced.interest is not None
    assert priced.interest > 0
    assert priced.fetched_rates == ("ECB_MRO 2026-H2 2.15",)
    assert any(p.rate == Decimal("12.15") for p in priced.periods)


def test_a_verified_stored_rate_is_not_flagged():
    ctx = memory_context()
    ctx.rate_store.save([replace(fetched_ecb(), status=RateStatus.VERIFIED)])

    priced = claim_for("FR", client(), LATE_INTO_H2, AS_OF, rates=rates_for(ctx))

    assert priced.pending is None
    assert priced.fetched_rates == ()


def test_a_claim_on_a_fetched_rate_is_logged_with_the_rate(caplog: pytest.LogCaptureFixture):
    ctx = memory_context()
    ctx.rate_store.save([fetched_ecb()])
    claim = claim_for("FR", client(), LATE_INTO_H2, AS_OF, rates=rates_for(ctx))

    with caplog.at_level(logging.WARNING):
        log_fetched_rates("C1", {"F1": claim})

    [record] = [r for r in caplog.records if r.getMessage() == "claim priced on an unverified rate"]
    assert record.invoice_id == "F1"  # type: ignore[attr-defined]
    assert record.rates == ["ECB_MRO 2026-H2 2.15"]  # type: ignore[attr-defined]


class BrokenRateStore:
    def load(self) -> list[PublishedRate]:
        raise StorageError("s3://bucket/rates/rates.json cannot be read (AccessDenied)")

    def save(self, rows: object) -> None:
        raise AssertionError("not written")


def test_an_unreadable_store_leaves_the_packaged_tables_rather_than_stopping_the_run():
    ctx = memory_context()
    ctx.rate_store = BrokenRateStore()  # type: ignore[assignment]

    claim = claim_for(
        "FR", client(), bill("F1", due=date(2026, 2, 2)), date(2026, 4, 1), rates=rates_for(ctx)
    )

    assert claim.pending is None
    assert claim.interest is not None
