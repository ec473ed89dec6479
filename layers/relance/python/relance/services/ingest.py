"""Ingest one file dropped in `incoming/`: read it, check every row, bring the book up to date, report.

Writes are only what changed: new items in batch writes, changed items by an UpdateItem that sets the
file's fields and nothing of the dunning state, unchanged items not at all. So dropping the same file
again writes nothing but its report. A payment is one transaction with its log event, whose key is
derived from the payment: the same payment, from any file, is applied once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from aws_lambda_powertools.metrics.exceptions import SchemaValidationError
from botocore.exceptions import ClientError
from pynamodb.attributes import Attribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action as UpdateAction

from relance.adapters.dynamo.mapping import customer_from_record, event_record, invoice_from_record
from relance.adapters.dynamo.records import CustomerRecord, EventRecord, InvoiceRecord, due_shard
from relance.adapters.dynamo.repositories import chunks, is_conditional_failure, schedule_actions
from relance.adapters.dynamo.transactions import Change, ConflictError, UnitOfWork
from relance.bootstrap import Runtime
from relance.domain.amounts import ZERO
from relance.domain.engine import next_action_date
from relance.domain.events import EscalationEvent, EventKind, EventLine, Outcome
from relance.domain.models import Customer, Invoice, InvoiceStatus
from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.reading import Upload, read_upload, unknown_kind_reason
from relance.ingest.reconcile import (
    CUSTOMER_FIELDS,
    CUSTOMER_SCHEDULE_FIELDS,
    INVOICE_FIELDS,
    PaymentRefused,
    apply_payment,
    customer_changes,
    customer_values,
    invoice_changes,
    new_invoice,
    payment_behaviour,
    payment_key,
)
from relance.ingest.report import IngestReport
from relance.ingest.rows import BuyerFields, CustomerFields, InvoiceFields, PaymentFields, Rejection
from relance.ingest.validation import check_customers, check_einvoice, check_invoices, check_payments
from relance.observability import count_metric, logger
from relance.policies import load_policies

__all__ = ["IngestReport", "ingest_object"]

ATTEMPTS = 3
T = TypeVar("T")
R = TypeVar("R", CustomerRecord, InvoiceRecord)


def ingest_object(rt: Runtime, key: str) -> IngestReport:
    """Reads s3://bucket/<key>, stores what it can, and always leaves `reports/ingest/<key>.json`."""
    report = IngestReport(file=key, received_at=rt.clock().astimezone(UTC).isoformat())
    upload = _read(rt, key, report)
    if upload is not None:
        try:
            _Ingest(rt, key, report).run(upload)
        except Exception as exc:
            # Transient AWS trouble: the report says how far it got; the retry (or a new drop) finishes
            # the job, because everything already stored is found unchanged.
            logger.exception("ingest stopped", extra={"file": key})
            report.error = (
                f"stopped while storing ({type(exc).__name__}: {exc}); the counts show what was done, "
                "drop the file again to finish"
            )
            _finish(rt, report)
            raise
    _finish(rt, report)
    return report


def _read(rt: Runtime, key: str, report: IngestReport) -> Upload | None:
    try:
        body = rt.store.read(key)
    except ClientError as exc:
        report.error = (
            f"the file cannot be read from the bucket ({exc.response.get('Error', {}).get('Code')})"
        )
        return None
    try:
        upload = read_upload(key, body)
    except UnreadableFile as exc:
        report.error = str(exc)
        return None
    except Exception:
        # A reader bug must still leave a report; the traceback is in the logs.
        logger.exception("ingest reader failed", extra={"file": key})
        report.error = (
            "the file could not be read (an internal error, logged); tell the team that runs Relance"
        )
        return None
    report.kind, report.format = upload.kind.value, upload.format
    if upload.kind is FileKind.UNKNOWN and upload.table is not None:
        report.rows = len(upload.table.rows)
        report.error = unknown_kind_reason(key, upload.table)
        return None
    return upload


def _finish(rt: Runtime, report: IngestReport) -> None:
    rt.store.put_report(report.key, report.as_dict())
    logger.info("ingest", extra={"ingest": report.summary()})
    outcomes = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "applied_payment": report.applied_payments,
    }
    try:
        count_metric("IngestFiles", kind=report.kind, outcome="unreadable" if report.error else "read")
        for outcome, count in outcomes.items():
            if count:
                count_metric("IngestRows", value=count, kind=report.kind, outcome=outcome)
    except SchemaValidationError:
        # Metrics need POWERTOOLS_METRICS_NAMESPACE; their absence must not undo an ingest already reported.
        logger.warning("ingest metrics not emitted: no metrics namespace configured")


def _snapshot(record: CustomerRecord | InvoiceRecord, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def _assign(model: type[CustomerRecord | InvoiceRecord], values: Mapping[str, Any]) -> list[UpdateAction]:
    actions = []
    for name, value in values.items():
        attribute: Attribute[Any] = getattr(model, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


@dataclass
class _Ingest:
    rt: Runtime
    key: str
    report: IngestReport
    raw: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    today: date = field(init=False)
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.rt.clock().astimezone(UTC)
        self.today = self.rt.calendar.local_date(self.now)

    def run(self, upload: Upload) -> None:
        if upload.einvoice is not None:
            self._einvoice(upload)
            return
        assert upload.table is not None
        table = upload.table
        self.raw = {row.line: row.cells for row in table.rows}
        self.report.rows = len(table.rows)
        if upload.kind is FileKind.CUSTOMERS:
            checked_customers = check_customers(table, load_policies())
            self._absorb(checked_customers.rejected, checked_customers.warnings)
            self._customers(checked_customers.accepted)
        elif upload.kind is FileKind.INVOICES:
            checked_invoices = check_invoices(table)
            self._absorb(checked_invoices.rejected, checked_invoices.warnings)
            self._invoices(checked_invoices.accepted)
        else:
            checked_payments = check_payments(table)
            self._absorb(checked_payments.rejected, checked_payments.warnings)
            for payment in checked_payments.accepted:
                self._payment(payment)

    def _absorb(self, rejected: Sequence[Rejection], warnings: Sequence[Any]) -> None:
        for rejection in rejected:
            self.report.reject(rejection)
        self.report.warnings.extend(warnings)

    def _reject(self, line: int, reason: str) -> None:
        self.report.reject(Rejection(line, reason, dict(self.raw.get(line, {}))))

    # Customers

    def _customers(self, rows: Sequence[CustomerFields]) -> None:
        for chunk in chunks(rows):
            stored = self.rt.customers.get_many(fields.customer_id for fields in chunk)
            new: list[CustomerRecord] = []
            for fields in chunk:
                record = stored.get(fields.customer_id)
                if record is None:
                    new.append(self._customer_record(fields))
                    continue
                changed, current = self._update(
                    record,
                    lambda current, fields=fields: self._customer_actions(current, fields),
                    lambda current: self.rt.customers.get(current.customer_id),
                )
                if changed is None or current is None:
                    self._reject(
                        fields.line, "customer changed by someone else during the import; drop the file again"
                    )
                elif not changed:
                    self.report.unchanged += 1
                else:
                    self.report.updated += 1
                    if changed & CUSTOMER_SCHEDULE_FIELDS:
                        self._reschedule(current)
            if new:
                self.rt.customers.create_many(new)
                self.report.created += len(new)

    def _customer_record(self, fields: CustomerFields) -> CustomerRecord:
        values = {name: value for name, value in customer_values(fields).items() if value is not None}
        return CustomerRecord(customer_id=fields.customer_id, source_file=self.key, **values)

    def _customer_actions(
        self, record: CustomerRecord, fields: CustomerFields
    ) -> tuple[set[str], list[UpdateAction]]:
        changes = customer_changes(_snapshot(record, CUSTOMER_FIELDS), fields)
        if not changes:
            return set(), []
        return set(changes), [*_assign(CustomerRecord, changes), CustomerRecord.source_file.set(self.key)]

    def _reschedule(self, customer_record: CustomerRecord) -> None:
        """The customer's flags or policy changed: each open invoice's next action moves accordingly."""
        customer = customer_from_record(customer_record)

        def actions(current: InvoiceRecord) -> tuple[set[str], list[UpdateAction]]:
            next_on = self._next_action(customer, invoice_from_record(current))
            if next_on == current.next_action_on:
                return set(), []
            return {"next_action_on"}, schedule_actions(current, next_on, self.rt.settings.due_shards)

        for record in self.rt.invoices.for_customer(customer.customer_id):
            self._update(record, actions, self._reload_invoice)

    # Invoices

    def _invoices(
        self, rows: Sequence[InvoiceFields], known: Mapping[str, CustomerRecord] | None = None
    ) -> None:
        for chunk in chunks(rows):
            customers = dict(known or {})
            missing = {fields.customer_id for fields in chunk} - set(customers)
            customers.update(self.rt.customers.get_many(missing))
            stored = self.rt.invoices.get_many((fields.customer_id, fields.invoice_id) for fields in chunk)
            new: list[InvoiceRecord] = []
            for fields in chunk:
                customer_record = customers.get(fields.customer_id)
                if customer_record is None:
                    self._reject(
                        fields.line,
                        f"customer {fields.customer_id!r} is unknown: upload the customers file first "
                        "(incoming/customers/), then this file again",
                    )
                    continue
                customer = customer_from_record(customer_record)
                record = stored.get((fields.customer_id, fields.invoice_id))
                if record is None:
                    new.append(self._invoice_record(customer, fields))
                    continue
                changed, _ = self._update(
                    record,
                    lambda current, fields=fields, customer=customer: self._invoice_actions(
                        current, fields, customer
                    ),
                    self._reload_invoice,
                )
                if changed is None:
                    self._reject(
                        fields.line, "invoice changed by someone else during the import; drop the file again"
                    )
                elif changed:
                    self.report.updated += 1
                else:
                    self.report.unchanged += 1
            if new:
                self.rt.invoices.create_many(new)
                self.report.created += len(new)

    def _invoice_record(self, customer: Customer, fields: InvoiceFields) -> InvoiceRecord:
        plan = new_invoice(fields)
        values = {name: value for name, value in plan.values.items() if value is not None}
        record = InvoiceRecord(
            customer_id=fields.customer_id, invoice_id=fields.invoice_id, source_file=self.key, **values
        )
        # A batch write cannot carry update actions: the index attributes are set as schedule_actions would.
        next_on = self._next_action(customer, invoice_from_record(record))
        if next_on is not None:
            record.next_action_on = next_on
            record.due_shard = due_shard(record.customer_id, self.rt.settings.due_shards)
        return record

    def _invoice_actions(
        self, record: InvoiceRecord, fields: InvoiceFields, customer: Customer
    ) -> tuple[set[str], list[UpdateAction]]:
        plan = invoice_changes(_snapshot(record, INVOICE_FIELDS), fields)
        for warning in plan.warnings:
            self.report.warn(fields.line, warning)
        if not plan.values:
            return set(), []
        actions = [*_assign(InvoiceRecord, plan.values), InvoiceRecord.source_file.set(self.key)]
        if plan.reschedule:
            after = _with_values(invoice_from_record(record), plan.values)
            next_on = self._next_action(customer, after)
            if next_on != record.next_action_on:
                actions.extend(schedule_actions(record, next_on, self.rt.settings.due_shards))
        return set(plan.values), actions

    def _next_action(self, customer: Customer, invoice: Invoice) -> date | None:
        policy = self.rt.policy_for(customer)
        return next_action_date(customer, invoice, policy, self.rt.calendar, self.today)

    def _reload_invoice(self, record: InvoiceRecord) -> InvoiceRecord | None:
        key = (record.customer_id, record.invoice_id)
        return self.rt.invoices.get_many([key]).get(key)

    def _update(
        self,
        record: R,
        plan: Callable[[R], tuple[set[str], list[UpdateAction]]],
        reload: Callable[[R], R | None],
    ) -> tuple[set[str] | None, R | None]:
        """Applies the planned actions under the record's version; on a concurrent change, plans again.

        Returns the changed fields (empty: nothing to write; None: every attempt lost the race) and the
        record as it now stands.
        """
        current: R | None = record
        for _ in range(ATTEMPTS):
            if current is None:
                break
            changed, actions = plan(current)
            if not actions:
                return set(), current
            try:
                current.update(actions=actions)
            except UpdateError as exc:
                if not is_conditional_failure(exc):
                    raise
                current = reload(current)
                continue
            return changed, current
        return None, current

    # Payments and credit notes

    def _payment(self, payment: PaymentFields, buyer: BuyerFields | None = None) -> None:
        found = self._invoices_for(payment)
        if buyer is not None and len(found) > 1:
            found = [record for record in found if record.customer_id in buyer.candidate_ids] or found
        if not found:
            whose = f" of customer {payment.customer_id!r}" if payment.customer_id else ""
            what = f"credit note {payment.credit_note} is for invoice" if payment.credit_note else "invoice"
            self._reject(
                payment.line,
                f"{what} {payment.invoice_id!r}{whose} is unknown: "
                "upload the invoices file first, then this file",
            )
            return
        if len(found) > 1:
            customers = ", ".join(sorted(record.customer_id for record in found))
            self._reject(
                payment.line,
                f"invoice {payment.invoice_id!r} exists for several customers ({customers}): "
                "add a customer_id column",
            )
            return
        record: InvoiceRecord | None = found[0]
        # Read first, so that a file dropped again costs no refused write; the transaction's condition
        # still guards against two files applying the same payment at the same moment.
        if self._already_applied(found[0], payment):
            self.report.unchanged += 1
            return
        for _ in range(ATTEMPTS):
            if record is None:
                break
            customer_record = self.rt.customers.get(record.customer_id)
            if customer_record is None:
                self._reject(
                    payment.line,
                    f"customer {record.customer_id!r} of invoice {payment.invoice_id!r} is unknown",
                )
                return
            try:
                outcome = self._apply(record, customer_record, payment)
            except PaymentRefused as exc:
                self._reject(payment.line, str(exc))
                return
            except ConflictError as exc:
                if _event_already_logged(exc):
                    self.report.unchanged += 1
                    return
                record = self._reload_invoice(record)
                continue
            self.report.applied_payments += 1
            for warning in outcome:
                self.report.warn(payment.line, warning)
            return
        self._reject(payment.line, "invoice changed by someone else during the import; drop the file again")

    def _invoices_for(self, payment: PaymentFields) -> list[InvoiceRecord]:
        if payment.customer_id:
            key = (payment.customer_id, payment.invoice_id)
            return list(self.rt.invoices.get_many([key]).values())
        return self.rt.invoices.find_by_number(payment.invoice_id)

    def _apply(
        self, record: InvoiceRecord, customer_record: CustomerRecord, payment: PaymentFields
    ) -> tuple[str, ...]:
        """One transaction: the payment's log event (written once, ever), the invoice, the customer."""
        invoice = invoice_from_record(record)
        outcome = apply_payment(
            total=invoice.total,
            amount_paid=invoice.amount_paid,
            currency=invoice.currency,
            status=invoice.status,
            paid_on=invoice.paid_on,
            payment=payment,
        )
        after = replace(
            invoice, amount_paid=outcome.amount_paid, status=outcome.status, paid_on=outcome.paid_on
        )
        customer = customer_from_record(customer_record)
        next_on = self._next_action(customer, after)
        actions = [
            InvoiceRecord.amount_paid.set(outcome.amount_paid),
            InvoiceRecord.status.set(outcome.status.value),
            InvoiceRecord.paid_on.set(outcome.paid_on) if outcome.paid_on else InvoiceRecord.paid_on.remove(),
            *schedule_actions(record, next_on, self.rt.settings.due_shards),
        ]
        changes = [Change(record, actions)]
        profile: tuple[int, Decimal] | None = None
        if outcome.became_paid and outcome.paid_on is not None:
            behaviour = payment_behaviour(
                customer.late_invoices, customer.average_days_late, invoice.due_date, outcome.paid_on
            )
            if behaviour is not None:
                profile = late, average = behaviour
                changes.append(
                    Change(
                        customer_record,
                        [
                            CustomerRecord.late_invoices.set(late),
                            CustomerRecord.average_days_late.set(average),
                        ],
                    )
                )
        event = self._payment_event(record, payment, outcome.balance)
        UnitOfWork(events=[event_record(event)], changes=changes).commit()
        if profile is not None:
            self._follow_profile(customer, *profile)
        return outcome.warnings

    def _follow_profile(self, before: Customer, late: int, average: Decimal) -> None:
        """A new payment record may move the customer to another policy (selection rules): re-plan at once."""
        after = replace(before, late_invoices=late, average_days_late=average)
        if self.rt.policy_for(after).name == self.rt.policy_for(before).name:
            return
        fresh = self.rt.customers.get(before.customer_id)
        if fresh is not None:
            self._reschedule(fresh)

    def _payment_event(
        self, record: InvoiceRecord, payment: PaymentFields, balance: Decimal
    ) -> EscalationEvent:
        detail = {"source_file": self.key, "line": str(payment.line)}
        if payment.payment_id:
            detail["payment_id"] = payment.payment_id
        if payment.credit_note:
            detail["credit_note"] = payment.credit_note
        return EscalationEvent(
            customer_id=record.customer_id,
            kind=EventKind.PAYMENT,
            occurred_on=payment.paid_on,
            recorded_at=self.now,
            outcome=Outcome.RECORDED,
            key_suffix=payment_key(payment),
            invoice_ids=(record.invoice_id,),
            lines=(EventLine(invoice_id=record.invoice_id, balance=balance),),
            currency=record.currency,
            amount=payment.amount,
            reason=f"credit note {payment.credit_note}" if payment.credit_note else None,
            detail=detail,
        )

    def _already_applied(self, record: InvoiceRecord, payment: PaymentFields) -> bool:
        event_key = self._payment_event(record, payment, ZERO).event_key
        try:
            EventRecord.get(record.customer_id, event_key, consistent_read=True)
        except EventRecord.DoesNotExist:
            return False
        return True

    # E-invoices

    def _einvoice(self, upload: Upload) -> None:
        assert upload.einvoice is not None
        self.report.rows = 1
        rows, rejection, warnings = check_einvoice(upload.einvoice)
        self.report.warnings.extend(warnings)
        if rejection is not None:
            self.report.reject(rejection)
            return
        assert rows is not None
        self.raw = {1: {"number": upload.einvoice.number or "", "buyer": rows.buyer.name}}
        if rows.credit is not None:
            self._payment(rows.credit, rows.buyer)
            return
        assert rows.invoice is not None
        customer_record = self._buyer_customer(rows.buyer)
        if customer_record is None:
            return
        invoice = replace(rows.invoice, customer_id=customer_record.customer_id)
        self._invoices([invoice], known={customer_record.customer_id: customer_record})

    def _buyer_customer(self, buyer: BuyerFields) -> CustomerRecord | None:
        """The stored customer matching the buyer's first identifier that is known; else a new one."""
        stored = self.rt.customers.get_many(buyer.candidate_ids)
        for candidate in buyer.candidate_ids:
            if candidate in stored:
                return stored[candidate]
        if buyer.email is None:
            self._reject(
                1,
                f"the buyer {buyer.name!r} (ids: {', '.join(buyer.candidate_ids)}) is not a known customer "
                "and the e-invoice gives no email to reach it: upload the customers file first, "
                "then this file",
            )
            return None
        record = CustomerRecord(
            customer_id=buyer.candidate_ids[0],
            name=buyer.name,
            email=buyer.email,
            address=list(buyer.address),
            country=buyer.country,
            source_file=self.key,
        )
        self.rt.customers.create_many([record])
        self.report.warn(
            1,
            f"customer {record.customer_id!r} created from the e-invoice buyer {buyer.name!r}: "
            "check its language, kind and policy in the customers file",
        )
        return record


def _event_already_logged(exc: ConflictError) -> bool:
    """The payment's event is its transaction's first write: that condition failing means applied before."""
    cause = exc.__cause__
    reasons = getattr(cause, "cancellation_reasons", None) or []
    return bool(reasons) and getattr(reasons[0], "code", None) == "ConditionalCheckFailed"


def _with_values(invoice: Invoice, values: Mapping[str, Any]) -> Invoice:
    """The invoice as it will be once the planned source fields are set."""
    changes = {name: value for name, value in values.items() if name in Invoice.__dataclass_fields__}
    if "status" in changes:
        changes["status"] = InvoiceStatus(changes["status"])
    if "amount_paid" in changes and changes["amount_paid"] is None:
        changes["amount_paid"] = ZERO
    return replace(invoice, **changes)
