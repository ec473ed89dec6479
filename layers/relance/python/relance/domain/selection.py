"""Which policy a customer without its own gets: ordered rules on its payment profile, read from data.

The first rule whose every condition holds wins; with none, the stack's default for the customer's kind.
A customer's explicit policy always wins over the rules (a person chose it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from relance.domain.models import Customer, CustomerKind
from relance.domain.policy import Policy, PolicyError


class SelectionError(PolicyError):
    """A selection file that cannot be used; the message names the file, the rule and the field."""


@dataclass(frozen=True)
class ProfileCondition:
    """Every bound given must hold; an absent bound does not constrain."""

    kind: CustomerKind | None = None
    min_late_invoices: int | None = None
    max_late_invoices: int | None = None
    min_average_days_late: Decimal | None = None
    max_average_days_late: Decimal | None = None

    def matches(self, customer: Customer) -> bool:
        late, average = customer.late_invoices, customer.average_days_late
        return (
            (self.kind is None or customer.kind is self.kind)
            and (self.min_late_invoices is None or late >= self.min_late_invoices)
            and (self.max_late_invoices is None or late <= self.max_late_invoices)
            and (self.min_average_days_late is None or average >= self.min_average_days_late)
            and (self.max_average_days_late is None or average <= self.max_average_days_late)
        )


@dataclass(frozen=True)
class SelectionRule:
    name: str
    when: ProfileCondition
    policy: str


@dataclass(frozen=True)
class PolicyDefaults:
    """The stack's policies by customer kind (DEFAULT_POLICY, CONSUMER_POLICY)."""

    business: str
    consumer: str

    def for_kind(self, kind: CustomerKind) -> str:
        return self.consumer if kind is CustomerKind.CONSUMER else self.business


@dataclass(frozen=True)
class PolicyBook:
    """The stack's policies and how a customer gets one: its own, else the first profile rule that
    matches, else the stack's default for its kind."""

    policies: Mapping[str, Policy]
    rules: tuple[SelectionRule, ...]
    defaults: PolicyDefaults

    def for_customer(self, customer: Customer) -> Policy:
        name = select_policy(customer, self.rules, self.defaults)
        try:
            return self.policies[name]
        except KeyError:
            raise PolicyError(
                f"customer {customer.customer_id}: unknown policy {name!r}; "
                f"known: {', '.join(sorted(self.policies))}"
            ) from None


def select_policy(customer: Customer, rules: Sequence[SelectionRule], defaults: PolicyDefaults) -> str:
    """The name of the policy that applies to the customer."""
    if customer.policy:
        return customer.policy
    for rule in rules:
        if rule.when.matches(customer):
            return rule.policy
    return defaults.for_kind(customer.kind)


_COUNT_FIELDS = ("min_late_invoices", "max_late_invoices")
_DAYS_FIELDS = ("min_average_days_late", "max_average_days_late")
_CONDITION_FIELDS = frozenset({"kind", *_COUNT_FIELDS, *_DAYS_FIELDS})
_RULE_FIELDS = frozenset({"name", "when", "policy"})


def rules_from_mapping(data: Any, source: str, known_policies: Collection[str]) -> tuple[SelectionRule, ...]:
    """Rules from parsed YAML (`rules: [...]`), or SelectionError naming `source`, the rule and the field."""
    if data is None:
        return ()
    if not isinstance(data, Mapping) or set(data) - {"rules"}:
        raise SelectionError(f"{source}: must be a mapping with a single field 'rules' (a list)")
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise SelectionError(f"{source}: field 'rules' must be a list")
    rules = tuple(
        _rule(raw, source, position, known_policies) for position, raw in enumerate(raw_rules, start=1)
    )
    names = [rule.name for rule in rules]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise SelectionError(f"{source}: rule '{duplicate}': field 'name' is used twice")
    return rules


def _rule(raw: Any, source: str, position: int, known_policies: Collection[str]) -> SelectionRule:
    where = f"{source}: rule #{position}"
    if not isinstance(raw, Mapping):
        raise SelectionError(f"{where}: must be a mapping with 'when' and 'policy'")
    name = raw.get("name", f"#{position}")
    if not isinstance(name, str) or not name.strip():
        raise SelectionError(f"{where}: field 'name' must be a non-empty string")
    where = f"{source}: rule '{name}'" if "name" in raw else where
    unknown = sorted(set(raw) - _RULE_FIELDS)
    if unknown:
        raise SelectionError(
            f"{where}: unknown field '{unknown[0]}' (known: {', '.join(sorted(_RULE_FIELDS))})"
        )
    policy = raw.get("policy")
    if not isinstance(policy, str) or not policy.strip():
        raise SelectionError(f"{where}: field 'policy' must be a policy name")
    if policy not in known_policies:
        raise SelectionError(
            f"{where}: field 'policy': unknown policy {policy!r}; known: {', '.join(sorted(known_policies))}"
        )
    when = raw.get("when")
    if not isinstance(when, Mapping) or not when:
        raise SelectionError(
            f"{where}: field 'when' must be a mapping of conditions ({', '.join(sorted(_CONDITION_FIELDS))})"
        )
    return SelectionRule(name=name, when=_condition(when, where), policy=policy)


def _condition(when: Mapping[str, Any], where: str) -> ProfileCondition:
    unknown = sorted(set(when) - _CONDITION_FIELDS)
    if unknown:
        raise SelectionError(
            f"{where}: unknown condition 'when.{unknown[0]}' (known: {', '.join(sorted(_CONDITION_FIELDS))})"
        )
    values: dict[str, Any] = {}
    if "kind" in when:
        try:
            values["kind"] = CustomerKind(str(when["kind"]))
        except ValueError:
            raise SelectionError(
                f"{where}: field 'when.kind' must be one of {', '.join(CustomerKind)}, got {when['kind']!r}"
            ) from None
    for field in _COUNT_FIELDS:
        if field in when:
            value = when[field]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SelectionError(
                    f"{where}: field 'when.{field}' must be an integer of 0 or more, got {value!r}"
                )
            values[field] = value
    for field in _DAYS_FIELDS:
        if field in when:
            value = when[field]
            try:
                if isinstance(value, bool):
                    raise InvalidOperation
                days = Decimal(str(value))
            except InvalidOperation:
                raise SelectionError(
                    f"{where}: field 'when.{field}' must be a number of days, got {value!r}"
                ) from None
            if not days.is_finite() or days < 0:
                raise SelectionError(f"{where}: field 'when.{field}' must be zero or more, got {value!r}")
            values[field] = days
    condition = ProfileCondition(**values)
    for low, high in (_COUNT_FIELDS, _DAYS_FIELDS):
        if values.get(low) is not None and values.get(high) is not None and values[low] > values[high]:
            raise SelectionError(
                f"{where}: field 'when.{low}' ({values[low]}) is above 'when.{high}' ({values[high]})"
            )
    return condition
