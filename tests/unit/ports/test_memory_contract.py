"""The in-memory fakes keep the ports' contract (tests/contract), as the AWS adapters do on moto."""

from __future__ import annotations

from pathlib import Path

import pytest

from relance.adapters.memory import MemoryBook, MemoryEventLog, MemoryStore
from relance.rates.store import InMemoryRateStore, JsonFileRateStore, RateStore
from tests.contract.book_contract import BookContract, Ports
from tests.contract.rate_store_contract import RateStoreContract
from tests.contract.store_contract import Bucket, StoreContract


class TestMemoryBook(BookContract):
    @pytest.fixture
    def ports(self) -> Ports:
        log = MemoryEventLog()
        return Ports(book=MemoryBook(log), log=log)


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def bucket(self) -> Bucket:
        return Bucket(store=MemoryStore(), prefix="test/")


class TestInMemoryRateStore(RateStoreContract):
    @pytest.fixture
    def rate_store(self) -> RateStore:
        return InMemoryRateStore()


class TestJsonFileRateStore(RateStoreContract):
    @pytest.fixture
    def rate_store(self, tmp_path: Path) -> RateStore:
        return JsonFileRateStore(tmp_path / "rates.json")
