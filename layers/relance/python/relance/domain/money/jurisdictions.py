"""Which rate, from which day, split how, and which indemnity: the late-payment rules per jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from relance.domain.models import CustomerKind
from relance.domain.money import indemnity
from relance.domain.money.errors import UnsupportedJurisdiction
from relance.domain.money.indemnity import IndemnityRule
from relance.domain.money.rates import PublishedRate, RateTable


class RateMode(StrEnum):
    SPLIT = "split"
    """A new rate for each half-year of the delay."""
    FIXED = "fixed"
    """The rate of the half-year in which lateness began, for the whole delay."""


@dataclass(frozen=True)
class StatutoryRate:
    """A published table plus fixed points, e.g. ECB main refinancing rate + 10."""

    table: RateTable
    points: Decimal
    basis: tuple[str, ...]

    def percent(self, published: PublishedRate) -> Decimal:
        return published.percent + self.points

    def describe(self, published: PublishedRate) -> str:
        base = f"{published.period}: {published.table} {published.percent}"
        return f"{base} + {self.points} points" if self.points else base


@dataclass(frozen=True)
class ContractRateFloor:
    """A contractual rate is allowed instead of the statutory one, but not below `multiple` x `table`."""

    table: RateTable
    multiple: Decimal
    basis: str


@dataclass(frozen=True)
class JurisdictionRules:
    title: str
    statutory_rate: StatutoryRate
    rate_modes: tuple[RateMode, ...]
    """Allowed modes, the statutory or default one first."""
    interest_from_notice: bool
    """Interest runs only from the day after a formal notice, not from the due date."""
    contract_rate: ContractRateFloor | None
    indemnity: IndemnityRule | None
    interest_start_basis: str | None = None
    """Where the law says interest runs only from the formal notice: the article saying so."""

    @property
    def default_rate_mode(self) -> RateMode:
        return self.rate_modes[0]

    @property
    def basis(self) -> tuple[str, ...]:
        references = list(self.statutory_rate.basis)
        if self.indemnity is not None:
            references.append(self.indemnity.basis)
        return tuple(references)


class Jurisdiction(StrEnum):
    FR = "FR"
    FR_B2C = "FR-B2C"
    DE = "DE"
    DE_B2C = "DE-B2C"
    UK = "UK"

    @property
    def rules(self) -> JurisdictionRules:
        return _RULES[self]


_RULES: dict[Jurisdiction, JurisdictionRules] = {
    Jurisdiction.FR: JurisdictionRules(
        title="France, between businesses",
        statutory_rate=StatutoryRate(RateTable.ECB_MRO, Decimal(10), ("Code de commerce, art. L441-10",)),
        # L441-10 read as "a new rate each half-year" is the default; the other reading is a setting.
        rate_modes=(RateMode.SPLIT, RateMode.FIXED),
        interest_from_notice=False,
        contract_rate=ContractRateFloor(
            RateTable.FR_LEGAL_OTHER, Decimal(3), "Code de commerce, art. L441-10"
        ),
        indemnity=indemnity.FRANCE_B2B,
    ),
    Jurisdiction.FR_B2C: JurisdictionRules(
        title="France, consumer debtor",
        # The creditor is a business, so the "tous les autres cas" legal rate applies, not the individual one.
        statutory_rate=StatutoryRate(
            RateTable.FR_LEGAL_OTHER,
            Decimal(0),
            ("Code civil, art. 1344-1", "Code monétaire et financier, art. L313-2"),
        ),
        rate_modes=(RateMode.SPLIT,),
        interest_from_notice=True,
        contract_rate=None,
        indemnity=None,
        interest_start_basis="Code civil, art. 1344-1",
    ),
    Jurisdiction.DE: JurisdictionRules(
        title="Germany, between businesses",
        statutory_rate=StatutoryRate(RateTable.DE_BASE, Decimal(9), ("BGB § 288(2)", "BGB § 247")),
        rate_modes=(RateMode.SPLIT,),
        interest_from_notice=False,
        contract_rate=None,
        indemnity=indemnity.GERMANY_B2B,
    ),
    Jurisdiction.DE_B2C: JurisdictionRules(
        title="Germany, consumer debtor",
        statutory_rate=StatutoryRate(
            RateTable.DE_BASE, Decimal(5), ("BGB § 288(1)", "BGB § 247", "BGB § 286(1)")
        ),
        rate_modes=(RateMode.SPLIT,),
        # A consumer is in default from a reminder after the due date (§ 286(1)); the due date alone puts
        # them in default only when agreed by the calendar in the contract (§ 286(2) no. 1) or when the
        # invoice warned them of the 30-day rule (§ 286(3)), which the invoice data cannot show. Interest
        # therefore runs from the formal notice, the reminder the product can prove.
        interest_from_notice=True,
        contract_rate=None,
        # § 288(5) applies only where the debtor is not a consumer.
        indemnity=None,
        interest_start_basis="BGB § 286(1)",
    ),
    Jurisdiction.UK: JurisdictionRules(
        title="United Kingdom, between businesses",
        statutory_rate=StatutoryRate(
            RateTable.UK_REFERENCE,
            Decimal(8),
            (
                "Late Payment of Commercial Debts (Interest) Act 1998, ss. 1, 4, 6",
                "Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002",
            ),
        ),
        rate_modes=(RateMode.FIXED,),
        interest_from_notice=False,
        contract_rate=None,
        indemnity=indemnity.UNITED_KINGDOM,
    ),
}


# The creditor's law (its country) and the debtor's kind decide the rules; a consumer debtor in the UK
# falls outside the 1998 Act, so there is no entry for it.
_BY_COUNTRY_AND_KIND = {
    ("FR", CustomerKind.BUSINESS): Jurisdiction.FR,
    ("FR", CustomerKind.CONSUMER): Jurisdiction.FR_B2C,
    ("DE", CustomerKind.BUSINESS): Jurisdiction.DE,
    ("DE", CustomerKind.CONSUMER): Jurisdiction.DE_B2C,
    ("GB", CustomerKind.BUSINESS): Jurisdiction.UK,
}


def jurisdiction_for(country: str, kind: CustomerKind) -> Jurisdiction:
    try:
        return _BY_COUNTRY_AND_KIND[(country, kind)]
    except KeyError:
        raise UnsupportedJurisdiction(
            f"no late-payment rules for a creditor in {country} and a {kind.value} debtor"
        ) from None


def rate_tables_for(country: str) -> list[RateTable]:
    """The rate tables the creditor's law reads, for businesses and consumers: statutory and floor."""
    tables: set[RateTable] = set()
    for kind in CustomerKind:
        try:
            rules = jurisdiction_for(country, kind).rules
        except UnsupportedJurisdiction:
            continue
        tables.add(rules.statutory_rate.table)
        if rules.contract_rate is not None:
            tables.add(rules.contract_rate.table)
    return sorted(tables, key=str)
