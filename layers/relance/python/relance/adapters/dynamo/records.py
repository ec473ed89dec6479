"""The stack's three tables as pynamodb models. Table names are bound at run time (see binding.py)."""

from __future__ import annotations

import zlib

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from relance.adapters.dynamo.attributes import DateAttribute, DecimalAttribute

UNBOUND = "unbound-call-relance.adapters.dynamo.binding.bind_tables"
# The invoices' per-invoice index of earlier versions: read until every book is adopted into cases.
DUE_INDEX = "due-index"
CUSTOMER_DUE_INDEX = "customer-due-index"
NUMBER_INDEX = "invoice-number-index"
MESSAGE_INDEX = "message-index"


def due_shard(customer_id: str, shards: int) -> str:
    """Spread the daily index over `shards` partitions; one customer's invoices share one."""
    return f"due#{zlib.crc32(customer_id.encode('utf-8')) % shards}"


class CaseMessageAttribute(MapAttribute):
    """One message of a case: the step, the day, the invoices it named, its kind, whether it was a letter."""

    step = UnicodeAttribute()
    on = DateAttribute()
    invoice_ids = ListAttribute(of=UnicodeAttribute, default=list)
    kind = UnicodeAttribute(default="step")
    letter = BooleanAttribute(default=False)


class CaseAttribute(MapAttribute):
    """A case on its customer's item (closed cases live in the escalation log)."""

    case_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    opened_on = DateAttribute()
    state = UnicodeAttribute(default="open")
    messages = ListAttribute(of=CaseMessageAttribute, default=list)
    noticed = ListAttribute(of=UnicodeAttribute, default=list)
    handed_off = ListAttribute(of=UnicodeAttribute, default=list)
    paused_until = DateAttribute(null=True)
    pause_reason = UnicodeAttribute(null=True)
    letter_posted_on = DateAttribute(null=True)
    letter_tracking = UnicodeAttribute(null=True)
    letter_received_on = DateAttribute(null=True)


class CustomerDueIndex(GlobalSecondaryIndex["CustomerRecord"]):
    """Sparse: only customers with a next action carry due_shard and next_action_on."""

    class Meta:
        index_name = CUSTOMER_DUE_INDEX
        projection = KeysOnlyProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    next_action_on = DateAttribute(range_key=True)


class CustomerRecord(Model):
    class Meta:
        table_name = UNBOUND

    customer_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    kind = UnicodeAttribute(default="business")
    language = UnicodeAttribute(default="fr")
    cc = ListAttribute(of=UnicodeAttribute, default=list)
    address = ListAttribute(of=UnicodeAttribute, default=list)
    country = UnicodeAttribute(default="FR")
    siren = UnicodeAttribute(null=True)
    account_manager_email = UnicodeAttribute(null=True)
    policy = UnicodeAttribute(null=True)
    do_not_dun = BooleanAttribute(default=False)
    waive_penalties = BooleanAttribute(default=False)
    contract_rate = DecimalAttribute(null=True)
    contact_status = UnicodeAttribute(default="ok")
    late_invoices = NumberAttribute(default=0)
    average_days_late = DecimalAttribute(null=True)
    last_message_on = DateAttribute(null=True)
    # A dispatch in flight: set before anything is sent, cleared in the transaction that records it.
    pending_dispatch = UnicodeAttribute(null=True)
    pending_since = UTCDateTimeAttribute(null=True)
    last_dispatch = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    # The debtor's legal form and merchant standing, for the collection route (domain/collection.py).
    legal_form = UnicodeAttribute(null=True)
    merchant = BooleanAttribute(null=True)
    payers = ListAttribute(of=UnicodeAttribute, null=True)
    cases = ListAttribute(of=CaseAttribute, null=True)
    cases_opened = NumberAttribute(default=0)
    due_shard = UnicodeAttribute(null=True)
    next_action_on = DateAttribute(null=True)
    source_file = UnicodeAttribute(null=True)
    version = VersionAttribute()

    due_index = CustomerDueIndex()


class DueIndex(GlobalSecondaryIndex["InvoiceRecord"]):
    """Sparse: only invoices whose escalation is active carry due_shard and next_action_on."""

    class Meta:
        index_name = DUE_INDEX
        projection = KeysOnlyProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    next_action_on = DateAttribute(range_key=True)


class NumberIndex(GlobalSecondaryIndex["InvoiceRecord"]):
    """Finds an invoice by its number alone, as bank statements and payment files give it."""

    class Meta:
        index_name = NUMBER_INDEX
        projection = KeysOnlyProjection()

    invoice_id = UnicodeAttribute(hash_key=True)


class InstalmentAttribute(MapAttribute):
    due_on = DateAttribute()
    amount = DecimalAttribute()


class PlanAttribute(MapAttribute):
    """A payment plan on its invoice: the instalments, and which were already reminded (never twice)."""

    agreed_on = DateAttribute()
    paid_at_start = DecimalAttribute()
    instalments = ListAttribute(of=InstalmentAttribute, default=list)
    reminded = ListAttribute(of=NumberAttribute, default=list)


class InvoiceRecord(Model):
    class Meta:
        table_name = UNBOUND

    customer_id = UnicodeAttribute(hash_key=True)
    invoice_id = UnicodeAttribute(range_key=True)
    issue_date = DateAttribute()
    due_date = DateAttribute()
    currency = UnicodeAttribute()
    total = DecimalAttribute()
    amount_paid = DecimalAttribute()
    status = UnicodeAttribute(default="open")
    paid_on = DateAttribute(null=True)
    steps_done = ListAttribute(of=UnicodeAttribute, default=list)
    last_step_on = DateAttribute(null=True)
    paused_until = DateAttribute(null=True)
    pause_reason = UnicodeAttribute(null=True)
    payment_link = UnicodeAttribute(null=True)
    purchase_order = UnicodeAttribute(null=True)
    contract_rate = DecimalAttribute(null=True)
    plan = PlanAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    next_action_on = DateAttribute(null=True)
    source_file = UnicodeAttribute(null=True)
    version = VersionAttribute()

    due_index = DueIndex()
    number_index = NumberIndex()


class EventLine(MapAttribute):
    """One invoice's amounts as they stood when the event happened."""

    invoice_id = UnicodeAttribute()
    balance = DecimalAttribute()
    step = UnicodeAttribute(null=True)
    interest = DecimalAttribute(null=True)
    indemnity = DecimalAttribute(null=True)
    stage = UnicodeAttribute(null=True)


class NoticeAttribute(MapAttribute):
    key = UnicodeAttribute()
    sha256 = UnicodeAttribute()
    currency = UnicodeAttribute(null=True)


class MessageIndex(GlobalSecondaryIndex["EventRecord"]):
    """Sparse: the events carrying a mail service's message id (what was sent, its delivery, a reply to it);
    a reply names the email it answers by that id."""

    class Meta:
        index_name = MESSAGE_INDEX
        projection = KeysOnlyProjection()

    message_id = UnicodeAttribute(hash_key=True)


class EventRecord(Model):
    """The escalation log: written once, never updated, never deleted before its retention."""

    class Meta:
        table_name = UNBOUND

    customer_id = UnicodeAttribute(hash_key=True)
    event_key = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    occurred_on = DateAttribute()
    recorded_at = UTCDateTimeAttribute()
    run_id = UnicodeAttribute(null=True)
    step = UnicodeAttribute(null=True)
    channels = ListAttribute(of=UnicodeAttribute, default=list)
    outcome = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    invoice_ids = ListAttribute(of=UnicodeAttribute, default=list)
    lines = ListAttribute(of=EventLine, default=list)
    currency = UnicodeAttribute(null=True)
    amount = DecimalAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    message_index = MessageIndex()
    notices = ListAttribute(of=NoticeAttribute, default=list)
    actor = UnicodeAttribute(default="system")
    detail = UnicodeAttribute(null=True)
    case_id = UnicodeAttribute(null=True)
    customer_name = UnicodeAttribute(null=True)
    email_key = UnicodeAttribute(null=True)
    email_sha256 = UnicodeAttribute(null=True)
