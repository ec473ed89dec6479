"""Accounts-receivable books of any size, shaped like tools/relance_tools/ledger.py's (itself like IBM's
public sample): about 25 invoices a customer over two years, 30-day terms, customers with habits (prompt,
late, slow, bad), one invoice in five disputed a few days after its first reminder, some paid in two
parts, some never. From a fixed seed, so that every run measures the same book.

`steady_book` plays it on the in-memory ports as Relance would have lived it: the book as it stood some
weeks ago is loaded at once (the invoices paid by then as paid), then each day's new invoices, payments and
disputes go through the ingest service and the levers, and the planner and the worker run, until the cases
are spread along the ladder.
"""

from __future__ import annotations

import contextlib
import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from relance.adapters.memory import MemoryContext
from relance.domain.engine import next_action_on, settle_book
from relance.domain.models import Customer, CustomerKind, Invoice, InvoiceStatus
from relance.services import levers
from relance.services.dunning import DispatchResult, process_customer
from relance.services.planner import RunRequest, plan_day
from relance_tools.replay import MemoryPipeline

INVOICES_PER_CUSTOMER = 25
TERMS = 30
HISTORY_DAYS = 730


@dataclass(frozen=True)
class Payment:
    invoice_id: str
    customer_id: str
    paid_on: date
    amount: Decimal


@dataclass
class GeneratedBook:
    customers: list[Customer]
    invoices: list[Invoice]
    payments: list[Payment]
    disputes: list[tuple[date, str]]
    first_day: date
    last_day: date
    by_issue: dict[date, list[Invoice]] = field(default_factory=dict)
    by_payment: dict[date, list[Payment]] = field(default_factory=dict)
    by_dispute: dict[date, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for table, items, key in (
            (self.by_issue, self.invoices, lambda item: item.issue_date),
            (self.by_payment, self.payments, lambda item: item.paid_on),
        ):
            grouped: dict[date, list] = defaultdict(list)  # type: ignore[type-arg]
            for item in items:
                grouped[key(item)].append(item)
            table.update(grouped)
        for day, invoice_id in self.disputes:
            self.by_dispute.setdefault(day, []).append(invoice_id)


def generate(invoices: int, last_day: date, seed: int = 2466) -> GeneratedBook:
    """`invoices` invoices issued over the two years up to `last_day`, their customers and payments."""
    rng = random.Random(seed)
    customers_count = max(1, invoices // INVOICES_PER_CUSTOMER)
    first_day = last_day - timedelta(days=HISTORY_DAYS)
    habits = rng.choices(["prompt", "late", "slow", "bad"], weights=[45, 30, 18, 7], k=customers_count)
    weights = [rng.uniform(0.3, 2.0) for _ in range(customers_count)]
    customers = [
        Customer(
            f"K{index:06d}",
            f"Client {index:06d}",
            f"compta{index:06d}@client.example",
            kind=CustomerKind.CONSUMER if index % 17 == 0 else CustomerKind.BUSINESS,
            language="en" if index % 11 == 0 else "fr",
            address=(f"{index + 1} rue du Commerce", f"{75001 + index % 20:05d} Paris"),
        )
        for index in range(customers_count)
    ]
    made: list[Invoice] = []
    payments: list[Payment] = []
    disputes: list[tuple[date, str]] = []
    owners = rng.choices(range(customers_count), weights=weights, k=invoices)
    for number, owner in enumerate(owners):
        issued = first_day + timedelta(days=rng.randrange(HISTORY_DAYS))
        due = issued + timedelta(days=TERMS)
        total = Decimal(rng.randrange(500, 13000)) / 100
        customer_id = customers[owner].customer_id
        invoice = Invoice(f"A{issued:%Y}-{number:07d}", customer_id, issued, due, "EUR", total)
        made.append(invoice)
        habit = habits[owner]
        late = {
            "prompt": rng.choice([-10, -5, -2, 0, 0, 1]),
            "late": rng.randrange(0, 25),
            "slow": rng.randrange(10, 60),
            "bad": rng.randrange(30, 140),
        }[habit]
        if rng.random() < 0.2:
            raised = due + timedelta(days=rng.randrange(4, 12))
            disputes.append((raised, invoice.invoice_id))
            late = max(late, (raised - due).days + rng.randrange(5, 50))
        if habit == "bad" and rng.random() < 0.3:
            continue  # never paid
        paid_on = max(issued, due + timedelta(days=late))
        if rng.random() < 0.1 and total > 20:
            half = (total / 2).quantize(Decimal("0.01"))
            first = max(issued, paid_on - timedelta(days=10))
            payments.append(Payment(invoice.invoice_id, customer_id, first, half))
            payments.append(Payment(invoice.invoice_id, customer_id, paid_on, total - half))
        else:
            payments.append(Payment(invoice.invoice_id, customer_id, paid_on, total))
    return GeneratedBook(customers, made, payments, disputes, first_day, last_day)


def load_as_of(ctx: MemoryContext, book: GeneratedBook, day: date) -> None:
    """The book as it stood on the morning of `day`: the invoices issued before it, paid as far as they were
    (disputes left out: they are raised during the replay), each customer with its cases and next date."""
    paid: dict[str, Decimal] = defaultdict(Decimal)
    paid_on: dict[str, date] = {}
    for payment in book.payments:
        if payment.paid_on < day:
            paid[payment.invoice_id] += payment.amount
            paid_on[payment.invoice_id] = max(
                payment.paid_on, paid_on.get(payment.invoice_id, payment.paid_on)
            )
    invoices: dict[str, list[Invoice]] = defaultdict(list)
    for invoice in book.invoices:
        if invoice.issue_date >= day:
            continue
        amount = paid.get(invoice.invoice_id, Decimal(0))
        if amount >= invoice.total:
            invoice = replace(
                invoice, amount_paid=amount, status=InvoiceStatus.PAID, paid_on=paid_on[invoice.invoice_id]
            )
        elif amount:
            invoice = replace(invoice, amount_paid=amount)
        invoices[invoice.customer_id].append(invoice)
    customers = []
    for customer in book.customers:
        own = invoices.get(customer.customer_id, [])
        policy = ctx.policies.for_customer(customer)
        # Cases are opened by the first visit (the day's run); only the index date is set here.
        settled, settled_invoices, _, _ = settle_book(customer, own, policy, day)
        customers.append(
            replace(
                customer, next_action_on=next_action_on(settled, settled_invoices, policy, ctx.calendar, day)
            )
        )
    ctx.book.create(customers, [invoice for own in invoices.values() for invoice in own])


def invoices_csv(invoices: list[Invoice]) -> bytes:
    lines = ["invoice_id;customer_id;issue_date;due_date;currency;total"]
    lines += [
        f"{i.invoice_id};{i.customer_id};{i.issue_date:%d/%m/%Y};{i.due_date:%d/%m/%Y};{i.currency};"
        f"{i.total:.2f}".replace(".", ",")
        for i in invoices
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def payments_csv(payments: list[Payment]) -> bytes:
    lines = ["invoice_id;paid_on;amount;reference"]
    lines += [
        f"{p.invoice_id};{p.paid_on:%d/%m/%Y};{p.amount:.2f};VIR-{p.invoice_id}".replace(".", ",")
        for p in payments
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass
class DayFigures:
    day: date
    index_items: int
    """Items the planner read from the daily index."""
    results: list[DispatchResult]
    errors: int


def prepare_day(pipeline: MemoryPipeline, book: GeneratedBook, day: date) -> None:
    """The day's files and decisions, before the scheduled run: new invoices, payments, disputes."""
    ctx = pipeline.ctx
    pipeline.set_day(day)
    if book.by_issue.get(day):
        pipeline.upload(f"incoming/invoices/{day}.csv", invoices_csv(book.by_issue[day]))
    if book.by_payment.get(day):
        pipeline.upload(f"incoming/payments/{day}.csv", payments_csv(book.by_payment[day]))
    for invoice_id in book.by_dispute.get(day, []):
        with contextlib.suppress(levers.LeverError):  # paid or settled meanwhile
            levers.dispute(ctx, invoice_id, "contestation client", actor="bench")


def run_day(pipeline: MemoryPipeline, day: date) -> DayFigures:
    """The scheduled run: the planner reads the index and queues, the worker takes each message."""
    ctx = pipeline.ctx
    planned = plan_day(ctx, RunRequest(day, f"daily-{day.isoformat()}"))
    results, errors = [], 0
    for message in ctx.queue.drain():
        try:
            results.append(process_customer(ctx, str(message["customer_id"]), str(message["run_id"])))
        except Exception:  # counted; the queue would retry it
            errors += 1
    return DayFigures(day, planned.items_read, results, errors)


def play_day(pipeline: MemoryPipeline, book: GeneratedBook, day: date) -> DayFigures:
    prepare_day(pipeline, book, day)
    return run_day(pipeline, day)
