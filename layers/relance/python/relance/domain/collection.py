"""Where an unpaid file goes after the formal notice: the French procedures and their thresholds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from relance.domain.models import Customer, CustomerKind

# Simplified recovery of small claims (CPCE L125-1, R125-1 to R125-8): principal and interest combined.
SMALL_CLAIMS_LIMIT = Decimal("5000.00")
_POSTCODE_LINE = re.compile(r"^\s*\d{5}\s+\S")


def collection_route(country: str, customer: Customer, claimed: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Where the file goes if the debtor still does not pay, under French law (late-payment-law.md).

    The simplified small-claims procedure fits claims of at most 5,000 EUR in principal and interest (the
    fixed indemnity is not counted); it needs the debtor's agreement, so the injonction de payer is named
    as well: before the commercial court of the debtor's seat on Cerfa 12946*02 for a business debtor,
    the judicial court on Cerfa 12948*06 for a consumer. Outside France the pack names no procedure.
    """
    if country != "FR":
        return {"applicable": False, "country": country}
    business = customer.kind is CustomerKind.BUSINESS
    in_euros = all(item["currency"] == "EUR" for item in claimed)
    complete = not any(item["incomplete"] for item in claimed)
    amount = sum(
        (item["principal"] + item["interest"] for item in claimed if item["currency"] == "EUR"), Decimal(0)
    )
    if not in_euros:
        why_not = "currency"
    elif not complete:
        why_not = "incomplete"
    elif amount > SMALL_CLAIMS_LIMIT:
        why_not = "over_limit"
    else:
        why_not = None
    return {
        "applicable": True,
        "country": country,
        "small_claims": why_not is None,
        "small_claims_amount": amount,
        "small_claims_limit": SMALL_CLAIMS_LIMIT,
        "small_claims_why_not": why_not,
        "court": "commercial" if business else "judicial",
        "form": "Cerfa 12946*02" if business else "Cerfa 12948*06",
        "debtor_place": next((line for line in customer.address if _POSTCODE_LINE.match(line)), None),
        "limitation_years": 5 if business else 2,
    }
