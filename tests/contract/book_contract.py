"""What every Book and EventLog does (relance.ports), whatever stores it.

One suite, run against the in-memory fakes (tests/unit/ports) and against DynamoDB on moto's server
(tests/integration/test_ports_contract.py): a subclass gives the `ports` fixture, an empty book and its log.
The services are tested on the fakes; this suite is what makes that worth something.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from relance.domain.events import EscalationEvent, EventKind, Outcome
from relance.domain.models import Customer, DispatchState, Invoice, InvoiceStatus
from relance.ports import Book, Change, ConflictError, EventLog

from .objects import (
    MONDAY,
    full_customer,
    full_event,
    full_invoice,
    plain_customer,
    plain_invoice,
    unversioned,
)

NOW = datetime(2026, 3, 2, 7, 5, tzinfo=UTC)
DISPATCH = "C1#2026-03-02"


@dataclass(frozen=True)
class Ports:
    book: Book
    log: EventLog


def status_event(customer_id: str = "C1", suffix: str = "F1#disputed#1") -> EscalationEvent:
    return EscalationEvent(
        customer_id=customer_id,
        kind=EventKind.STATUS,
        occurred_on=MONDAY,
        recorded_at=NOW,
        outcome=Outcome.RECORDED,
        key_suffix=suffix,
        step="disputed",
        invoice_ids=("F1",),
        actor="julie",
    )


def stored(book: Book, customer_id: str = "C1") -> Customer:
    found = book.customer(customer_id)
    assert found is not None
    return found


def stored_invoice(book: Book, invoice_id: str = "F1", customer_id: str = "C1") -> Invoice:
    return book.invoices([(customer_id, invoice_id)])[(customer_id, invoice_id)]


class BookContract:
    @pytest.fixture
    def ports(self) -> Ports:
        raise NotImplementedError("a subclass gives an empty book and its log")

    # Creating.

    def test_a_save_creates_items_that_read_back_field_for_field(self, ports: Ports):
        customer, invoice = full_customer(), full_invoice()
        other = plain_invoice("F2", amount_paid=invoice.amount_paid)

        ports.book.save([Change(None, customer), Change(None, invoice), Change(None, other)])

        assert unversioned(stored(ports.book)) == customer
        assert [unversioned(item) for item in ports.book.invoices_of("C1")] == [invoice, other]
        assert unversioned(stored_invoice(ports.book, "F2")) == other

    def test_items_created_in_bulk_read_back_in_batches_larger_than_one_request(self, ports: Ports):
        customers = [plain_customer(f"C{number:03d}") for number in range(130)]
        invoices = [plain_invoice(f"F{number}", "C007") for number in range(30)]

        ports.book.create(customers=customers, invoices=invoices)

        found = ports.book.customers([customer.customer_id for customer in customers] + ["C-unknown"])
        assert {key: unversioned(value) for key, value in found.items()} == {
            c.customer_id: c for c in customers
        }
        assert sorted(c.customer_id for c in ports.book.all_customers()) == sorted(found)
        keys = [invoice.key for invoice in invoices]
        assert {key: unversioned(value) for key, value in ports.book.invoices(keys).items()} == {
            invoice.key: invoice for invoice in invoices
        }
        assert ports.book.customer("C-unknown") is None
        assert ports.book.invoices_of("C-unknown") == []
        assert ports.book.invoices([("C007", "F-unknown")]) == {}

    def test_creating_an_item_that_exists_is_refused(self, ports: Ports):
        ports.book.save([Change(None, plain_customer()), Change(None, plain_invoice())])

        with pytest.raises(ConflictError):
            ports.book.save([Change(None, plain_customer(name="Another"))])
        with pytest.raises(ConflictError):
            ports.book.save([Change(None, plain_invoice(total=full_invoice().total))])

        assert stored(ports.book).name == "Client C1"
        assert stored_invoice(ports.book).total == plain_invoice().total

    def test_a_save_larger_than_one_transaction_writes_every_part(self, ports: Ports):
        ports.book.create(customers=[plain_customer()])
        invoices = [plain_invoice(f"F{number:03d}") for number in range(150)]

        ports.book.save([Change(None, invoice) for invoice in invoices], [status_event()])

        assert [unversioned(item) for item in ports.book.invoices_of("C1")] == invoices
        assert ports.log.exists("C1", status_event().event_key)

    # Updating.

    def test_an_update_writes_what_changed_and_keeps_the_rest(self, ports: Ports):
        ports.book.save([Change(None, full_customer()), Change(None, full_invoice())])
        customer, invoice = stored(ports.book), stored_invoice(ports.book)

        renamed = replace(customer, name="Dupont SAS", cc=())
        paid = replace(invoice, amount_paid=invoice.total, status=InvoiceStatus.PAID, plan=None)
        ports.book.save([Change(customer, renamed), Change(invoice, paid)])

        assert unversioned(stored(ports.book)) == unversioned(renamed)
        assert unversioned(stored_invoice(ports.book)) == unversioned(paid)

    def test_an_update_of_every_field_reads_back_as_written(self, ports: Ports):
        ports.book.save([Change(None, plain_customer()), Change(None, plain_invoice())])
        customer, invoice = stored(ports.book), stored_invoice(ports.book)
        richer, invoice_after = full_customer(), full_invoice()

        ports.book.save([Change(customer, richer), Change(invoice, invoice_after)])
        again = stored(ports.book)
        # Back to few fields: what is no longer set is removed, not left behind.
        ports.book.save([Change(again, plain_customer(next_action_on=MONDAY))])

        assert unversioned(stored(ports.book)) == plain_customer(next_action_on=MONDAY)
        assert unversioned(stored_invoice(ports.book)) == invoice_after

    def test_a_save_from_a_stale_read_is_refused_and_writes_nothing(self, ports: Ports):
        ports.book.save([Change(None, plain_customer()), Change(None, plain_invoice())])
        customer, invoice = stored(ports.book), stored_invoice(ports.book)
        ports.book.save([Change(customer, replace(customer, name="First writer"))])

        with pytest.raises(ConflictError) as refused:
            ports.book.save(
                [
                    Change(invoice, replace(invoice, status=InvoiceStatus.DISPUTED)),
                    Change(customer, replace(customer, name="Second writer")),
                ],
                [status_event()],
            )

        assert refused.value.event_already_logged is False
        assert stored(ports.book).name == "First writer"
        assert stored_invoice(ports.book).status is InvoiceStatus.OPEN
        assert not ports.log.exists("C1", status_event().event_key)
        assert ports.log.for_customer("C1") == []

    def test_each_save_moves_the_version_on_so_the_next_one_needs_a_fresh_read(self, ports: Ports):
        ports.book.save([Change(None, plain_customer())])
        first = stored(ports.book)
        ports.book.save([Change(first, replace(first, name="Second"))])
        second = stored(ports.book)
        ports.book.save([Change(second, replace(second, name="Third"))])

        with pytest.raises(ConflictError):
            ports.book.save([Change(second, replace(second, name="Stale"))])
        assert stored(ports.book).name == "Third"

    def test_an_event_already_logged_is_refused_with_the_changes_saved_with_it(self, ports: Ports):
        ports.book.save([Change(None, plain_customer())], [status_event()])
        customer = stored(ports.book)

        with pytest.raises(ConflictError) as refused:
            ports.book.save([Change(customer, replace(customer, name="Again"))], [status_event()])

        assert refused.value.event_already_logged is True
        assert stored(ports.book).name == "Client C1"
        assert len(ports.log.for_customer("C1")) == 1

    # The day's dispatch claim.

    def test_a_claim_is_taken_once_and_returns_the_customer_as_claimed(self, ports: Ports):
        ports.book.save([Change(None, plain_customer())])

        claimed = ports.book.claim_dispatch(stored(ports.book), DISPATCH, NOW)
        again = ports.book.claim_dispatch(stored(ports.book), DISPATCH, NOW)
        other_day = ports.book.claim_dispatch(stored(ports.book), "C1#2026-03-03", NOW)

        assert claimed is not None
        assert claimed.dispatch == DispatchState(pending=DISPATCH, pending_since=NOW)
        assert claimed == stored(ports.book)
        assert again is None
        assert other_day is None  # one dispatch in flight at a time

    def test_a_save_under_the_dispatch_guard_needs_the_claim_and_clears_it(self, ports: Ports):
        ports.book.save([Change(None, plain_customer())])
        unclaimed = stored(ports.book)
        done = DispatchState(last=DISPATCH)

        with pytest.raises(ConflictError):
            ports.book.save([Change(unclaimed, replace(unclaimed, dispatch=done), dispatch=DISPATCH)])
        claimed = ports.book.claim_dispatch(unclaimed, DISPATCH, NOW)
        assert claimed is not None
        with pytest.raises(ConflictError):
            ports.book.save([Change(claimed, replace(claimed, dispatch=done), dispatch="C1#2026-02-27")])
        ports.book.save(
            [Change(claimed, replace(claimed, dispatch=done, last_message_on=MONDAY), dispatch=DISPATCH)]
        )

        recorded = stored(ports.book)
        assert (recorded.dispatch, recorded.last_message_on) == (done, MONDAY)
        # The day's dispatch is recorded: it is never claimed again; the next day's may be.
        assert ports.book.claim_dispatch(recorded, DISPATCH, NOW) is None
        assert ports.book.claim_dispatch(recorded, "C1#2026-03-03", NOW + timedelta(days=1)) is not None

    def test_a_guarded_save_is_refused_once_its_claim_is_cleared(self, ports: Ports):
        ports.book.save([Change(None, plain_customer())])
        claimed = ports.book.claim_dispatch(stored(ports.book), DISPATCH, NOW)
        assert claimed is not None
        released = replace(claimed, dispatch=DispatchState())

        ports.book.save([Change(claimed, released, dispatch=DISPATCH)])

        assert stored(ports.book).dispatch == DispatchState()
        with pytest.raises(ConflictError):
            ports.book.save([Change(stored(ports.book), released, dispatch=DISPATCH)])

    def test_a_released_claim_may_be_taken_again_and_only_a_held_claim_is_released(self, ports: Ports):
        ports.book.save([Change(None, plain_customer())])
        assert ports.book.claim_dispatch(stored(ports.book), DISPATCH, NOW) is not None

        with pytest.raises(ConflictError):
            ports.book.release_dispatch("C1", "C1#2026-02-27")
        ports.book.release_dispatch("C1", DISPATCH)

        assert stored(ports.book).dispatch == DispatchState()
        with pytest.raises(ConflictError):
            ports.book.release_dispatch("C1", DISPATCH)
        assert ports.book.claim_dispatch(stored(ports.book), DISPATCH, NOW) is not None

    def test_a_claim_and_a_release_are_writes_that_a_stale_save_cannot_overwrite(self, ports: Ports):
        """Someone who read the customer before the claim (a file, a lever) must reload before saving."""
        ports.book.save([Change(None, plain_customer())])
        before_claim = stored(ports.book)
        claimed = ports.book.claim_dispatch(before_claim, DISPATCH, NOW)
        assert claimed is not None

        with pytest.raises(ConflictError):
            ports.book.save([Change(before_claim, replace(before_claim, name="Read before the claim"))])
        ports.book.release_dispatch("C1", DISPATCH)
        with pytest.raises(ConflictError):
            ports.book.save([Change(claimed, replace(claimed, name="Read before the release"))])

        assert stored(ports.book).name == "Client C1"

    # Reading by index.

    def test_due_customers_are_read_from_the_daily_index_alone(self, ports: Ports):
        ports.book.create(
            customers=[
                plain_customer("C-today", next_action_on=MONDAY),
                plain_customer("C-late", next_action_on=MONDAY - timedelta(days=10)),
                plain_customer("C-tomorrow", next_action_on=MONDAY + timedelta(days=1)),
                plain_customer("C-never"),
                plain_customer("C-legacy"),
                plain_customer("C-both", next_action_on=MONDAY),
            ],
            invoices=[
                # Books of the per-invoice version: their invoices held the index until adopted into cases.
                plain_invoice("L1", "C-legacy", legacy_next_action_on=MONDAY - timedelta(days=3)),
                plain_invoice("L2", "C-legacy", legacy_next_action_on=MONDAY),
                plain_invoice("L3", "C-never", legacy_next_action_on=MONDAY + timedelta(days=3)),
                plain_invoice("L4", "C-both", legacy_next_action_on=MONDAY),
                plain_invoice("P1", "C-never"),
            ],
        )

        due = ports.book.due_customers(MONDAY)

        assert due.customer_ids == {"C-today", "C-late", "C-legacy", "C-both"}
        # One index entry read per customer due by its own date and per legacy invoice due: nothing else.
        assert due.items_read == 3 + 3
        assert ports.book.due_customers(MONDAY - timedelta(days=20)).customer_ids == frozenset()

    def test_an_invoice_is_found_by_its_number_whichever_customer_it_belongs_to(self, ports: Ports):
        ports.book.create(
            customers=[plain_customer("C1"), plain_customer("C2")],
            invoices=[plain_invoice("F1", "C2"), plain_invoice("F1", "C1"), plain_invoice("F2", "C1")],
        )

        found = ports.book.find_invoices("F1")

        assert [(item.customer_id, item.invoice_id) for item in found] == [("C1", "F1"), ("C2", "F1")]
        assert unversioned(found[0]) == plain_invoice("F1", "C1")
        assert ports.book.find_invoices("F9") == []

    # The escalation log.

    def test_an_event_is_logged_once_and_reads_back_field_for_field(self, ports: Ports):
        event = full_event()

        assert ports.log.append(event) is True
        assert ports.log.append(replace(event, reason="a retried write")) is False

        assert ports.log.for_customer("C1") == [event]
        assert ports.log.exists("C1", event.event_key)
        assert not ports.log.exists("C1", status_event().event_key)
        assert not ports.log.exists("C2", event.event_key)

    def test_events_saved_with_the_book_are_logged_and_read_in_key_order(self, ports: Ports):
        later = replace(status_event(suffix="F1#open#2"), occurred_on=MONDAY + timedelta(days=1))
        earlier = replace(full_event(), occurred_on=MONDAY - timedelta(days=1))

        ports.book.save([Change(None, plain_customer())], [later, earlier, status_event()])

        assert ports.log.for_customer("C1") == [earlier, status_event(), later]
        assert ports.log.for_customer("C2") == []

    def test_the_customer_of_an_email_is_found_by_its_message_id_whether_logged_or_saved(self, ports: Ports):
        sent = replace(full_event("C1"), message_id="0100018f-to-c1")
        delivered = replace(full_event("C1", suffix="delivery#0100018f-to-c1"), kind=EventKind.DELIVERY)
        ports.log.append(sent)
        ports.book.save(
            [Change(None, plain_customer("C2"))],
            [replace(full_event("C2"), message_id="0100018f-to-c2"), delivered],
        )

        assert ports.log.customers_with_message("0100018f-to-c1") == ["C1"]
        assert ports.log.customers_with_message("0100018f-to-c2") == ["C2"]
        assert ports.log.customers_with_message("0100018f-never-sent") == []

    def test_an_event_with_an_empty_message_id_is_logged_and_indexed_under_no_id(self, ports: Ports):
        # An SES notification without a usable id must not be refused by the log (the index key cannot be "").
        event = replace(full_event("C1", suffix="delivery#"), kind=EventKind.DELIVERY, message_id="")

        assert ports.log.append(event) is True

        [logged] = ports.log.for_customer("C1")
        assert logged.event_key == event.event_key
        assert not logged.message_id
        assert ports.log.customers_with_message("") == []
