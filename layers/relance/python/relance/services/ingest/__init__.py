"""Ingest one file dropped in `incoming/`: read it, check every row, bring the book up to date, report.

One module per kind of file (customers, invoices, payments, e-invoices); each writes through the book's one
save path (relance.services.bookkeeping), so a changed customer's cases and next action date are settled in
the same write. Dropping the same file again writes nothing but its report; a payment is applied once,
from any file, because its log event's key is derived from the payment.
"""

from relance.services.ingest.dispatch import ingest_object
from relance.services.ingest.run import IngestReport

__all__ = ["IngestReport", "ingest_object"]
