"""The ports the services speak to.

Each is a `typing.Protocol` taking and returning domain objects. The AWS adapters (relance.adapters: DynamoDB,
SES, S3, SQS, EventBridge) and the in-memory fakes (relance.adapters.memory) implement them, and one contract
test suite holds both to the same behaviour. Services receive a `Context` and never import an adapter,
botocore, pynamodb or the composition root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from relance.domain.events import EscalationEvent
from relance.domain.models import Customer, Invoice

if TYPE_CHECKING:
    from email.message import EmailMessage

    from relance.config import Settings
    from relance.domain.calendar import BusinessCalendar
    from relance.domain.policy import Policy
    from relance.domain.selection import PolicyBook
    from relance.rates.store import RateStore

Clock = Callable[[], datetime]
Item = TypeVar("Item", Customer, Invoice)


# Errors a service may act on, whatever the adapter behind the port.


class ConflictError(RuntimeError):
    """Someone else changed an item first (a payment landed mid-run): reload and decide again."""

    def __init__(self, message: str, *, event_already_logged: bool = False) -> None:
        super().__init__(message)
        # The first conflicting write was an event already in the log: the same change was made before.
        self.event_already_logged = event_already_logged


class SendRejected(RuntimeError):
    """The mail service refused the message for good (bad address, unverified sender); nothing was sent."""


class SendRefused(RuntimeError):
    """The mail service did not take the message this time (throttled, paused, unreachable): none left."""


class SendUncertain(RuntimeError):
    """The request may have reached the mail service and the answer was lost: the message may have left.

    Retrying could send it twice, so the caller keeps the dispatch claimed and a person checks.
    """


class EvidenceConflict(RuntimeError):
    """Another document already sits under this evidence key; evidence is never replaced."""


class PublishError(RuntimeError):
    """The event bus did not take the event."""


class QueueError(RuntimeError):
    """Some messages could not be queued; the planner fails so that its schedule retries it."""


class StorageError(RuntimeError):
    """The store could not be read or written (missing object, access denied, outage)."""


class ItemRejected(StorageError):
    """The store refuses an item for what it holds (too large, an attribute it cannot take): retrying is
    useless; the rows it came from are reported rejected, the rest of the file goes on."""


# Values the ports exchange.


@dataclass(frozen=True)
class Change(Generic[Item]):
    """One item to write: created when `before` is None, else updated from `before` to `after`.

    An update is conditional on `before`'s version (someone else's write in between is a ConflictError).
    `dispatch` additionally requires the customer's pending dispatch to be that one: the worker's claim.
    """

    before: Item | None
    after: Item
    dispatch: str | None = None


@dataclass(frozen=True)
class DueScan:
    """What the planner read from the daily index: the customers due, and how many index items it took."""

    customer_ids: frozenset[str]
    items_read: int


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str
    version_id: str | None


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


# The ports.


class Book(Protocol):
    """Customers (with their cases and dispatch claim), their invoices, and the daily index of those due."""

    def customer(self, customer_id: str) -> Customer | None: ...

    def customers(self, customer_ids: Iterable[str]) -> dict[str, Customer]: ...

    def all_customers(self) -> Iterator[Customer]: ...

    def invoices_of(self, customer_id: str) -> list[Invoice]: ...

    def invoices(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Invoice]: ...

    def find_invoices(self, number: str) -> list[Invoice]:
        """Every invoice carrying this number, whichever customer it belongs to."""
        ...

    def due_customers(self, today: date) -> DueScan:
        """The customers whose next action is due by `today`: the index only, never the whole table."""
        ...

    def create(self, customers: Sequence[Customer] = (), invoices: Sequence[Invoice] = ()) -> None:
        """Writes new items in bulk (the caller checked they are new); not conditional, not atomic."""
        ...

    def save(self, changes: Sequence[Change[Any]], events: Sequence[EscalationEvent] = ()) -> None:
        """Writes the changes and appends the events together, or raises ConflictError and writes nothing.

        An event whose key is already in the log is a conflict too (the same change was made before).
        Large saves are split at the store's transaction limit; each part is atomic.
        """
        ...

    def claim_dispatch(self, customer: Customer, dispatch: str, now: datetime) -> Customer | None:
        """Marks the day's dispatch in flight; the customer as claimed, or None when this dispatch is done
        or another one is still in flight. Nothing is sent without the claim."""
        ...

    def release_dispatch(self, customer_id: str, dispatch: str) -> None:
        """Gives the claim back when the attempt certainly sent nothing, so that a retry may send."""
        ...


class EventLog(Protocol):
    """The escalation log: written once, never updated, never deleted before its retention."""

    def for_customer(self, customer_id: str) -> list[EscalationEvent]: ...

    def append(self, event: EscalationEvent) -> bool:
        """Writes once; False when an event with this key is already logged (a retried write)."""
        ...

    def exists(self, customer_id: str, event_key: str) -> bool: ...

    def customers_with_message(self, message_id: str) -> list[str]:
        """The customers whose log holds an event carrying this mail service message id (the email sent, its
        delivery, a reply to it): one read of an index, whatever the size of the book."""
        ...


class Mailer(Protocol):
    def send(self, message: EmailMessage, tags: Mapping[str, str] | None = None) -> str:
        """Sends a complete MIME message; returns the mail service's message id.

        Raises SendRejected (never), SendRefused (not now) or SendUncertain (may have left).
        """
        ...


class DocumentStore(Protocol):
    """The bucket: files the finance team drops, reports, and evidence written once under Object Lock."""

    def read(self, key: str) -> bytes: ...

    def put_report(self, key: str, report: Mapping[str, Any]) -> None: ...

    def put_file(self, key: str, body: bytes, content_type: str) -> None: ...

    def put_evidence(
        self, key: str, body: bytes, content_type: str, retain_until: datetime, metadata: Mapping[str, str]
    ) -> StoredObject:
        """Writes a document once. A retry finding the very same bytes takes them as its own; different
        bytes raise EvidenceConflict."""
        ...

    def keys(self, prefix: str, modified_since: datetime | None = None) -> Iterator[str]:
        """The keys under `prefix`, in key order; with `modified_since`, only those of objects written at or
        after it, to the second (S3 keeps LastModified to the second): the listing says when, so a reader
        of recent objects reads those alone, not every object the bucket ever held."""
        ...


class EventPublisher(Protocol):
    def publish(self, detail_type: str, detail: Mapping[str, Any]) -> str: ...


class WorkQueue(Protocol):
    def send_all(self, bodies: Sequence[Mapping[str, Any]]) -> int: ...


class Renderer(Protocol):
    """Emails and letters from templates. The real one renders Jinja2 and PDFs; a replay without documents
    uses a cheap one that keeps the same keys and hashes stable."""

    def email(self, template: str, context: Mapping[str, Any]) -> RenderedEmail: ...

    def formal_notice(self, context: Mapping[str, Any]) -> bytes: ...

    def handoff_summary(self, context: Mapping[str, Any]) -> bytes: ...


class Context(Protocol):
    """What every service receives: settings, clock, calendar, policies and the ports."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def calendar(self) -> BusinessCalendar: ...

    @property
    def policies(self) -> PolicyBook: ...

    @property
    def book(self) -> Book: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def mailer(self) -> Mailer: ...

    @property
    def store(self) -> DocumentStore: ...

    @property
    def bus(self) -> EventPublisher: ...

    @property
    def queue(self) -> WorkQueue: ...

    @property
    def renderer(self) -> Renderer: ...

    @property
    def rate_store(self) -> RateStore:
        """The rate rows fetched from the central banks or verified by a person, beside the packaged tables
        (relance.rates.current_rate_book merges them): what claims are priced with."""
        ...


def policy_for(ctx: Context, customer: Customer) -> Policy:
    return ctx.policies.for_customer(customer)
