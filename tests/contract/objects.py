"""Domain objects with every field set, so that a store that drops or bends one is caught."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from relance.domain.events import EscalationEvent, EventKind, EventLine, NoticeRef, Outcome
from relance.domain.models import (
    Case,
    CaseMessage,
    CaseState,
    ContactStatus,
    Customer,
    CustomerKind,
    DispatchState,
    DunningState,
    Instalment,
    Invoice,
    InvoiceStatus,
    LetterTracking,
    MessageKind,
    PaymentPlan,
)

MONDAY = date(2026, 3, 2)


def plain_customer(customer_id: str = "C1", **changes: object) -> Customer:
    base = Customer(
        customer_id=customer_id, name=f"Client {customer_id}", email=f"{customer_id.lower()}@x.example"
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def plain_invoice(invoice_id: str = "F1", customer_id: str = "C1", **changes: object) -> Invoice:
    base = Invoice(
        invoice_id=invoice_id,
        customer_id=customer_id,
        issue_date=date(2026, 1, 2),
        due_date=date(2026, 2, 2),
        currency="EUR",
        total=Decimal("1200.00"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def full_customer(customer_id: str = "C1") -> Customer:
    """A customer in the middle of everything: a case past its notice, one with collection, one held."""
    noticed = Case(
        case_id=f"{customer_id}-EUR-3",
        currency="EUR",
        opened_on=date(2026, 1, 6),
        state=CaseState.OPEN,
        messages=(
            CaseMessage("reminder_1", date(2026, 1, 8), ("F1",)),
            CaseMessage("reminder_2", date(2026, 1, 20), ("F1", "F2")),
            CaseMessage("reminder_2", date(2026, 1, 27), ("F3",), kind=MessageKind.CATCH_UP),
            CaseMessage("formal_notice", date(2026, 2, 9), ("F1", "F2", "F3"), letter=True),
            CaseMessage("formal_notice", date(2026, 2, 20), ("F4",), MessageKind.SUPPLEMENTARY, letter=True),
        ),
        noticed=("F1", "F2", "F3", "F4"),
        paused_until=date(2026, 3, 15),
        pause_reason="attente avoir",
        letter=LetterTracking(
            posted_on=date(2026, 2, 10), tracking="1A00012345678", received_on=date(2026, 2, 12)
        ),
    )
    with_collection = Case(
        case_id=f"{customer_id}-USD-1",
        currency="USD",
        opened_on=date(2025, 10, 1),
        state=CaseState.HANDED_OFF,
        messages=(CaseMessage("handoff", date(2026, 1, 5), ("U1",)),),
        handed_off=("U1",),
    )
    held = Case(
        case_id=f"{customer_id}-USD-2", currency="USD", opened_on=date(2026, 2, 1), state=CaseState.HELD
    )
    return Customer(
        customer_id=customer_id,
        name="Dupont & Fils — Menuiserie « Le Chêne »",
        email="compta@dupont.example",
        kind=CustomerKind.CONSUMER,
        language="en",
        cc=("direction@dupont.example", "avocat@dupont.example"),
        address=("12 rue des Lilas", "Bâtiment B", "69001 Lyon"),
        country="BE",
        siren="914852538",
        account_manager_email="julie@creditor.example",
        policy="strict",
        do_not_dun=True,
        waive_penalties=True,
        contract_rate=Decimal("9.75"),
        contact_status=ContactStatus.COMPLAINED,
        late_invoices=3,
        average_days_late=Decimal("41.33"),
        last_message_on=date(2026, 2, 20),
        phone="+33 4 72 00 00 00",
        legal_form="EI",
        merchant=False,
        cases=(noticed, with_collection, held),
        cases_opened=5,
        dispatch=DispatchState(
            pending=f"{customer_id}#2026-03-02",
            pending_since=datetime(2026, 3, 2, 7, 5, 30, 123000, tzinfo=UTC),
            last=f"{customer_id}#2026-02-20",
        ),
        next_action_on=date(2026, 3, 16),
    )


def full_invoice(invoice_id: str = "F1", customer_id: str = "C1") -> Invoice:
    """An invoice under a payment plan, partly paid, paused, from a book of the per-invoice version."""
    return Invoice(
        invoice_id=invoice_id,
        customer_id=customer_id,
        issue_date=date(2025, 12, 1),
        due_date=date(2025, 12, 31),
        currency="EUR",
        total=Decimal("12000.00"),
        amount_paid=Decimal("1234.56"),
        status=InvoiceStatus.PLAN,
        paid_on=date(2026, 2, 3),
        dunning=DunningState(steps_done=("courtesy",), last_step_on=date(2025, 12, 26)),
        paused_until=date(2026, 3, 20),
        pause_reason="promesse « orale »",
        payment_link="https://pay.example/F1?a=1&b=2",
        purchase_order="PO-2025-077",
        contract_rate=Decimal("11.5"),
        plan=PaymentPlan(
            instalments=(
                Instalment(date(2026, 3, 10), Decimal("5382.72")),
                Instalment(date(2026, 4, 10), Decimal("5382.72")),
            ),
            agreed_on=date(2026, 2, 27),
            paid_at_start=Decimal("1234.56"),
            reminded=(0,),
        ),
        legacy_next_action_on=date(2026, 3, 13),
    )


def full_event(customer_id: str = "C1", suffix: str = "formal_notice#C1-EUR-3#sent") -> EscalationEvent:
    return EscalationEvent(
        customer_id=customer_id,
        kind=EventKind.ESCALATION,
        occurred_on=date(2026, 2, 9),
        recorded_at=datetime(2026, 2, 9, 7, 6, 1, 500000, tzinfo=UTC),
        outcome=Outcome.SENT,
        key_suffix=suffix,
        step="formal_notice",
        channels=("email", "letter"),
        invoice_ids=("F1", "F2", "F3"),
        lines=(
            EventLine(
                "F1", Decimal("1200.00"), "formal_notice", Decimal("12.34"), Decimal("40.00"), "noticed"
            ),
            EventLine("F2", Decimal("0.01"), "formal_notice", None, None, "reminded"),
            EventLine("F3", Decimal("99.90")),
        ),
        currency="EUR",
        amount=Decimal("1299.91"),
        reason="délai de 8 jours",
        run_id="daily-2026-02-09",
        message_id="0100018f-ses-message",
        notices=(
            NoticeRef("notices/C1/2026/02/2026-02-09-formal_notice-EUR.pdf", "ab" * 32, "EUR"),
            NoticeRef("handoff/C1/2026-02-09/evidence.json", "cd" * 32),
        ),
        actor="julie",
        detail={"dispatch": f"{customer_id}#2026-02-09", "published.X": "event-1"},
        case_id=f"{customer_id}-EUR-3",
        customer_name="Dupont & Fils",
    )


def unversioned(item: Customer | Invoice) -> Customer | Invoice:
    """The item without its storage counter, which each store numbers its own way."""
    return replace(item, version=None)
