"""Shared helpers of the ingest unit tests: the sample e-invoices and files built from text."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "samples"


@pytest.fixture
def sample() -> type[_Samples]:
    return _Samples


class _Samples:
    @staticmethod
    def read(name: str) -> bytes:
        return (SAMPLES / name).read_bytes()
