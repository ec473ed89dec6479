"""A customer without its own policy gets one by its payment profile: ordered rules, data not code."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from relance.bootstrap import Runtime
from relance.config import Settings
from relance.domain.models import CustomerKind
from relance.domain.selection import PolicyDefaults, SelectionError, rules_from_mapping, select_policy
from relance.policies import SELECTION_FILE, load_selection_rules

from .builders import customer

KNOWN = {"fr-b2b-standard", "fr-b2c", "gentle", "strict"}
DEFAULTS = PolicyDefaults(business="fr-b2b-standard", consumer="fr-b2c")
RULES = rules_from_mapping(
    {
        "rules": [
            {"name": "bad payer", "when": {"kind": "business", "min_late_invoices": 3}, "policy": "strict"},
            {"name": "slow", "when": {"min_average_days_late": 30}, "policy": "fr-b2b-standard"},
            {"when": {"max_late_invoices": 0, "max_average_days_late": 2}, "policy": "gentle"},
        ]
    },
    "rules.yaml",
    KNOWN,
)


def test_the_first_matching_rule_wins():
    assert select_policy(customer(late_invoices=4), RULES, DEFAULTS) == "strict"
    assert select_policy(customer(late_invoices=0), RULES, DEFAULTS) == "gentle"


def test_every_condition_of_a_rule_must_hold():
    consumer = customer(kind=CustomerKind.CONSUMER, late_invoices=4, average_days_late=Decimal("12"))

    assert select_policy(consumer, RULES, DEFAULTS) == "fr-b2c"  # "bad payer" is for businesses only


def test_a_policy_named_on_the_customer_wins_over_every_rule():
    assert select_policy(customer(policy="fr-b2c", late_invoices=9), RULES, DEFAULTS) == "fr-b2c"


def test_without_a_matching_rule_the_stacks_default_for_the_kind_applies():
    late_once = customer(late_invoices=1, average_days_late=Decimal("5"))

    assert select_policy(late_once, RULES, DEFAULTS) == "fr-b2b-standard"
    assert select_policy(late_once, (), DEFAULTS) == "fr-b2b-standard"
    assert select_policy(customer(kind=CustomerKind.CONSUMER), (), DEFAULTS) == "fr-b2c"


def test_the_shipped_rules_load_and_send_repeat_late_payers_to_strict():
    rules = load_selection_rules()

    assert rules
    assert select_policy(customer(late_invoices=3), rules, DEFAULTS) == "strict"
    assert select_policy(customer(late_invoices=0), rules, DEFAULTS) == "fr-b2b-standard"


def test_the_runtime_chooses_the_policy_by_the_rules():
    settings = Settings.from_env(
        {
            "CUSTOMERS_TABLE": "c",
            "INVOICES_TABLE": "i",
            "EVENTS_TABLE": "e",
            "BUCKET_NAME": "b",
            "SENDER_EMAIL": "s@example.org",
            "COMPANY_NAME": "Créancier",
        }
    )
    rt = Runtime(settings)

    assert rt.policies.for_customer(customer(late_invoices=5)).name == "strict"
    assert rt.policies.for_customer(customer(late_invoices=5, policy="gentle")).name == "gentle"
    assert rt.policies.for_customer(customer()).name == "fr-b2b-standard"


def test_a_policies_folder_without_rules_means_the_defaults(tmp_path: Path):
    (tmp_path / "strict.yaml").write_text(
        "name: strict\nsteps:\n  - {id: r1, offset_days: 1, actions: [email]}\n", encoding="utf-8"
    )

    assert load_selection_rules(tmp_path) == ()


def test_a_bad_rules_file_is_refused_at_load_with_the_file_named(tmp_path: Path):
    (tmp_path / "strict.yaml").write_text(
        "name: strict\nsteps:\n  - {id: r1, offset_days: 1, actions: [email]}\n", encoding="utf-8"
    )
    (tmp_path / SELECTION_FILE).parent.mkdir()
    (tmp_path / SELECTION_FILE).write_text(
        "rules:\n  - {name: late, when: {min_late_invoices: 3}, policy: gentle}\n", encoding="utf-8"
    )

    with pytest.raises(
        SelectionError, match=r"selection/rules.yaml: rule 'late': field 'policy': unknown policy"
    ):
        load_selection_rules(tmp_path)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a mapping with a single field 'rules'"),
        ({"rules": "strict"}, "field 'rules' must be a list"),
        ({"rules": ["strict"]}, "rule #1: must be a mapping"),
        ({"rules": [{"when": {"min_late_invoices": 3}}]}, "rule #1: field 'policy'"),
        (
            {"rules": [{"name": "x", "when": {"min_late_invoices": 3}, "policy": "harsh"}]},
            "rule 'x': field 'policy'",
        ),
        ({"rules": [{"name": "x", "when": {}, "policy": "strict"}]}, "rule 'x': field 'when'"),
        (
            {"rules": [{"name": "x", "when": {"late": 3}, "policy": "strict"}]},
            "unknown condition 'when.late'",
        ),
        ({"rules": [{"name": "x", "when": {"kind": "robot"}, "policy": "strict"}]}, "field 'when.kind'"),
        (
            {"rules": [{"name": "x", "when": {"min_late_invoices": -1}, "policy": "strict"}]},
            "field 'when.min_late_invoices' must be an integer of 0 or more",
        ),
        (
            {"rules": [{"name": "x", "when": {"max_average_days_late": "soon"}, "policy": "strict"}]},
            "field 'when.max_average_days_late' must be a number of days",
        ),
        (
            {
                "rules": [
                    {
                        "name": "x",
                        "when": {"min_late_invoices": 5, "max_late_invoices": 2},
                        "policy": "strict",
                    }
                ]
            },
            "field 'when.min_late_invoices' \\(5\\) is above 'when.max_late_invoices' \\(2\\)",
        ),
        (
            {"rules": [{"name": "x", "when": {"kind": "business"}, "policy": "strict", "colour": "red"}]},
            "rule 'x': unknown field 'colour'",
        ),
        (
            {
                "rules": [
                    {"name": "x", "when": {"kind": "business"}, "policy": "strict"},
                    {"name": "x", "when": {"kind": "consumer"}, "policy": "fr-b2c"},
                ]
            },
            "rule 'x': field 'name' is used twice",
        ),
    ],
)
def test_a_bad_rule_is_refused_naming_the_file_the_rule_and_the_field(data, message):
    with pytest.raises(SelectionError, match=f"^rules.yaml: .*{message}"):
        rules_from_mapping(data, "rules.yaml", KNOWN)
