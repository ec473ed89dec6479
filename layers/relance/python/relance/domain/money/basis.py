"""The legal basis of a claim: whose law (the creditor's country) and which debtor (business or consumer).

It picks the rates and indemnity (through `Jurisdiction`) and every sentence of law a document prints
(templates/<language>/law/<basis>.j2): a notice cites one basis and nothing of another.
"""

from __future__ import annotations

from enum import StrEnum

from relance.domain.models import CustomerKind
from relance.domain.money.jurisdictions import Jurisdiction, jurisdiction_for


class LegalBasis(StrEnum):
    FR_B2B = "FR_B2B"
    """Code de commerce L441-10 (ECB + 10 points), D441-5 (40 EUR); Code civil 1344."""
    FR_B2C = "FR_B2C"
    """Code civil 1344-1: legal rate from the formal notice; no indemnity; a consumer mediator."""
    DE_B2B = "DE_B2B"
    """BGB § 288(2): base rate + 9 points; § 288(5): 40 EUR Pauschale."""
    DE_B2C = "DE_B2C"
    """BGB § 288(1): base rate + 5 points, from default (§ 286: the reminder); no Pauschale."""
    UK_B2B = "UK_B2B"
    """Late Payment of Commercial Debts (Interest) Act 1998: Bank Rate + 8, fixed sum 40/70/100 GBP."""

    @property
    def jurisdiction(self) -> Jurisdiction:
        return _JURISDICTIONS[self]

    @property
    def consumer(self) -> bool:
        return self in (LegalBasis.FR_B2C, LegalBasis.DE_B2C)

    @property
    def country(self) -> str:
        """The creditor's country, ISO 3166 (GB for the United Kingdom)."""
        return {"FR": "FR", "DE": "DE", "UK": "GB"}[self.value[:2]]

    @property
    def partial(self) -> str:
        """The stem of its template partial: templates/<language>/law/<partial>.j2."""
        return self.value.lower()

    @classmethod
    def of(cls, jurisdiction: Jurisdiction) -> LegalBasis:
        return next(basis for basis, rules in _JURISDICTIONS.items() if rules is jurisdiction)


_JURISDICTIONS = {
    LegalBasis.FR_B2B: Jurisdiction.FR,
    LegalBasis.FR_B2C: Jurisdiction.FR_B2C,
    LegalBasis.DE_B2B: Jurisdiction.DE,
    LegalBasis.DE_B2C: Jurisdiction.DE_B2C,
    LegalBasis.UK_B2B: Jurisdiction.UK,
}


def legal_basis_for(creditor_country: str, debtor_kind: CustomerKind) -> LegalBasis:
    """The basis for a creditor in `creditor_country` (FR, DE, GB or UK) and a debtor of `debtor_kind`.

    Raises `UnsupportedJurisdiction` where no rules exist (a UK consumer debtor, a Spanish creditor).
    """
    country = creditor_country.strip().upper()
    return LegalBasis.of(jurisdiction_for("GB" if country == "UK" else country, debtor_kind))
