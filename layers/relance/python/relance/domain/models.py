"""Customers and invoices as the escalation rules see them."""

from __future__ import annotations

from dataclasses import dataclass, field
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

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid

    def days_late(self, on: date) -> int:
        return max(0, (on - self.due_date).days)
