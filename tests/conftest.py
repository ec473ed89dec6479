"""Shared by the unit and integration halves."""

import pytest

# The contract suites live outside test modules; their asserts still explain themselves.
pytest.register_assert_rewrite("tests.contract")
