"""A rate book shared by the money tests (sockets are refused by tests/unit/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from relance.domain.money import RateBook, load_rate_book


@pytest.fixture(scope="session")
def book() -> RateBook:
    return load_rate_book()


@pytest.fixture(autouse=True)
def _own_rate_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The CLI's rate store is a fresh file per test, never the developer's ~/.relance/rates.json."""
    path = tmp_path / "rates.json"
    monkeypatch.setenv("RELANCE_RATE_STORE", str(path))
    return path
