"""Cross-checks between tables that the law ties together, run on every refresh and listing.

The German base rate moves on 1 January and 1 July by as many points as the ECB main refinancing rate
moved since the last change (BGB § 247(1)); it has been exactly ECB - 0.88 every half-year since 2023. A
row breaking that gap is more likely a misread than a new law: it is reported, never silently used.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from relance.domain.money import HalfYear, PublishedRate, RateBook, RateTable

BASE_RATE_GAP = Decimal("0.88")


def base_rate_drift(book: RateBook, extra: Iterable[PublishedRate] = ()) -> list[str]:
    """One line per German base rate that is not the ECB rate of its half-year minus 0.88, whatever the
    rows' status. `extra` rows (fresh candidates) are checked beside the book's, not instead of them, so
    an unverified table row is compared with a fetched ECB rate too."""
    rows = [
        entry
        for table in (RateTable.ECB_MRO, RateTable.DE_BASE)
        for period in book.periods(table)
        if (entry := book.entry(table, period)) is not None
    ]
    rows += list(extra)
    ecb: dict[HalfYear, set[Decimal]] = {}
    for row in rows:
        if row.table is RateTable.ECB_MRO:
            ecb.setdefault(row.period, set()).add(row.percent)
    warnings = []
    seen = set()
    for base in sorted((row for row in rows if row.table is RateTable.DE_BASE), key=lambda row: row.period):
        for mro in sorted(ecb.get(base.period, ())):
            expected = mro - BASE_RATE_GAP
            key = (base.period, base.percent, mro)
            if base.percent != expected and key not in seen:
                seen.add(key)
                warnings.append(
                    f"{base.period}: German base rate {base.percent} ({base.status}, {base.file}) is not the "
                    f"ECB rate {mro} - {BASE_RATE_GAP} = {expected}; check both before relying on them"
                )
    return warnings
