"""Fetching the three sources over HTTPS with the standard library: what `relance rates --fetch` runs.

The stack's scheduled `rates` function may use this or its own client; either way the texts go to
`relance.rates.refresh`. A source that fails is reported and left out; the others still count.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable

from relance.rates.sources import SOURCES

# The Bank of England's database answers 500 to a request without a User-Agent.
USER_AGENT = "relance-rates/1 (late-payment interest rates; +https://github.com/)"


def fetch_responses(
    names: Iterable[str] = tuple(SOURCES), timeout: float = 20.0
) -> tuple[dict[str, str], dict[str, str]]:
    """The response text of each source, and the error of each that could not be fetched."""
    texts, errors = {}, {}
    for name in names:
        source = SOURCES[name]
        request = urllib.request.Request(  # noqa: S310 - fixed https URLs from SOURCES
            source.url, headers={"Accept": source.accept, "User-Agent": USER_AGENT}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                texts[name] = answer.read().decode(answer.headers.get_content_charset() or "utf-8")
        except OSError as exc:
            errors[name] = f"{name}: {source.url} could not be fetched ({exc})"
    return texts, errors
