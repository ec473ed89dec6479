"""Benchmarks run by `make bench` (tests/bench.py): figures printed, never asserted."""
