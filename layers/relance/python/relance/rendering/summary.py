"""Documents reduced to their facts, for a replay without documents: no template, no PDF, same decisions.

Each document is a short deterministic text naming what it is about (template, customer, invoices, amounts),
so that keys, hashes and the log stay meaningful while a two-year replay takes seconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from relance.ports import RenderedEmail


def _facts(kind: str, context: Mapping[str, Any]) -> str:
    customer = context.get("customer") or {}
    lines = context.get("invoices") or []
    numbers = [line.get("number") for line in lines if isinstance(line, Mapping)]
    return json.dumps(
        {
            "document": kind,
            "customer": customer.get("id"),
            "date": str(context.get("today")),
            "invoices": numbers,
        },
        sort_keys=True,
    )


class SummaryRenderer:
    def email(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
        facts = _facts(template, context)
        return RenderedEmail(
            subject=f"[{template}] {context.get('numbers', '')}".strip(), text=facts, html=facts
        )

    def formal_notice(self, context: Mapping[str, Any]) -> bytes:
        return _facts("formal_notice", context).encode("utf-8")

    def handoff_summary(self, context: Mapping[str, Any]) -> bytes:
        return _facts("handoff_summary", context).encode("utf-8")
