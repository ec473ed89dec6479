"""A customers file: new customers created, changed ones updated (and their schedule settled again)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from relance.domain.models import Customer, CustomerKind, Invoice
from relance.domain.policy import Policy
from relance.ingest.reconcile import customer_changes, customer_values
from relance.ingest.rows import CustomerFields
from relance.ports import ConflictError, ItemRejected
from relance.services.bookkeeping import Edit, NothingToDo, edit_book
from relance.services.ingest.run import IngestRun

CHUNK = 100


def store_customers(run: IngestRun, rows: Sequence[CustomerFields]) -> None:
    """New customers in bulk, changed ones one save each (their schedule may move with them)."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        stored = run.ctx.book.customers(fields.customer_id for fields in chunk)
        new: list[Customer] = []
        for fields in chunk:
            current = stored.get(fields.customer_id)
            if current is None:
                new.append(new_customer(fields, run.key))
                continue
            _update(run, fields)
        if new:
            run.ctx.book.create(customers=new)
            run.report.created += len(new)


def _update(run: IngestRun, fields: CustomerFields) -> None:
    def edit(customer: Customer, invoices: Sequence[Invoice], policy: Policy) -> Edit:
        changes = customer_changes(stored_customer(customer), fields)
        if not changes:
            raise NothingToDo
        return Edit(with_values(customer, changes))

    try:
        saved = edit_book(run.ctx, fields.customer_id, edit, actor=f"file:{run.key}")
    except ConflictError:
        run.reject(
            fields.line,
            "customer changed by someone else during the import; drop the file again",
            fields.values,
        )
        return
    except ItemRejected as exc:
        run.reject(fields.line, f"the customer cannot be stored: {exc}", fields.values)
        return
    if saved.changed:
        run.report.updated += 1
    else:
        run.report.unchanged += 1


def new_customer(fields: CustomerFields, source: str) -> Customer:
    return with_values(
        Customer(customer_id=fields.customer_id, name=fields.name, email=fields.email),
        {name: value for name, value in customer_values(fields).items() if value is not None},
    )


def stored_customer(customer: Customer) -> dict[str, Any]:
    """The customer's source fields as the file's rules compare them (relance.ingest.reconcile)."""
    return {
        "name": customer.name,
        "email": customer.email,
        "cc": list(customer.cc),
        "language": customer.language,
        "kind": customer.kind.value,
        "address": list(customer.address),
        "country": customer.country,
        "siren": customer.siren,
        "account_manager_email": customer.account_manager_email,
        "policy": customer.policy,
        "waive_penalties": customer.waive_penalties,
        "do_not_dun": customer.do_not_dun,
        "contract_rate": customer.contract_rate,
        "phone": customer.phone,
        "legal_form": customer.legal_form,
        "merchant": customer.merchant,
    }


_TUPLES = frozenset({"cc", "address"})


def with_values(customer: Customer, values: Mapping[str, Any]) -> Customer:
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name in _TUPLES:
            changes[name] = tuple(value or ())
        elif name == "kind":
            changes[name] = CustomerKind(value)
        elif name in Customer.__dataclass_fields__:
            changes[name] = value
    return replace(customer, **changes)
