"""The in-memory fakes keep the ports' contract (tests/contract), as the AWS adapters do on moto."""

from __future__ import annotations

import pytest

from relance.adapters.memory import MemoryBook, MemoryEventLog, MemoryStore
from tests.contract.book_contract import BookContract, Ports
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
