"""Customers and invoices as the escalation rules see them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
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
# Statuses under which nothing is owed any more: the invoice leaves its case for good.
SETTLED_STATUSES = frozenset({InvoiceStatus.PAID, InvoiceStatus.WRITTEN_OFF, InvoiceStatus.CANCELLED})


class CaseState(StrEnum):
    OPEN = "open"
    """Escalating: one step at a time on the policy's ladder."""
    HANDED_OFF = "handed_off"
    """The agency or the court has it: no more reminders until it is paid or a person reopens it."""
    HELD = "held"
    """Invoices that fell overdue after a hand-off of the same currency: they wait for that case to end."""


class MessageKind(StrEnum):
    STEP = "step"
    """A step of the ladder: the case moves up one."""
    CATCH_UP = "catch_up"
    """The current level again, for invoices no message named yet, so that the formal notice may name them."""
    SUPPLEMENTARY = "supplementary"
    """A supplementary formal notice for invoices that joined after the notice (policy option)."""


@dataclass(frozen=True)
class CaseMessage:
    """One thing the case did for the customer on one day: the step and the invoices it named."""

    step: str
    on: date
    invoice_ids: tuple[str, ...]
    kind: MessageKind = MessageKind.STEP
    # Whether it carried a formal notice by registered letter: the next step's spacing then runs from receipt.
    letter: bool = False


@dataclass(frozen=True)
class LetterTracking:
    """The registered letter of the formal notice: posted when, under which tracking number, received when.

    The formal notice's deadline runs from receipt; without a recorded receipt the engine assumes the letter
    arrived after the policy's postal delay.
    """

    posted_on: date | None = None
    tracking: str | None = None
    received_on: date | None = None


@dataclass(frozen=True)
class Case:
    """One escalation per customer and currency: open while something of that currency is overdue.

    The case, not the invoice, climbs the policy's ladder: `messages` holds what it sent, in order, each
    ladder step once. Invoices join and leave it by their own state (see relance.domain.cases); the case
    remembers which invoices each message named, which the formal notice covered and which were handed off.
    """

    case_id: str
    currency: str
    opened_on: date
    state: CaseState = CaseState.OPEN
    messages: tuple[CaseMessage, ...] = ()
    noticed: tuple[str, ...] = ()
    handed_off: tuple[str, ...] = ()
    paused_until: date | None = None
    pause_reason: str | None = None
    letter: LetterTracking = field(default_factory=LetterTracking)

    @property
    def paused_for_a_person(self) -> bool:
        """Paused with no end date (a dispute raised in a reply or a call): only a person resumes it."""
        return self.pause_reason is not None and self.paused_until is None

    def paused_on(self, day: date) -> bool:
        return self.paused_for_a_person or (self.paused_until is not None and day <= self.paused_until)

    @property
    def steps(self) -> tuple[CaseMessage, ...]:
        """The ladder steps taken, in order (catch-ups and supplementary notices are not steps)."""
        return tuple(item for item in self.messages if item.kind is MessageKind.STEP)

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(item.step for item in self.steps)

    @property
    def last_step(self) -> CaseMessage | None:
        steps = self.steps
        return steps[-1] if steps else None

    @property
    def last_message(self) -> CaseMessage | None:
        return self.messages[-1] if self.messages else None

    def named(self, invoice_id: str) -> bool:
        """Whether an earlier message of the case listed the invoice."""
        return any(invoice_id in item.invoice_ids for item in self.messages)

    def first_named(self, invoice_id: str) -> CaseMessage | None:
        return next((item for item in self.messages if invoice_id in item.invoice_ids), None)

    def message_of(self, kind: MessageKind) -> CaseMessage | None:
        return next((item for item in self.messages if item.kind is kind), None)


@dataclass(frozen=True)
class DispatchState:
    """The day's dispatch claim on the customer: what is in flight, since when, and the last one recorded."""

    pending: str | None = None
    pending_since: datetime | None = None
    last: str | None = None


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
    phone: str | None = None
    # Who pays for it, as its bank statements name them ("iban:FR76...", "name:ACME SARL"): remembered after a
    # payment matched by invoice number or reference, so that the next one may be matched by amount.
    payers: tuple[str, ...] = ()
    # The debtor's legal form as written in its file (SARL, SCI, SELARL, association, EI...): it decides
    # which French court hears the claim (domain/collection.py). None when unknown.
    legal_form: str | None = None
    # Whether the debtor is a merchant or artisan, for forms that do not say (an entrepreneur individuel).
    merchant: bool | None = None
    # Its escalations, one per currency (plus a held one behind a hand-off); closed cases live in the log.
    cases: tuple[Case, ...] = ()
    # How many cases were ever opened: the next case's number, so that case ids never repeat.
    cases_opened: int = 0
    dispatch: DispatchState = field(default_factory=DispatchState)
    # The day the engine next has something to do for this customer: the planner's daily index.
    next_action_on: date | None = None
    # Storage's optimistic-lock counter: opaque to the rules, carried so a save detects a concurrent change.
    version: int | None = None

    def case_for(self, currency: str, *states: CaseState) -> Case | None:
        wanted = states or (CaseState.OPEN, CaseState.HANDED_OFF)
        return next((case for case in self.cases if case.currency == currency and case.state in wanted), None)


@dataclass(frozen=True)
class DunningState:
    """Marks an invoice carries by itself: the pre-due courtesy notice it got. Books written before cases
    existed hold every step here; relance.domain.cases.adopt_legacy reads them into cases once."""

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
    # The day an earlier version's per-invoice index held for it; cleared when its book is read into cases.
    legacy_next_action_on: date | None = None
    version: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.customer_id, self.invoice_id)

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid

    def days_late(self, on: date) -> int:
        return max(0, (on - self.due_date).days)
