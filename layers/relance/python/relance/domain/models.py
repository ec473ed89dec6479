"""Customers and invoices as the escalation rules see them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from relance.domain.amounts import ZERO


class CustomerKind(StrEnum):
    BUSINESS = "business"
    CONSUMER = "consumer"


class ContactStatus(StrEnum):
    OK = "ok"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    DISPUTED = "disputed"
    PROMISED = "promised"
    PLAN = "plan"
    WRITTEN_OFF = "written_off"
    CANCELLED = "cancelled"


# Statuses under which no reminder may ever go out, whatever the dates say.
STOPPED_STATUSES = frozenset(
    {InvoiceStatus.PAID, InvoiceStatus.DISPUTED, InvoiceStatus.WRITTEN_OFF, InvoiceStatus.CANCELLED}
)


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    email: str
    kind: CustomerKind = CustomerKind.BUSINESS
    language: str = "fr"
    cc: tuple[str, ...] = ()
    address: tuple[str, ...] = ()
    country: str = "FR"
    siren: str | None = None
    account_manager_email: str | None = None
    policy: str | None = None
    do_not_dun: bool = False
    waive_penalties: bool = False
    # The late-payment rate of the customer's terms (percent a year), used instead of the statutory one.
    contract_rate: Decimal | None = None
    contact_status: ContactStatus = ContactStatus.OK
    late_invoices: int = 0
    average_days_late: Decimal = ZERO
    last_message_on: date | None = None
    # The debtor's legal form as written in its file (SARL, SCI, SELARL, association, EI...): it decides
    # which French court hears the claim (domain/collection.py). None when unknown.
    legal_form: str | None = None
    # Whether the debtor is a merchant or artisan, for forms that do not say (an entrepreneur individuel).
    merchant: bool | None = None


@dataclass(frozen=True)
class DunningState:
    """Where an invoice stands in its escalation: the steps already taken, in order."""

    steps_done: tuple[str, ...] = ()
    last_step_on: date | None = None

    @property
    def last_step(self) -> str | None:
        return self.steps_done[-1] if self.steps_done else None

    def after(self, step_id: str, on: date) -> DunningState:
        return DunningState(steps_done=(*self.steps_done, step_id), last_step_on=on)


@dataclass(frozen=True)
class Instalment:
    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class PaymentPlan:
    """Instalments agreed with the customer; they replace the invoice's escalation schedule while kept.

    Payments are not stored on the plan: whatever the invoice receives after `paid_at_start` counts toward
    the instalments in order, so a payment file needs no notion of plans.
    """

    instalments: tuple[Instalment, ...]
    agreed_on: date
    # The invoice's amount_paid when the plan was agreed; the instalments sum to the balance left then.
    paid_at_start: Decimal
    # Indexes of the instalments already reminded: a reminder goes once per instalment, never twice.
    reminded: tuple[int, ...] = ()

    def first_uncovered(self, amount_paid: Decimal) -> int | None:
        """The first instalment that what was paid since the plan does not cover; None when all are."""
        paid = amount_paid - self.paid_at_start
        running = ZERO
        for index, instalment in enumerate(self.instalments):
            running += instalment.amount
            if paid < running:
                return index
        return None

    def after_reminder(self, index: int) -> PaymentPlan:
        if index in self.reminded:
            return self
        return replace(self, reminded=(*self.reminded, index))


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    customer_id: str
    issue_date: date
    due_date: date
    currency: str
    total: Decimal
    amount_paid: Decimal = ZERO
    status: InvoiceStatus = InvoiceStatus.OPEN
    paid_on: date | None = None
    dunning: DunningState = field(default_factory=DunningState)
    paused_until: date | None = None
    pause_reason: str | None = None
    payment_link: str | None = None
    purchase_order: str | None = None
    contract_rate: Decimal | None = None
    # Present while the invoice is under a payment plan (status PLAN).
    plan: PaymentPlan | None = None

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid

    def days_late(self, on: date) -> int:
        return max(0, (on - self.due_date).days)
