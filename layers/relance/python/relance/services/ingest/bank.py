"""A bank statement (camt.053, camt.054, MT940): each credit matched to open invoices, or reported.

The matching (relance.domain.matching) is tried on every open invoice of the book: by invoice numbers in the
remittance information, by the reference every email prints, then by a unique amount once the payer is known
for that customer. Each allocation is applied as a payment whose key derives from the bank's reference, so
the same statement dropped again changes nothing. Nothing is guessed: every credit is applied or listed as
unmatched in the report, with the invoices a person should look at.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from relance.domain.cases import is_settled
from relance.domain.matching import EntryMatch, KnownPayer, OpenInvoice, Outcome, match_credits
from relance.domain.models import Customer, Invoice
from relance.domain.policy import Policy
from relance.ingest.bank import BankEntry, BankFile
from relance.ingest.rows import PaymentFields
from relance.ports import ConflictError, StorageError
from relance.services.bookkeeping import Edit, NothingToDo, edit_book
from relance.services.ingest.payments import apply_payment_row
from relance.services.ingest.run import IngestRun

IBAN, NAME = "iban:", "name:"
# A marker per bank entry applied, by the entry's key: dropping the statement again (or another that repeats
# the entry) applies nothing twice, even once the payer is known and an amount alone would match.
APPLIED = "bank/applied/"


def ingest_bank(run: IngestRun, statement: BankFile) -> None:
    report = run.report
    for warning in statement.warnings:
        run.warn(None, warning)
    payments = statement.payments
    skipped = len(statement.entries) - len(payments)
    if skipped:
        run.warn(None, f"{skipped} entries are not payments (debits, reversals, pending): not applied")
    report.rows = len(payments)
    customers = list(run.ctx.book.all_customers())
    invoices = [invoice for c in customers for invoice in run.ctx.book.invoices_of(c.customer_id)]
    seen = frozenset(entry.key for entry in payments if _applied_before(run, entry))
    settled = [(invoice.invoice_id, invoice.customer_id) for invoice in invoices if is_settled(invoice)]
    result = match_credits(payments, _open(invoices), _known_payers(customers), seen=seen, settled=settled)
    for match in result.matches:
        report.entries.append(_entry_report(match))
        if match.outcome is Outcome.APPLIED:
            _apply(run, match)
        elif match.outcome is Outcome.ALREADY_SEEN:
            report.unchanged += 1
        else:
            run.reject(
                match.entry.line or match.entry.position, _unmatched_reason(match), _values(match.entry)
            )
    for payer in result.payers_to_remember:
        _remember(run, payer)


def _open(invoices: Iterable[Invoice]) -> list[OpenInvoice]:
    return [
        OpenInvoice(
            invoice.invoice_id, invoice.customer_id, invoice.currency, invoice.balance, invoice.due_date
        )
        for invoice in invoices
        if not is_settled(invoice)
    ]


def _known_payers(customers: Sequence[Customer]) -> list[KnownPayer]:
    known = []
    for customer in customers:
        for payer in customer.payers:
            if payer.startswith(IBAN):
                known.append(KnownPayer(customer.customer_id, iban=payer.removeprefix(IBAN)))
            elif payer.startswith(NAME):
                known.append(KnownPayer(customer.customer_id, name=payer.removeprefix(NAME)))
    return known


def _apply(run: IngestRun, match: EntryMatch[BankEntry]) -> None:
    entry = match.entry
    paid_on = entry.booking_date or entry.value_date
    assert paid_on is not None  # a booked credit has a booking or value date (the readers refuse others)
    for allocation in match.allocations:
        apply_payment_row(
            run,
            PaymentFields(
                line=entry.line or entry.position,
                invoice_id=allocation.invoice_id,
                paid_on=paid_on,
                amount=allocation.amount,
                payment_id=allocation.key,
                customer_id=allocation.customer_id,
                currency=entry.currency,
                values=_values(entry),
            ),
        )
    run.ctx.store.put_file(f"{APPLIED}{entry.key}", run.key.encode("utf-8"), "text/plain")
    if match.unapplied > 0:
        run.warn(
            entry.line or entry.position,
            f"{match.unapplied} {entry.currency} of this credit is left over once its invoices are paid "
            "(an overpayment or another invoice): check it",
        )


def _applied_before(run: IngestRun, entry: BankEntry) -> bool:
    try:
        run.ctx.store.read(f"{APPLIED}{entry.key}")
    except StorageError:
        return False
    return True


def _remember(run: IngestRun, payer: KnownPayer) -> None:
    """After a match by invoice number or reference, the payer is known: a credit may then match by amount."""
    wanted = [f"{IBAN}{payer.iban}"] if payer.iban else []
    wanted += [f"{NAME}{payer.name}"] if payer.name else []

    def edit(customer: Customer, invoices: Sequence[Invoice], policy: Policy) -> Edit:
        new = [item for item in wanted if item not in customer.payers]
        if not new:
            raise NothingToDo
        return Edit(replace(customer, payers=(*customer.payers, *new)))

    try:
        edit_book(run.ctx, payer.customer_id, edit, actor=f"file:{run.key}")
    except (LookupError, ConflictError):
        run.warn(None, f"the payer of customer {payer.customer_id} could not be remembered this time")


def _unmatched_reason(match: EntryMatch[BankEntry]) -> str:
    reason = f"credit not applied: {match.reason}"
    if match.candidates:
        reason += f"; invoices to look at: {', '.join(match.candidates)}"
    return reason


def _entry_report(match: EntryMatch[BankEntry]) -> dict[str, Any]:
    entry = match.entry
    return {
        "reference": entry.reference,
        "date": (entry.booking_date or entry.value_date).isoformat()
        if entry.booking_date or entry.value_date
        else None,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "payer": entry.payer_name,
        "payer_iban": entry.payer_iban,
        "remittance": entry.remittance,
        "outcome": match.outcome.value,
        "rule": match.rule.value if match.rule else None,
        "reason": match.reason,
        "invoices": [
            {"invoice_id": a.invoice_id, "customer_id": a.customer_id, "amount": str(a.amount)}
            for a in match.allocations
        ],
        "unapplied": str(match.unapplied),
        "candidates": list(match.candidates),
    }


def _values(entry: BankEntry) -> dict[str, str]:
    return {
        "reference": entry.reference or "",
        "amount": f"{entry.amount} {entry.currency}",
        "payer": entry.payer_name or "",
        "remittance": (entry.remittance or "")[:200],
    }
