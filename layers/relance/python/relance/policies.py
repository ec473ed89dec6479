"""Loads escalation policies from the policies/ folder (YAML), checked once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from relance.assets import asset_dir
from relance.domain.policy import Policy, PolicyError, policy_from_mapping


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
