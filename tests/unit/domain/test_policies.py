"""Policies are data; a bad file is refused at load with the file, the step and the field named."""

from __future__ import annotations

from pathlib import Path

import pytest

from relance.domain.policy import Action, PolicyError, policy_from_mapping
from relance.policies import load_policies, load_policy_file


def test_the_shipped_policies_load():
    policies = load_policies()

    assert {"fr-b2b-standard", "fr-b2c", "gentle", "strict"} <= set(policies)
    standard = policies["fr-b2b-standard"]
    assert [step.id for step in standard.steps] == [
        "courtesy",
        "reminder_1",
        "reminder_2",
        "reminder_3",
        "formal_notice",
        "suspension",
        "handoff",
    ]
    notice = standard.steps[standard.index_of("formal_notice")]
    assert notice.deadline_days == 8
    assert Action.LETTER in notice.actions


def test_the_formal_notice_comes_after_at_least_two_reminders_in_every_policy():
    for policy in load_policies().values():
        notice = policy.index_of("formal_notice")
        reminders = [step for step in policy.steps[:notice] if step.id.startswith("reminder")]
        assert len(reminders) >= 2, policy.name


def _steps(**overrides: object) -> dict:
    step = {"id": "reminder_1", "offset_days": 3, "actions": ["email"]}
    step.update(overrides)
    return {"name": "p", "steps": [step]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"steps": []}, "p.yaml: field 'name'"),
        ({"name": "p", "steps": []}, "p.yaml: field 'steps'"),
        (_steps(offset_days="three"), "step 'reminder_1': field 'offset_days' must be an integer"),
        (_steps(actions=["fax"]), "step 'reminder_1': field 'actions'"),
        (_steps(actions=["letter"]), "step 'reminder_1': field 'deadline_days' is required"),
        (_steps(min_balance="-1"), "step 'reminder_1': field 'min_balance'"),
        (_steps(colour="red"), "step 'reminder_1': unknown field 'colour'"),
        (_steps(before_due_only=True), "step 'reminder_1': field 'before_due_only'"),
        ({"name": "p", "steps": [{"offset_days": 1, "actions": ["email"]}]}, "step #1: field 'id'"),
        (
            {
                "name": "p",
                "steps": [
                    {"id": "a", "offset_days": 5, "actions": ["email"]},
                    {"id": "b", "offset_days": 1, "actions": ["email"]},
                ],
            },
            "step 'b': field 'offset_days' (1) comes before",
        ),
        (
            {
                "name": "p",
                "steps": [
                    {"id": "a", "offset_days": 1, "actions": ["email"]},
                    {"id": "a", "offset_days": 2, "actions": ["email"]},
                ],
            },
            "step 'a': field 'id' is used twice",
        ),
    ],
)
def test_a_bad_policy_is_refused_with_file_step_and_field(data: dict, message: str):
    with pytest.raises(PolicyError) as refused:
        policy_from_mapping(data, source="p.yaml")

    assert message in str(refused.value)


def test_a_file_whose_name_differs_from_its_policy_name_is_refused(tmp_path: Path):
    path = tmp_path / "strict.yaml"
    path.write_text(
        "name: lenient\nsteps:\n  - {id: a, offset_days: 1, actions: [email]}\n", encoding="utf-8"
    )

    with pytest.raises(PolicyError, match=r"strict\.yaml: field 'name' is 'lenient'"):
        load_policy_file(path)


def test_broken_yaml_names_the_file(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")

    with pytest.raises(PolicyError, match=r"broken\.yaml: not valid YAML"):
        load_policy_file(path)


def test_gentle_waives_penalties_and_every_policy_watches_payment_plans():
    policies = load_policies()

    assert policies["gentle"].waive_penalties
    assert not policies["fr-b2b-standard"].waive_penalties
    standard = policies["fr-b2b-standard"].payment_plan
    assert (standard.reminder_after_days, standard.grace_days) == (3, 10)
    for policy in policies.values():
        terms = policy.payment_plan
        # The reminder must be able to go before the break, even after another message of the customer.
        assert terms.grace_days - terms.reminder_after_days + 2 > policy.min_days_between_messages, (
            policy.name
        )


def _with(**fields: object) -> dict:
    return {"name": "p", "steps": [{"id": "a", "offset_days": 1, "actions": ["email"]}], **fields}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_with(waive_penalties="yes"), "p.yaml: field 'waive_penalties' must be true or false"),
        (_with(payment_plan=3), "p.yaml: payment_plan: must be a mapping"),
        (_with(payment_plan={"grace": 3}), "p.yaml: payment_plan: unknown field 'grace'"),
        (
            _with(payment_plan={"reminder_after_days": 0}),
            "payment_plan: field 'reminder_after_days' must be an integer of 1 or more",
        ),
        (
            _with(payment_plan={"reminder_after_days": 5, "grace_days": 4}),
            "payment_plan: field 'grace_days' (4) must be at least 'reminder_after_days' (5)",
        ),
        (_with(colour="red"), "p.yaml: unknown field 'colour'"),
    ],
)
def test_bad_policy_level_settings_are_refused_with_the_field(data: dict, message: str):
    with pytest.raises(PolicyError) as refused:
        policy_from_mapping(data, source="p.yaml")

    assert message in str(refused.value)
