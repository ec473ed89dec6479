"""Template contexts built the way the services build them, full (every optional value known) or minimal
(only what is always known), for the rendering tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from relance.config import Company
from relance.domain.cases import CaseAction
from relance.domain.models import (
    Case,
    CaseMessage,
    Customer,
    CustomerKind,
    DunningState,
    Invoice,
    MessageKind,
)
from relance.domain.policy import Action, Step
from relance.policies import get_policy
from relance.services import documents, messages
from relance.services.call_tasks import next_step, notices_with_deadlines
from relance.services.handoff import collection_route
from relance.services.messages import MessageParts
from relance.services.penalties import claims_for

TODAY = date(2026, 4, 7)
IBAN = "FR76 3000 6000 0112 3456 7890 189"
LINK = "https://pay.example/F2026-0104?token=a&b=c"


def company(full: bool = True) -> Company:
    if full:
        return Company(
            name="Atelier Durand SAS",
            siren="917764672",
            address=("12 rue des Ateliers", "75011 Paris", "France"),
            iban=IBAN,
            phone="+33 1 84 00 00 00",
            reply_to="compta-clients@atelier-durand.example",
        )
    return Company(
        name="Atelier Durand SAS",
        siren="",
        address=(),
        iban=None,
        phone=None,
        reply_to="relances@durand.example",
    )


def customer(
    full: bool = True,
    language: str = "fr",
    kind: CustomerKind = CustomerKind.BUSINESS,
    name: str | None = None,
) -> Customer:
    if full:
        return Customer(
            customer_id="C004",
            name=name or "Transports Bernard SAS",
            email="direction@transports-bernard.example",
            kind=kind,
            language=language,
            cc=("compta@transports-bernard.example",),
            address=("ZA des Prés, 2 rue des Routiers", "59000 Lille", "France"),
            siren="914852538" if kind is CustomerKind.BUSINESS else None,
            account_manager_email="marc.girard@atelier-durand.example",
        )
    return Customer(
        customer_id="C9", name=name or "Client Minimal", email="c9@example.org", kind=kind, language=language
    )


def invoices(full: bool = True) -> list[Invoice]:
    first = Invoice(
        "F2026-0104",
        "C004",
        date(2026, 1, 12),
        date(2026, 2, 11),
        "EUR",
        Decimal("12000.00"),
        amount_paid=Decimal("1500.00") if full else Decimal("0.00"),
        dunning=DunningState(("courtesy", "reminder_1", "reminder_2", "reminder_3", "formal_notice")),
        payment_link=LINK if full else None,
        purchase_order="PO-77" if full else None,
    )
    if not full:
        return [first]
    second = Invoice(
        "F2026-0110",
        "C004",
        date(2026, 2, 2),
        date(2026, 3, 4),
        "EUR",
        Decimal("2310.40"),
        dunning=DunningState(("courtesy", "reminder_1", "reminder_2", "reminder_3")),
    )
    return [first, second]


def step_for(template: str) -> Step:
    """The shipped policy step that uses a template, or an email step of that name."""
    for name in ("fr-b2b-standard", "fr-b2c", "strict", "gentle"):
        for step in get_policy(name).steps:
            if step.template == template:
                return step
    return Step(id=template, offset_days=0, actions=frozenset({Action.EMAIL}), template=template)


LADDER_DATES = (date(2026, 2, 16), date(2026, 2, 26), date(2026, 3, 13), date(2026, 3, 23), date(2026, 4, 7))


def case_before(step: Step, bills: list[Invoice]) -> Case:
    """The case as it stood when `step` went out: the ladder's earlier steps, the first reminder naming the
    oldest invoice only (so the second is new in the second reminder), later ones naming both."""
    ladder = get_policy("fr-b2b-standard").ladder
    index = next((i for i, item in enumerate(ladder) if item.id == step.id), 0)
    messages = tuple(
        CaseMessage(
            step=ladder[i].id,
            on=LADDER_DATES[i],
            invoice_ids=tuple(b.invoice_id for b in (bills[:1] if i == 0 else bills)),
            letter=Action.LETTER in ladder[i].actions,
        )
        for i in range(min(index, len(LADDER_DATES)))
    )
    noticed = tuple(b.invoice_id for b in bills) if any(m.letter for m in messages) else ()
    return Case("C004-EUR-1", "EUR", date(2026, 2, 12), messages=messages, noticed=noticed)


def email_context(template: str, language: str, full: bool = True, **overrides: Any) -> dict[str, Any]:
    step = step_for(template)
    bills = invoices(full)
    debtor = overrides.pop("debtor", None) or customer(full, language)
    claims = claims_for("FR", debtor, bills, TODAY) if step.claim_penalties else {}
    later = Invoice("F2026-0120", "C004", date(2026, 3, 20), date(2026, 4, 19), "EUR", Decimal("450.00"))
    if template == "courtesy":
        parts = MessageParts(step=step, actions=(), upcoming=tuple(bills))
    else:
        case = case_before(step, bills)
        letter = tuple(bills) if Action.LETTER in step.actions else ()
        action = CaseAction(case, step, MessageKind.STEP, 0, tuple(bills), letter)
        parts = MessageParts(step=step, actions=(action,), upcoming=(later,) if full else ())
    context = messages.message_context(
        company=company(full),
        customer=debtor,
        parts=parts,
        today=TODAY,
        account_manager=debtor.account_manager_email if Action.CALL_TASK in step.actions else None,
        claims=claims,
    )
    context.update(overrides)
    return context


def history(full: bool = True) -> list[dict[str, Any]]:
    if not full:
        return []
    entry = {
        "kind": "escalation",
        "channels": ["email"],
        "outcome": "sent",
        "reason": None,
        "actor": "system",
    }
    return [
        {
            **entry,
            "on": date(2026, 2, 16),
            "step": "reminder_1",
            "message_id": "0102-msg-1",
            "invoice_ids": ["F2026-0104"],
            "delivery": ["delivered"],
        },
        {
            **entry,
            "on": date(2026, 2, 26),
            "step": "reminder_2",
            "message_id": "0102-msg-2",
            "invoice_ids": ["F2026-0104"],
            "delivery": ["bounced"],
        },
        {
            **entry,
            "on": date(2026, 3, 23),
            "step": "formal_notice",
            "channels": ["email", "letter"],
            "message_id": "0102-msg-3",
            "invoice_ids": ["F2026-0104"],
            "delivery": [],
        },
        {
            "kind": "status",
            "on": date(2026, 3, 25),
            "step": "promised",
            "channels": [],
            "outcome": "recorded",
            "message_id": None,
            "invoice_ids": ["F2026-0104"],
            "reason": "pays on the 30th",
            "actor": "julie",
            "delivery": [],
        },
    ]


def notices(full: bool = True) -> list[dict[str, Any]]:
    if not full:
        return []
    return notices_with_deadlines(
        get_policy("fr-b2b-standard"),
        [
            {
                "on": date(2026, 3, 23),
                "step": "formal_notice",
                "key": "notices/C004/2026/03/2026-03-23-formal_notice-EUR.pdf",
                "sha256": "ab" * 32,
                "currency": "EUR",
                "invoice_ids": ["F2026-0104"],
            }
        ],
    )


def payments(full: bool = True) -> list[dict[str, Any]]:
    if not full:
        return []
    return [
        {"on": date(2026, 3, 2), "amount": Decimal("1500.00"), "currency": "EUR", "invoice": "F2026-0104"}
    ]


def call_task_context(language: str, full: bool = True, stage_notices: bool | None = None) -> dict[str, Any]:
    policy = get_policy("fr-b2b-standard")
    step = policy.steps[policy.index_of("reminder_3")]
    with_notices = full if stage_notices is None else stage_notices
    return documents.call_task_context(
        company=company(full),
        customer=customer(full, language),
        step=step,
        next_step=next_step(policy, step) if full else None,
        invoices=invoices(full),
        history=history(full),
        payments=payments(full),
        notices=notices(with_notices),
        today=TODAY,
    )


def letter_context(
    language: str, full: bool = True, kind: CustomerKind = CustomerKind.BUSINESS
) -> dict[str, Any]:
    debtor = customer(full, language, kind)
    bills = invoices(full)
    return documents.letter_context(
        company=company(full),
        customer=debtor,
        invoices=bills,
        claims=claims_for(
            "FR", debtor, bills, TODAY, notice_dates={i.invoice_id: date(2026, 3, 23) for i in bills}
        ),
        currency="EUR",
        today=TODAY,
        deadline=TODAY + timedelta(days=8),
    )


def handoff_context(
    language: str, full: bool = True, kind: CustomerKind = CustomerKind.BUSINESS, country: str = "FR"
) -> dict[str, Any]:
    debtor = customer(full, language, kind)
    bills = invoices(full)
    context = documents.handoff_context(
        company=company(full),
        customer=debtor,
        invoices=bills,
        claims=claims_for("FR", debtor, bills, TODAY),
        today=TODAY,
        language=language,
        dispatch_id="C004#2026-04-07",
        history=[{**entry, "deliveries": []} for entry in history(full)],
        payments=payments(full),
        notices=notices(full),
    )
    context["route"] = collection_route(country, debtor, context["claims"])
    context["case"] = {
        "id": "C004-EUR-1",
        "opened_on": date(2026, 2, 12),
        "noticed": [bill.invoice_id for bill in bills[:1]],
        "joined_after_notice": [bill.invoice_id for bill in bills[1:]],
    }
    return context


RECORDED_AT = datetime(2026, 3, 1, tzinfo=UTC)
