"""What every RateStore does (relance.rates.store), whatever holds the rows.

Run against the in-memory and file stores (tests/unit/ports) and the S3 object on moto's server
(tests/integration/test_ports_contract.py): a subclass gives the `rate_store` fixture, empty.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from relance.domain.money import HalfYear, PublishedRate, RateStatus, RateTable
from relance.rates.store import RateStore

FETCHED_AT = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def row(table: RateTable, half: str, percent: str, status: RateStatus = RateStatus.FETCHED) -> PublishedRate:
    return PublishedRate(
        table=table,
        period=HalfYear.parse(half),
        percent=Decimal(percent),
        source=f"test source for {table} {half}",
        status=status,
        file="rate store",
        recorded_at=FETCHED_AT,
    )


class RateStoreContract:
    @pytest.fixture
    def rate_store(self) -> RateStore:
        raise NotImplementedError("a subclass gives an empty store")

    def test_a_store_never_written_holds_no_row(self, rate_store: RateStore):
        assert rate_store.load() == []

    def test_rows_come_back_exactly_as_saved(self, rate_store: RateStore):
        rows = [
            row(RateTable.ECB_MRO, "2026-H2", "2.15"),
            row(RateTable.DE_BASE, "2026-H2", "1.27", RateStatus.VERIFIED),
            row(RateTable.UK_REFERENCE, "2026-H2", "3.75"),
        ]

        rate_store.save(rows)

        assert sorted(rate_store.load(), key=lambda r: r.table.name) == sorted(
            rows, key=lambda r: r.table.name
        )

    def test_a_save_replaces_the_whole_set(self, rate_store: RateStore):
        rate_store.save(
            [row(RateTable.ECB_MRO, "2026-H2", "2.15"), row(RateTable.DE_BASE, "2026-H2", "1.27")]
        )

        rate_store.save([row(RateTable.ECB_MRO, "2026-H2", "2.40", RateStatus.VERIFIED)])

        [only] = rate_store.load()
        assert (only.table, only.percent, only.status) == (
            RateTable.ECB_MRO,
            Decimal("2.40"),
            RateStatus.VERIFIED,
        )

    def test_a_rate_keeps_its_exact_decimal(self, rate_store: RateStore):
        rate_store.save([row(RateTable.ECB_MRO, "2026-H2", "2.150")])

        assert str(rate_store.load()[0].percent) == "2.150"
