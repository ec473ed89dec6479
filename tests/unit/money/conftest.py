"""A rate book shared by the money tests (sockets are refused by tests/unit/conftest.py)."""

from __future__ import annotations

import pytest

from relance.domain.money import RateBook, load_rate_book


@pytest.fixture(scope="session")
def book() -> RateBook:
    return load_rate_book()
