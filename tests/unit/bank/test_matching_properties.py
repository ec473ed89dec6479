"""Properties of matching over random books and statements.

Each example is a book of 0 to 12 open invoices over 4 customers in EUR and USD (invoice numbers may be
short, may share digits, may repeat across customers), a few known payers, and 1 to 10 entries whose
remittance quotes random invoice numbers and customer ids, written loosely or not, with random amounts,
currencies, directions, reversals and payers. Whatever the draw, money is never invented.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from relance.domain.amounts import ZERO
from relance.domain.matching import KnownPayer, OpenInvoice, Outcome, match_credits
from relance.ingest.bank import Direction

from .conftest import credit

CUSTOMERS = ("C001", "C002", "C017", "C4")
IBANS = ("FR7630001007941234567890185", "FR7610107001011234567890129", "DE14508800500194785000")
NAMES = ("ACME SARL", "Boulangerie Dupont", "Garage Martin")
NUMBERS = ("F2026-0104", "F2026-104", "F2026-0110", "1001", "17", "A-0001", "2026/0104", "F20260104")

amounts = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("2000.00"), places=2)
invoices = st.builds(
    OpenInvoice,
    invoice_id=st.sampled_from(NUMBERS),
    customer_id=st.sampled_from(CUSTOMERS),
    currency=st.sampled_from(("EUR", "EUR", "USD")),
    balance=amounts,
    due_date=st.integers(0, 120).map(lambda days: date(2026, 1, 1) + timedelta(days=days)),
)
payers = st.builds(
    KnownPayer,
    customer_id=st.sampled_from(CUSTOMERS),
    iban=st.none() | st.sampled_from(IBANS),
    name=st.none() | st.sampled_from(NAMES),
)


def _loosely(number: str, how: int) -> str:
    return [number, number.lower(), number.replace("-", " "), number.replace("0", "", 1), f"x{number}"][how]


@st.composite
def entries(draw):
    quoted = draw(st.lists(st.sampled_from(NUMBERS + CUSTOMERS), max_size=4))
    words = [_loosely(word, draw(st.integers(0, 4))) for word in quoted]
    return credit(
        str(draw(amounts)),
        " ".join(["VIREMENT", *words]),
        payer=draw(st.none() | st.sampled_from(NAMES)),
        iban=draw(st.none() | st.sampled_from(IBANS)),
        currency=draw(st.sampled_from(("EUR", "EUR", "USD"))),
        direction=draw(st.sampled_from((Direction.CREDIT, Direction.CREDIT, Direction.DEBIT))),
        reversal=draw(st.booleans()) and draw(st.booleans()),
        reference=f"REF-{draw(st.integers(0, 6))}",  # some entries repeat: re-uploads within a file
    )


def _unique_invoices(book: list[OpenInvoice]) -> list[OpenInvoice]:
    """One balance per (customer, invoice), as the book has."""
    return list({(i.customer_id, i.invoice_id): i for i in book}.values())


@settings(max_examples=400, deadline=None)
@given(
    book=st.lists(invoices, max_size=12).map(_unique_invoices),
    known=st.lists(payers, max_size=4),
    statement=st.lists(entries(), min_size=1, max_size=10),
)
def test_allocations_never_exceed_an_entry_nor_a_balance_and_every_credit_is_accounted_for(
    book, known, statement
):
    report = match_credits(statement, book, known)

    assert [match.entry for match in report.matches] == statement
    balances = {(i.customer_id, i.invoice_id): i for i in book}
    paid: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for match in report.matches:
        entry = match.entry
        applied = sum((a.amount for a in match.allocations), ZERO)
        if match.outcome in (Outcome.NOT_A_PAYMENT, Outcome.ALREADY_SEEN):
            assert match.allocations == ()
            continue
        # A payment is applied or reported: never silently dropped, never more than received.
        assert entry.is_payment
        assert match.reason
        assert applied + match.unapplied == entry.amount
        assert match.unapplied >= 0
        if match.outcome is Outcome.APPLIED:
            assert match.allocations
            assert match.rule is not None
        else:
            assert match.outcome is Outcome.UNMATCHED
            assert match.allocations == ()
        for allocation in match.allocations:
            target = balances[(allocation.customer_id, allocation.invoice_id)]
            assert allocation.amount > 0
            assert target.currency == entry.currency
            paid[(allocation.customer_id, allocation.invoice_id)] += allocation.amount
        # One transfer pays one customer.
        assert len({a.customer_id for a in match.allocations}) <= 1
    for key, total in paid.items():
        assert total <= balances[key].balance
    assert len({a.key for a in report.allocations}) == len(report.allocations)


@settings(max_examples=150, deadline=None)
@given(book=st.lists(invoices, max_size=12).map(_unique_invoices), statement=st.lists(entries(), max_size=8))
def test_matching_the_same_upload_twice_gives_the_same_allocations(book, statement):
    first = match_credits(statement, book)
    second = match_credits(statement, book)

    assert first.allocations == second.allocations
    assert [(m.outcome, m.reason) for m in first.matches] == [(m.outcome, m.reason) for m in second.matches]
