"""Figures printed by `make bench` (tests/bench.py): measured, never asserted."""
