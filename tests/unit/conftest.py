"""Unit tests are pure: any attempt to open a socket is a bug and fails the test."""

from __future__ import annotations

import socket

# Modules that subclass socket.socket (ssl, and through it urllib.request, which the PDF renderer imports
# lazily) must exist before the class is replaced, or their first import inside a test fails.
import ssl  # noqa: F401
import urllib.request  # noqa: F401

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unit tests must not open sockets")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
