"""Where a file goes after the hand-off (French law: reference/late-payment-law.md), and the index that
ties the pack's documents together."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from relance.adapters.store import StoredObject
from relance.domain.collection import SMALL_CLAIMS_LIMIT, collection_route
from relance.domain.models import CustomerKind
from relance.services.handoff import evidence_index

from . import contexts


def claimed(principal: str, interest: str, currency: str = "EUR", incomplete: bool = False) -> dict:
    return {
        "currency": currency,
        "principal": Decimal(principal),
        "interest": Decimal(interest),
        "indemnity": Decimal("40.00"),
        "incomplete": incomplete,
    }


BUSINESS = contexts.customer()
CONSUMER = contexts.customer(kind=CustomerKind.CONSUMER)


@pytest.mark.parametrize(
    ("claims", "eligible", "why_not"),
    [
        ([claimed("4900.00", "100.00")], True, None),  # principal and interest exactly 5,000: eligible
        ([claimed("4900.00", "100.01")], False, "over_limit"),
        ([claimed("3000.00", "10.00"), claimed("1990.00", "0.00")], True, None),  # the file, not one invoice
        ([claimed("4990.00", "0.00"), claimed("20.00", "0.00")], False, "over_limit"),
        ([claimed("100.00", "1.00", currency="GBP")], False, "currency"),
        ([claimed("100.00", "0.00", incomplete=True)], False, "incomplete"),
    ],
)
def test_the_simplified_procedure_takes_files_of_at_most_5000_eur_in_principal_and_interest(
    claims: list, eligible: bool, why_not: str | None
):
    route = collection_route("FR", BUSINESS, claims)

    assert route["small_claims"] is eligible
    assert route["small_claims_why_not"] == why_not
    assert Decimal("5000.00") == SMALL_CLAIMS_LIMIT


def test_the_fixed_indemnity_does_not_count_toward_the_limit():
    with_indemnity = [{**claimed("4990.00", "10.00"), "indemnity": Decimal("40.00")}]

    assert collection_route("FR", BUSINESS, with_indemnity)["small_claims"] is True


def test_a_business_debtor_goes_to_the_commercial_court_of_its_seat_on_cerfa_12946():
    route = collection_route("FR", BUSINESS, [claimed("9000.00", "10.00")])

    assert route["court"] == "commercial"
    assert route["form"] == "Cerfa 12946*02"
    assert route["debtor_place"] == "59000 Lille"
    assert route["limitation_years"] == 5


def test_a_consumer_goes_to_the_judicial_court_on_cerfa_12948():
    route = collection_route("FR", CONSUMER, [claimed("9000.00", "10.00")])

    assert route["court"] == "judicial"
    assert route["form"] == "Cerfa 12948*06"
    assert route["limitation_years"] == 2


def test_outside_france_no_procedure_is_named():
    assert collection_route("DE", BUSINESS, [claimed("100.00", "1.00")]) == {
        "applicable": False,
        "country": "DE",
    }


def test_the_index_names_the_summary_every_notice_and_every_email_with_its_delivery():
    context = contexts.handoff_context("fr")
    summary = StoredObject("handoff/C004/2026-04-07/summary.pdf", "cd" * 32, "v1")

    index = evidence_index(context, summary, datetime(2026, 4, 6, 22, 0, tzinfo=UTC))

    assert index["summary"] == {"key": "handoff/C004/2026-04-07/summary.pdf", "sha256": "cd" * 32}
    assert [notice["sha256"] for notice in index["notices"]] == ["ab" * 32]
    # Eight days from receipt, assumed three days after the letter of 23 March (no receipt recorded).
    assert index["notices"][0]["deadline"] == "2026-04-03"
    assert [(e["message_id"], e["delivery"]) for e in index["emails"]] == [
        ("0102-msg-1", ["delivered"]),
        ("0102-msg-2", ["bounced"]),
        ("0102-msg-3", []),
    ]
    assert index["statuses"][0]["status"] == "promised"
    assert index["route"]["form"] == "Cerfa 12946*02"
    assert index["totals"][0]["total"] == "13108.79"
    # Plain JSON, the same every time it is built from the same log.
    assert json.dumps(index, sort_keys=True) == json.dumps(
        evidence_index(context, summary, datetime(2026, 4, 6, 22, 0, tzinfo=UTC)), sort_keys=True
    )
