"""The daily index is exact at book scale: the planner reads about one index item per customer it dispatches,
however big the book (tests/benchmarks/planner_reads.py prints the 10k and 100k figures)."""

from __future__ import annotations

import logging

import pytest

from tests.benchmarks.planner_reads import measure


@pytest.fixture(scope="module")
def lived() -> object:
    logging.disable(logging.WARNING)
    try:
        return measure(2_000, warm_up=45, measured=10)
    finally:
        logging.disable(logging.NOTSET)


def test_the_planner_reads_at_most_one_tenth_more_index_items_than_customers_it_dispatches(lived):
    assert lived.actions > 20
    assert lived.errors == 0
    assert lived.index_items <= 1.1 * lived.actions


def test_a_visit_without_action_only_records_a_case_held_behind_a_hand_off(lived):
    assert all("[recorded: held]" in reason for reason in lived.no_action), lived.no_action
