"""The morning digest for the finance team: what is owed and how late, what went out, what needs a person.

It runs after the daily run (template.yaml: DigestFunction, its own schedule an hour after ScheduleHour)
and reads everything through the ports: the book (customers with their cases and dispatch claims, their
invoices, the daily index), the escalation log of the customers with something open or recent, today's
ingest reports and the earlier digests in the bucket. Every day it writes reports/digest/<date>.csv,
.html and .txt, then <date>.json last (the history the trend reads, and the mark that the day is done);
on an open day it emails the HTML and text parts to DIGEST_RECIPIENTS; and it sends the same figures to
CloudWatch for the receivables dashboard. What is listed as activity (sent, letters, broken plans,
rejected rows) covers the days since the previous open day: Monday's digest tells of the weekend too.
Figures and definitions: docs/digest.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from relance.domain.aging import (
    Aging,
    Comparison,
    Dso,
    Snapshot,
    age_receivables,
    dso_by_currency,
    is_receivable,
    overdue_trend,
    references,
    scale,
)
from relance.domain.amounts import ZERO
from relance.domain.calendar import BusinessCalendar
from relance.domain.cases import owed
from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.models import CaseState, ContactStatus, Customer, Invoice, InvoiceStatus
from relance.domain.money import (
    HalfYear,
    MissingRateError,
    RateBook,
    RateStatus,
    load_rate_book,
    rate_tables_for,
)
from relance.ingest.report import REPORTS as INGEST_REPORTS
from relance.ingest.report import spreadsheet_cell
from relance.observability import count_metric, gauge_metric, logger
from relance.ports import Context, SendRejected, SendUncertain, StorageError
from relance.rendering.mime import build_message, mailbox, stable_message_id, valid_address
from relance.services.penalties import rates_for

DIGEST_PREFIX = "reports/digest/"
TEMPLATE = "digest"
# The chart's longest bar: pixels in the HTML part, characters in the text part.
CHART_PIXELS = 320
CHART_CHARACTERS = 30
# A file of thousands of bad rows is named with its count; the email lists its first rows only.
ROWS_LISTED = 10
# A rate table's next half-year is flagged this many days before it starts.
RATE_NOTICE_DAYS = 31

# The groups of "needs a person", in the order the digest lists them.
ATTENTION_KINDS = (
    "held",
    "not_processed",
    "failed",
    "address",
    "dispute",
    "reply",
    "plan_broken",
    "handoff",
    "held_case",
    "letter",
    "held_notice",
    "rate",
    "ingest",
)
_SENT_OUTCOMES = {Outcome.SENT, Outcome.RECORDED}


@dataclass(frozen=True)
class Window:
    """The days whose activity the digest tells: after the previous open day, up to the digest's day."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


def activity_window(calendar: BusinessCalendar, day: date) -> Window:
    previous = day - timedelta(days=1)
    # Weekends and holiday bridges are a few days; a month is a bound, not an expectation.
    for _ in range(31):
        if calendar.is_open(previous):
            break
        previous -= timedelta(days=1)
    return Window(previous + timedelta(days=1), day)


@dataclass(frozen=True)
class Attention:
    """One thing a person must look at: whose, about what, why and what to do."""

    kind: str
    subject: str
    detail: str
    """The facts and what to do, in English (the CSV, the JSON, the logs); the email's templates word each
    kind in the recipients' language from the other fields."""
    code: str | None = None
    """Which case of the kind: the contact status (address), missing, unverified or claim_note (rate),
    refused, rejected or unreadable (ingest)."""
    customer_id: str | None = None
    customer_name: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    on: date | None = None
    count: int | None = None
    lines: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "customer_id": self.customer_id,
            "customer_name": self.customer_name,
            "subject": self.subject,
            "detail": self.detail,
            "amount": None if self.amount is None else str(self.amount),
            "currency": self.currency,
            "on": None if self.on is None else self.on.isoformat(),
            "count": self.count,
            "lines": list(self.lines),
        }


@dataclass
class SentStep:
    """The messages of one step in the window: dispatches, invoices chased, amounts per currency."""

    step: str
    messages: int = 0
    invoices: int = 0
    not_emailed: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Digest:
    day: date
    window: Window
    open_day: bool
    aging: Mapping[str, Aging]
    dso: Mapping[str, Dso]
    trend: Mapping[str, tuple[Comparison, ...]]
    sent: tuple[SentStep, ...]
    payments: Mapping[str, tuple[Decimal, int]]
    attention: tuple[Attention, ...]

    def group(self, kind: str) -> list[Attention]:
        return [item for item in self.attention if item.kind == kind]


@dataclass(frozen=True)
class DigestResult:
    day: date
    keys: Mapping[str, str]
    recipients: int
    message_id: str | None
    email: str
    """sent, already_sent, not_open_day, no_recipients, failed: <reason>."""
    attention: int
    overdue: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "keys": dict(self.keys),
            "recipients": self.recipients,
            "message_id": self.message_id,
            "email": self.email,
            "attention": self.attention,
            "overdue": dict(self.overdue),
        }


def digest_key(day: date, extension: str) -> str:
    return f"{DIGEST_PREFIX}{day.isoformat()}.{extension}"


# ---------------------------------------------------------------- the run


def run_digest(ctx: Context, day: date, *, resend: bool = False) -> DigestResult:
    """Computes, stores, emails (open days, once a day unless `resend`) and measures the day's digest."""
    digest = compute_digest(ctx, day)
    language = "fr" if ctx.settings.country == "FR" else "en"
    keys = {extension: digest_key(day, extension) for extension in ("json", "csv", "html", "txt")}
    rendered = ctx.renderer.email(TEMPLATE, digest_context(ctx, digest, language, keys))
    ctx.store.put_file(keys["csv"], digest_csv(digest).encode("utf-8"), "text/csv; charset=utf-8")
    ctx.store.put_file(keys["html"], rendered.html.encode("utf-8"), "text/html; charset=utf-8")
    ctx.store.put_file(keys["txt"], rendered.text.encode("utf-8"), "text/plain; charset=utf-8")

    recipients = ctx.settings.digest_recipients
    earlier = _earlier_email(ctx, keys["json"]) if not resend else None
    message_id: str | None = None
    if not recipients:
        outcome = "no_recipients"
    elif not digest.open_day:
        outcome = "not_open_day"
    elif earlier is not None:
        outcome, message_id = "already_sent", earlier
    else:
        outcome, message_id = _email(ctx, day, rendered, recipients, resend)

    ctx.store.put_report(keys["json"], digest_record(ctx, digest, keys, outcome, message_id, len(recipients)))
    measure(digest)
    result = DigestResult(
        day=day,
        keys=keys,
        recipients=len(recipients),
        message_id=message_id,
        email=outcome,
        attention=len(digest.attention),
        overdue={currency: str(aging.overdue) for currency, aging in digest.aging.items()},
    )
    logger.info("digest", extra=result.as_dict())
    return result


def compute_digest(ctx: Context, day: date) -> Digest:
    window = activity_window(ctx.calendar, day)
    customers = list(ctx.book.all_customers())
    invoices = {customer.customer_id: ctx.book.invoices_of(customer.customer_id) for customer in customers}
    every_invoice = [invoice for group in invoices.values() for invoice in group]
    aging = age_receivables(every_invoice, day)
    events = [
        event
        for customer in customers
        if _active(customer, invoices[customer.customer_id], window)
        for event in ctx.events.for_customer(customer.customer_id)
        if event.occurred_on in window
    ]
    current = {currency: item.overdue for currency, item in aging.items()}
    return Digest(
        day=day,
        window=window,
        open_day=ctx.calendar.is_open(day),
        aging=aging,
        dso=dso_by_currency(every_invoice, day, aging),
        trend=overdue_trend(current, day, read_history(ctx, day)),
        sent=sent_by_step(events),
        payments=payments_received(events),
        attention=tuple(needs_a_person(ctx, day, window, customers, invoices, events)),
    )


def _active(customer: Customer, invoices: Sequence[Invoice], window: Window) -> bool:
    """Whether the customer's log may hold something of the window: a customer with nothing owed, no
    dispatch and no payment in it has nothing to tell, and its history is not read."""
    dispatched = [key for key in (customer.dispatch.last, customer.dispatch.pending) if key]
    return (
        any(is_receivable(invoice) for invoice in invoices)
        or any(_dispatch_day(key) in window for key in dispatched)
        or any(invoice.paid_on in window for invoice in invoices)
    )


def _dispatch_day(dispatch_key: str) -> date | None:
    try:
        return date.fromisoformat(dispatch_key.rsplit("#", 1)[1])
    except (IndexError, ValueError):
        return None


# ---------------------------------------------------------------- history


def read_history(ctx: Context, day: date) -> list[Snapshot]:
    """The earlier digests the trend compares with (at most three are read): the previous one and those of
    7 and 30 days before."""
    days = []
    for key in ctx.store.keys(DIGEST_PREFIX):
        name = key.removeprefix(DIGEST_PREFIX)
        if not name.endswith(".json"):
            continue
        try:
            days.append(date.fromisoformat(name.removesuffix(".json")))
        except ValueError:
            continue
    wanted = {
        snapshot.on
        for snapshot in references(day, [Snapshot(on, {}) for on in days if on < day]).values()
        if snapshot is not None
    }
    snapshots = []
    for on in sorted(wanted):
        try:
            record = json.loads(ctx.store.read(digest_key(on, "json")))
            overdue = {
                currency: Decimal(str(figures["overdue"]))
                for currency, figures in record.get("currencies", {}).items()
            }
        except (StorageError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
            logger.warning("earlier digest unreadable", extra={"day": on.isoformat(), "reason": str(exc)})
            continue
        snapshots.append(Snapshot(on, overdue))
    return snapshots


def _earlier_email(ctx: Context, key: str) -> str | None:
    """The message id of the day's digest already emailed (a retried or repeated run sends it once)."""
    try:
        record = json.loads(ctx.store.read(key))
    except (StorageError, ValueError):
        return None
    email = record.get("email") or {}
    return str(email["message_id"]) if email.get("message_id") else None


# ---------------------------------------------------------------- activity


def sent_by_step(events: Iterable[EscalationEvent]) -> tuple[SentStep, ...]:
    """Escalation steps and plan reminders carried out in the window, in the order they first happened;
    one message per customer and step, whatever the number of its cases."""
    steps: dict[str, SentStep] = {}
    seen: set[tuple[str, str, str]] = set()
    chased: dict[str, set[tuple[str, str]]] = {}
    for event in sorted(events, key=lambda item: (item.occurred_on, item.customer_id, item.event_key)):
        if event.kind not in {EventKind.ESCALATION, EventKind.PLAN_REMINDER}:
            continue
        if event.outcome not in {*_SENT_OUTCOMES, Outcome.SKIPPED}:
            continue
        step = event.step or event.kind.value
        item = steps.setdefault(step, SentStep(step))
        dispatch = event.detail.get("dispatch") or f"{event.customer_id}#{event.occurred_on.isoformat()}"
        if (step, event.customer_id, dispatch) not in seen:
            seen.add((step, event.customer_id, dispatch))
            if event.outcome is Outcome.SKIPPED:
                item.not_emailed += 1
            else:
                item.messages += 1
        lines = [line.invoice_id for line in event.lines if line.stage != "upcoming"] or list(
            event.invoice_ids
        )
        chased.setdefault(step, set()).update((event.customer_id, invoice_id) for invoice_id in lines)
        if event.currency and event.amount is not None:
            item.amounts[event.currency] = item.amounts.get(event.currency, ZERO) + event.amount
    for step, item in steps.items():
        item.invoices = len(chased.get(step, ()))
    return tuple(steps.values())


def payments_received(events: Iterable[EscalationEvent]) -> dict[str, tuple[Decimal, int]]:
    received: dict[str, tuple[Decimal, int]] = {}
    for event in events:
        if event.kind is EventKind.PAYMENT and event.currency and event.amount is not None:
            amount, count = received.get(event.currency, (ZERO, 0))
            received[event.currency] = (amount + event.amount, count + 1)
    return dict(sorted(received.items()))


# ---------------------------------------------------------------- what needs a person


def needs_a_person(
    ctx: Context,
    day: date,
    window: Window,
    customers: Sequence[Customer],
    invoices: Mapping[str, Sequence[Invoice]],
    events: Sequence[EscalationEvent],
) -> list[Attention]:
    names = {customer.customer_id: customer.name for customer in customers}
    items: list[Attention] = []
    held = set()
    for customer in customers:
        pending = customer.dispatch.pending
        if pending is not None:
            held.add(customer.customer_id)
            since = customer.dispatch.pending_since
            items.append(
                Attention(
                    "held",
                    pending,
                    f"dispatch started {since.isoformat(timespec='minutes') if since else '?'} and never "
                    f"recorded: check whether the email left, then relance release {customer.customer_id} "
                    "(--was-sent if it did)",
                    customer_id=customer.customer_id,
                    customer_name=customer.name,
                    on=ctx.calendar.local_date(since) if since else None,
                )
            )
    # A customer whose notice was held today stays due (held again each day until the terms are corrected):
    # it is listed once, with that reason, below.
    notice_held_today = {
        event.customer_id
        for event in events
        if event.kind is EventKind.STATUS and event.detail.get("notice_held") and event.occurred_on == day
    }
    for customer_id in sorted(ctx.book.due_customers(day).customer_ids - held - notice_held_today):
        items.append(
            Attention(
                "not_processed",
                customer_id,
                "still due after the daily run: not processed yet, deferred or failed (see the work queue's "
                "dead-letter queue and the worker's errors)",
                customer_id=customer_id,
                customer_name=names.get(customer_id),
            )
        )
    for event in events:
        if event.kind in {EventKind.ESCALATION, EventKind.PLAN_REMINDER} and event.outcome is Outcome.FAILED:
            items.append(
                Attention(
                    "failed",
                    event.step or event.kind.value,
                    event.reason or "failed",
                    customer_id=event.customer_id,
                    customer_name=names.get(event.customer_id),
                    amount=event.amount,
                    currency=event.currency,
                    on=event.occurred_on,
                )
            )
    for customer in customers:
        if customer.contact_status is not ContactStatus.OK:
            owed_now = _owed_by_currency(invoices[customer.customer_id])
            # One amount when one currency is owed; otherwise each is a line.
            amount, currency = owed_now[0] if len(owed_now) == 1 else (None, None)
            items.append(
                Attention(
                    "address",
                    customer.email,
                    f"{customer.contact_status.value}: no email goes to this address any more; the account "
                    "manager gets call tasks instead until the customers file gives a new one",
                    code=customer.contact_status.value,
                    customer_id=customer.customer_id,
                    customer_name=customer.name,
                    amount=amount,
                    currency=currency,
                    lines=tuple(f"{a} {c}" for a, c in owed_now) if len(owed_now) > 1 else (),
                )
            )
    for customer in customers:
        for invoice in invoices[customer.customer_id]:
            if invoice.status is InvoiceStatus.DISPUTED and is_receivable(invoice):
                items.append(
                    Attention(
                        "dispute",
                        invoice.invoice_id,
                        invoice.pause_reason or "disputed",
                        customer_id=customer.customer_id,
                        customer_name=customer.name,
                        amount=invoice.balance,
                        currency=invoice.currency,
                        on=invoice.due_date,
                    )
                )
    held_notices: dict[tuple[str, str | None], Attention] = {}
    for event in events:
        if event.kind is EventKind.STATUS and event.detail.get("notice_held"):
            # Held again each day until the terms are corrected: the latest day's entry is enough.
            held_notices[(event.customer_id, event.case_id)] = Attention(
                "held_notice",
                event.case_id or ", ".join(event.invoice_ids),
                event.reason or "notice held for a person",
                code=event.detail["notice_held"],
                customer_id=event.customer_id,
                customer_name=event.customer_name or names.get(event.customer_id),
                amount=event.amount,
                currency=event.currency,
                on=event.occurred_on,
                lines=event.invoice_ids,
            )
    items += list(held_notices.values())
    for event in events:
        # A customer wrote back (not an out-of-office): the account manager has a task quoting it; the digest
        # says so too, with what Relance made of it, so that a misread reply is caught the same morning.
        if event.kind is EventKind.REPLY and event.step != "auto_reply":
            items.append(
                Attention(
                    "reply",
                    event.step or "reply",
                    event.detail.get("quote") or event.reason or "",
                    code=event.step,
                    customer_id=event.customer_id,
                    customer_name=event.customer_name or names.get(event.customer_id),
                    on=event.occurred_on,
                )
            )
    for event in events:
        if event.kind is EventKind.STATUS and event.detail.get("plan") == "broken":
            items.append(
                Attention(
                    "plan_broken",
                    ", ".join(event.invoice_ids),
                    event.reason or "payment plan broken",
                    customer_id=event.customer_id,
                    customer_name=names.get(event.customer_id),
                    amount=event.amount,
                    currency=event.currency,
                    on=event.occurred_on,
                )
            )
    items += _cases(customers, invoices, day)
    items += _letters(customers, events)
    items += _rates(ctx.settings.country, day, events, names, rates_for(ctx))
    items += _ingest(ctx, window)
    order = {kind: position for position, kind in enumerate(ATTENTION_KINDS)}
    return sorted(items, key=lambda item: order[item.kind])


def _owed_by_currency(invoices: Iterable[Invoice]) -> list[tuple[Decimal, str]]:
    totals: dict[str, Decimal] = {}
    for invoice in invoices:
        if is_receivable(invoice):
            totals[invoice.currency] = totals.get(invoice.currency, ZERO) + invoice.balance
    return [(amount, currency) for currency, amount in sorted(totals.items())]


def _cases(
    customers: Sequence[Customer], invoices: Mapping[str, Sequence[Invoice]], day: date
) -> list[Attention]:
    """Cases with the agency or the court, and the invoices held behind them (they wait for that case)."""
    items = []
    for customer in customers:
        book = invoices[customer.customer_id]
        for case in customer.cases:
            if case.state is CaseState.HANDED_OFF:
                still = [
                    invoice
                    for invoice in book
                    if invoice.invoice_id in case.handed_off and is_receivable(invoice)
                ]
                handed_on = next((item.on for item in reversed(case.steps) if item.step == "handoff"), None)
                items.append(
                    Attention(
                        "handoff",
                        case.case_id,
                        "with collection: record what the agency recovers as payments, or relance reopen",
                        customer_id=customer.customer_id,
                        customer_name=customer.name,
                        amount=sum((invoice.balance for invoice in still), ZERO),
                        currency=case.currency,
                        on=handed_on,
                        lines=tuple(invoice.invoice_id for invoice in still),
                    )
                )
            elif case.state is CaseState.HELD:
                waiting = owed(case, book, customer.cases, day)
                items.append(
                    Attention(
                        "held_case",
                        case.case_id,
                        "overdue since the hand-off of the same currency, waiting for it to end: send them "
                        "to the agency too, or relance reopen",
                        customer_id=customer.customer_id,
                        customer_name=customer.name,
                        amount=sum((invoice.balance for invoice in waiting), ZERO),
                        currency=case.currency,
                        on=case.opened_on,
                        lines=tuple(invoice.invoice_id for invoice in waiting),
                    )
                )
    return items


def _letters(customers: Sequence[Customer], events: Sequence[EscalationEvent]) -> list[Attention]:
    """Formal notices stored in the window: each goes by registered letter (with acknowledgement)."""
    addresses = {customer.customer_id: customer.address for customer in customers}
    items = []
    for event in events:
        if event.kind is not EventKind.ESCALATION or "letter" not in event.channels:
            continue
        if event.outcome not in {*_SENT_OUTCOMES, Outcome.SKIPPED}:
            continue
        for notice in event.notices:
            if not notice.key.startswith("notices/"):
                continue
            items.append(
                Attention(
                    "letter",
                    notice.key,
                    "print and post by registered letter with acknowledgement; record the tracking number",
                    customer_id=event.customer_id,
                    customer_name=event.customer_name,
                    amount=event.amount,
                    currency=notice.currency or event.currency,
                    on=event.occurred_on,
                    lines=tuple(addresses.get(event.customer_id, ())),
                )
            )
    return items


def _rates(
    country: str,
    day: date,
    events: Sequence[EscalationEvent],
    names: Mapping[str, str],
    book: RateBook | None = None,
) -> list[Attention]:
    """The rate tables the creditor's law reads, for the current half-year (and the next one when it starts
    within a month): missing or unverified; and the claims of the window whose interest could not be
    computed (their note in the log)."""
    tables = rate_tables_for(country)
    current = HalfYear.of(day)
    periods = [current]
    if (current.next().start - day).days <= RATE_NOTICE_DAYS:
        periods.append(current.next())
    book = book if book is not None else load_rate_book()
    items = []
    for table in sorted(tables, key=str):
        for period in periods:
            subject = f"{table}, {period}"
            try:
                rate = book.rate_for(table, period, allow_unverified=True)
            except MissingRateError as exc:
                items.append(Attention("rate", subject, str(exc), code="missing", on=period.start))
                continue
            if rate.status is RateStatus.FETCHED:
                items.append(
                    Attention(
                        "rate",
                        subject,
                        f"{rate.percent} % fetched ({rate.source}), not yet verified: check it against "
                        f"the official publication, then relance rates --verify {period}; claims use it "
                        "meanwhile",
                        code="fetched",
                        on=period.start,
                    )
                )
            elif not rate.verified:
                items.append(
                    Attention(
                        "rate",
                        subject,
                        f"{rate.percent} % in {rate.file} is marked unverified ({rate.source}): confirm "
                        "it and set verified: true, or interest is not claimed",
                        code="unverified",
                        on=period.start,
                    )
                )
    notes: dict[tuple[str, str], str] = {}
    for event in events:
        for name, note in event.detail.items():
            if name.startswith("claim_note."):
                notes[(event.customer_id, name.removeprefix("claim_note."))] = note
    for (customer_id, invoice_id), note in sorted(notes.items()):
        items.append(
            Attention(
                "rate",
                invoice_id,
                note,
                code="claim_note",
                customer_id=customer_id,
                customer_name=names.get(customer_id),
            )
        )
    return items


def _ingest(ctx: Context, window: Window) -> list[Attention]:
    """Files received in the window whose report names rejected rows or a file refused whole.

    Only the reports written since the window opened are read (a report is written after its file is
    received): a year of daily files is a thousand reports, and some hold 200,000 rejected rows."""
    items = []
    opened = datetime.combine(window.first, time(0), tzinfo=ctx.calendar.timezone)
    for key in ctx.store.keys(INGEST_REPORTS, modified_since=opened):
        if not key.endswith(".json"):
            continue
        try:
            report = json.loads(ctx.store.read(key))
            received = ctx.calendar.local_date(datetime.fromisoformat(str(report["received_at"])))
        except (StorageError, ValueError, KeyError, TypeError) as exc:
            items.append(Attention("ingest", key, f"report unreadable: {exc}", code="unreadable"))
            continue
        if received not in window:
            continue
        file = str(report.get("file") or key)
        if report.get("error"):
            items.append(Attention("ingest", file, str(report["error"]), code="refused", on=received))
        rejections = report.get("rejections") or []
        if rejections:
            listed = tuple(f"line {row.get('line')}: {row.get('reason')}" for row in rejections[:ROWS_LISTED])
            items.append(
                Attention(
                    "ingest",
                    file,
                    f"{len(rejections)} row(s) rejected, the others stored (report {key})",
                    code="rejected",
                    on=received,
                    count=len(rejections),
                    lines=listed,
                )
            )
    return items


# ---------------------------------------------------------------- outputs


def digest_context(ctx: Context, digest: Digest, language: str, keys: Mapping[str, str]) -> dict[str, Any]:
    """What templates/{fr,en}/email/digest.{txt,html}.j2 read."""
    settings = ctx.settings
    currencies = []
    for currency, aging in digest.aging.items():
        amounts = [item.amount for item in aging.buckets]
        pixels = scale(amounts, CHART_PIXELS)
        characters = scale(amounts, CHART_CHARACTERS)
        dso = digest.dso.get(currency)
        currencies.append(
            {
                "currency": currency,
                "total": aging.total,
                "count": aging.count,
                "overdue": aging.overdue,
                "overdue_count": aging.overdue_count,
                "buckets": [
                    {
                        "id": item.bucket.value,
                        "amount": item.amount,
                        "count": item.count,
                        "bar": bar,
                        "text_bar": "#" * length,
                    }
                    for item, bar, length in zip(aging.buckets, pixels, characters, strict=True)
                ],
                "dso": {"days": dso.days if dso else None, "note": dso.note if dso else None},
                "trend": _trend_context(digest.trend.get(currency, ())),
            }
        )
    gone = [  # currencies nothing is owed in any more, whose overdue fell to zero since an earlier digest
        {"currency": currency, "trend": _trend_context(trend)}
        for currency, trend in digest.trend.items()
        if currency not in digest.aging
    ]
    groups = [
        {"kind": kind, "items": [_attention_context(item) for item in digest.group(kind)]}
        for kind in ATTENTION_KINDS
        if digest.group(kind)
    ]
    return {
        "language": language,
        "company": {"name": settings.company.name, "reply_to": settings.company.reply_to},
        "today": digest.day,
        "window": {"first": digest.window.first, "last": digest.window.last},
        "open_day": digest.open_day,
        "currencies": currencies,
        "cleared": gone,
        "chart_width": CHART_PIXELS,
        "sent": [
            {
                "step": item.step,
                "messages": item.messages,
                "not_emailed": item.not_emailed,
                "invoices": item.invoices,
                "amounts": [
                    {"amount": amount, "currency": cur} for cur, amount in sorted(item.amounts.items())
                ],
            }
            for item in digest.sent
        ],
        "payments": [
            {"currency": currency, "amount": amount, "count": count}
            for currency, (amount, count) in digest.payments.items()
        ],
        "attention": groups,
        "attention_count": len(digest.attention),
        "files": {"csv": keys["csv"], "html": keys["html"]},
    }


def _trend_context(trend: Iterable[Comparison]) -> list[dict[str, Any]]:
    return [
        {
            "basis": item.basis.value,
            "on": item.reference_on,
            "before": item.before,
            "delta": item.delta,
            "direction": item.direction.value if item.direction else None,
        }
        for item in trend
    ]


def _attention_context(item: Attention) -> dict[str, Any]:
    return {
        "code": item.code,
        "count": item.count,
        "customer_id": item.customer_id,
        "customer_name": item.customer_name,
        "subject": item.subject,
        "detail": item.detail,
        "amount": item.amount,
        "currency": item.currency,
        "on": item.on,
        "lines": list(item.lines),
    }


CSV_COLUMNS = ("date", "section", "currency", "item", "amount", "count", "customer", "subject", "detail")


def digest_csv(digest: Digest) -> str:
    """The digest's figures, one per row, for a spreadsheet: comma-separated, amounts with a dot, text
    cells guarded against formulas (relance.ingest.report.spreadsheet_cell)."""
    day = digest.day.isoformat()
    rows: list[tuple[Any, ...]] = []
    for currency, aging in digest.aging.items():
        for item in aging.buckets:
            rows.append(("aging", currency, item.bucket.value, item.amount, item.count))
        rows.append(("receivables", currency, "total", aging.total, aging.count))
        rows.append(("overdue", currency, "total", aging.overdue, aging.overdue_count))
        dso = digest.dso.get(currency)
        if dso is not None:
            rows.append(("dso", currency, "countback_days", dso.days, None, None, None, dso.note))
    for currency, trend in digest.trend.items():
        for comparison in trend:
            rows.append(
                (
                    "trend",
                    currency,
                    comparison.basis.value,
                    comparison.delta,
                    None,
                    None,
                    comparison.reference_on.isoformat() if comparison.reference_on else None,
                    None if comparison.before is None else f"overdue then {comparison.before}",
                )
            )
    for step in digest.sent:
        for currency, amount in sorted(step.amounts.items()) or [(None, None)]:
            rows.append(
                ("sent", currency, step.step, amount, step.messages, None, None, f"{step.invoices} invoices")
            )
        if step.not_emailed:
            rows.append(("not_emailed", None, step.step, None, step.not_emailed))
    for currency, (amount, count) in digest.payments.items():
        rows.append(("payments", currency, "received", amount, count))
    for item in digest.attention:
        rows.append(
            (
                "attention",
                item.currency,
                item.kind,
                item.amount,
                None,
                item.customer_id,
                item.subject,
                " | ".join((item.detail, *item.lines)),
            )
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        cells = (day, *row, *([None] * (len(CSV_COLUMNS) - 1 - len(row))))
        writer.writerow([_cell(value) for value in cells])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return str(value)
    return spreadsheet_cell(str(value))


def digest_record(
    ctx: Context, digest: Digest, keys: Mapping[str, str], email: str, message_id: str | None, recipients: int
) -> dict[str, Any]:
    """reports/digest/<date>.json: the figures the next digests compare with, and what was done."""
    return {
        "date": digest.day.isoformat(),
        "generated_at": ctx.clock().isoformat(),
        "window": {"from": digest.window.first.isoformat(), "to": digest.window.last.isoformat()},
        "open_day": digest.open_day,
        "currencies": {
            currency: {
                "buckets": {
                    item.bucket.value: {"amount": str(item.amount), "count": item.count}
                    for item in aging.buckets
                },
                "total": str(aging.total),
                "count": aging.count,
                "overdue": str(aging.overdue),
                "overdue_count": aging.overdue_count,
                "dso_days": None if digest.dso[currency].days is None else str(digest.dso[currency].days),
                "dso_note": digest.dso[currency].note,
            }
            for currency, aging in digest.aging.items()
        },
        "trend": {
            currency: {
                item.basis.value: {
                    "reference": item.reference_on.isoformat() if item.reference_on else None,
                    "delta": None if item.delta is None else str(item.delta),
                }
                for item in trend
            }
            for currency, trend in digest.trend.items()
        },
        "sent": [
            {
                "step": item.step,
                "messages": item.messages,
                "not_emailed": item.not_emailed,
                "invoices": item.invoices,
                "amounts": {currency: str(amount) for currency, amount in sorted(item.amounts.items())},
            }
            for item in digest.sent
        ],
        "payments": {
            currency: {"amount": str(a), "count": n} for currency, (a, n) in digest.payments.items()
        },
        "attention": [item.as_dict() for item in digest.attention],
        "email": {"outcome": email, "recipients": recipients, "message_id": message_id},
        "files": {name: key for name, key in keys.items() if name != "json"},
    }


def _email(
    ctx: Context, day: date, rendered: Any, recipients: Sequence[str], resend: bool
) -> tuple[str, str | None]:
    """Sends the digest. A refusal (throttled, unreachable) raises, so that the invocation's retries send
    it; a rejection or a lost answer is logged, and the files in the bucket stay the record."""
    settings = ctx.settings
    wrong = [address for address in recipients if not valid_address(address)]
    if wrong:
        reason = f"DIGEST_RECIPIENTS holds {', '.join(map(repr, wrong))}, which is not an email address"
        logger.error("digest email not sent", extra={"day": day.isoformat(), "reason": reason})
        count_metric("DigestEmailFailed")
        return f"failed: {reason}", None
    key = f"digest#{day.isoformat()}" + (f"#{ctx.clock().isoformat()}" if resend else "")
    message = build_message(
        sender=mailbox(settings.company.name, settings.sender_email),
        reply_to=mailbox(settings.company.name, settings.company.reply_to),
        to=[mailbox("", address) for address in recipients],
        cc=[],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=stable_message_id(key, settings.sender_email),
        headers={"X-Relance-Step": "digest"},
    )
    try:
        return "sent", ctx.mailer.send(message, tags={"step": "digest"})
    except (SendRejected, SendUncertain) as exc:
        logger.error("digest email not sent", extra={"day": day.isoformat(), "reason": str(exc)})
        count_metric("DigestEmailFailed")
        return f"failed: {exc}", None


def measure(digest: Digest) -> None:
    """The digest's figures as CloudWatch metrics (the receivables dashboard), one line each."""
    for currency, aging in digest.aging.items():
        for item in aging.buckets:
            gauge_metric("ReceivablesAging", item.amount, currency=currency, bucket=item.bucket.value)
            gauge_metric(
                "ReceivablesAgingInvoices", item.count, "Count", currency=currency, bucket=item.bucket.value
            )
        gauge_metric("OverdueReceivables", aging.overdue, currency=currency)
        dso = digest.dso.get(currency)
        if dso is not None and dso.days is not None:
            gauge_metric("DaysSalesOutstanding", dso.days, currency=currency)
    for step in digest.sent:
        gauge_metric("DigestMessagesSent", step.messages, "Count", step=step.step)
    for kind in ATTENTION_KINDS:
        gauge_metric("NeedsAPerson", len(digest.group(kind)), "Count", kind=kind)


__all__ = [
    "ATTENTION_KINDS",
    "Attention",
    "Digest",
    "DigestResult",
    "SentStep",
    "Window",
    "activity_window",
    "compute_digest",
    "digest_context",
    "digest_csv",
    "run_digest",
]
