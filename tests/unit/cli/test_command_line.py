"""The `relance` command as a newcomer meets it: help in the user's words, and quiet when piped into head."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from relance_tools.cli import build_parser, main


def test_the_help_speaks_to_users_not_to_developers() -> None:
    text = build_parser().format_help()

    assert "relance demo" in text
    for developer_word in ("`register`", "register function", "module", "relance_tools", "relance.services"):
        assert developer_word not in text


def test_output_cut_short_by_a_pipe_ends_quietly(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `relance rates | head -1`: head has exited, the reading end is closed.
    reading, writing = os.pipe()
    os.close(reading)
    monkeypatch.setattr(sys, "stdout", os.fdopen(writing, "w", buffering=1))

    status = main(["rates", "--store", str(tmp_path / "rates.json")])

    assert status == 141
    assert "Traceback" not in capfd.readouterr().err
