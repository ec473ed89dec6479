"""Late-payment interest and recovery indemnities by jurisdiction, from dated and sourced rate tables.

Price one invoice with `compute_claim`; read the tables once with `load_rate_book` when pricing many.
"""

from relance.domain.money.basis import LegalBasis, legal_basis_for
from relance.domain.money.errors import (
    ClaimError,
    MissingRateError,
    RateTableError,
    UnsupportedJurisdiction,
    UnverifiedRateError,
)
from relance.domain.money.half_years import HalfYear
from relance.domain.money.interest import LateClaim, RatePeriod, compute_claim, period_interest
from relance.domain.money.jurisdictions import Jurisdiction, RateMode, jurisdiction_for, rate_tables_for
from relance.domain.money.payments import Payment
from relance.domain.money.rates import PublishedRate, RateBook, RateStatus, RateTable, load_rate_book
from relance.domain.money.review import NeedsPerson, contract_rate_review
from relance.domain.money.waivers import Waiver, WaiverScope

__all__ = [
    "ClaimError",
    "HalfYear",
    "Jurisdiction",
    "LateClaim",
    "LegalBasis",
    "MissingRateError",
    "NeedsPerson",
    "Payment",
    "PublishedRate",
    "RateBook",
    "RateMode",
    "RatePeriod",
    "RateStatus",
    "RateTable",
    "RateTableError",
    "UnsupportedJurisdiction",
    "UnverifiedRateError",
    "Waiver",
    "WaiverScope",
    "compute_claim",
    "contract_rate_review",
    "jurisdiction_for",
    "legal_basis_for",
    "load_rate_book",
    "period_interest",
    "rate_tables_for",
]
