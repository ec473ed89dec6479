"""Hypothesis profiles for the engine's properties.

`engine` (the default) keeps `make test` quick; `engine-deep` searches much harder before a release:
RELANCE_HYPOTHESIS=engine-deep .venv/bin/pytest tests/unit/domain/test_engine_properties.py
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# Each example runs a whole book day by day over months: slow by Hypothesis' standards, on purpose.
settings.register_profile(
    "engine", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "engine-deep", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
