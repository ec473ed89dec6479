"""Loads escalation policies and the profile rules that pick them from the policies/ folder (YAML),
checked once per process."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import yaml

from relance.assets import asset_dir
from relance.domain.policy import Policy, PolicyError, policy_from_mapping
from relance.domain.selection import (
    PolicyBook,
    PolicyDefaults,
    SelectionError,
    SelectionRule,
    rules_from_mapping,
)

# Profile rules live beside the policies, in a folder of their own so that the policy loader, which reads
# every policies/*.yaml as a policy, never mistakes them for one.
SELECTION_FILE = Path("selection") / "rules.yaml"


def load_policy_file(path: Path) -> Policy:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path.name}: not valid YAML: {exc}") from exc
    policy = policy_from_mapping(data, source=path.name)
    if policy.name != path.stem:
        raise PolicyError(f"{path.name}: field 'name' is {policy.name!r} but the file is named {path.stem!r}")
    return policy


@cache
def load_policies(directory: Path | None = None) -> dict[str, Policy]:
    """Every policy of the folder, by name; one bad file stops the load with its own message."""
    folder = directory or asset_dir("policies")
    policies = {path.stem: load_policy_file(path) for path in sorted(folder.glob("*.yaml"))}
    if not policies:
        raise PolicyError(f"{folder}: no policy file (*.yaml)")
    return policies


def get_policy(name: str, directory: Path | None = None) -> Policy:
    policies = load_policies(directory)
    try:
        return policies[name]
    except KeyError:
        raise PolicyError(f"unknown policy {name!r}; known: {', '.join(sorted(policies))}") from None


@cache
def load_selection_rules(directory: Path | None = None) -> tuple[SelectionRule, ...]:
    """The rules of policies/selection/rules.yaml (none without the file), checked once per process."""
    folder = directory or asset_dir("policies")
    path = folder / SELECTION_FILE
    if not path.is_file():
        return ()
    source = SELECTION_FILE.as_posix()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SelectionError(f"{source}: not valid YAML: {exc}") from exc
    return rules_from_mapping(data, source, known_policies=set(load_policies(directory)))


@cache
def policy_book(
    default_policy: str,
    consumer_policy: str,
    directory: Path | None = None,
    postal_delay_days: int | None = None,
) -> PolicyBook:
    """The stack's policies, its profile rules and its defaults by customer kind, checked once.

    `postal_delay_days` (the POSTAL_DELAY_DAYS setting) replaces every policy's own: how long a registered
    letter takes is a fact of the creditor's post, not of a policy, and the suspension's spacing and the
    notice's deadline must count it alike.
    """
    policies = load_policies(directory)
    if postal_delay_days is not None:
        policies = {
            name: replace(policy, postal_delay_days=postal_delay_days) for name, policy in policies.items()
        }
    for name in (default_policy, consumer_policy):
        if name not in policies:
            raise PolicyError(f"unknown policy {name!r}; known: {', '.join(sorted(policies))}")
    return PolicyBook(
        policies, load_selection_rules(directory), PolicyDefaults(default_policy, consumer_policy)
    )
