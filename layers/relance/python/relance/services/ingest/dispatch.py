"""From a key in the bucket to a report: read the file, hand its rows to the module of its kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relance.ingest.errors import UnreadableFile
from relance.ingest.kinds import FileKind
from relance.ingest.reading import Upload, read_upload, unknown_kind_reason
from relance.ingest.rows import Rejection, RowWarning
from relance.ingest.validation import stream_table
from relance.observability import count_metric, logger
from relance.policies import load_policies
from relance.ports import Context, StorageError
from relance.services.ingest.customers import store_customers
from relance.services.ingest.invoices import store_invoices
from relance.services.ingest.payments import store_payments
from relance.services.ingest.run import IngestReport, IngestRun


def ingest_object(ctx: Context, key: str) -> IngestReport:
    """Reads s3://bucket/<key>, stores what it can, and always leaves `reports/ingest/<key>.json`."""
    report = IngestReport(file=key, received_at=ctx.clock().isoformat())
    run = IngestRun(ctx, key, report)
    report.received_at = run.now.isoformat()
    upload = _read(ctx, key, report)
    if upload is not None:
        try:
            _ingest(run, upload)
        except Exception as exc:
            # Transient AWS trouble: the report says how far it got; the retry (or a new drop) finishes
            # the job, because everything already stored is found unchanged.
            logger.exception("ingest stopped", extra={"file": key})
            report.error = (
                f"stopped while storing ({type(exc).__name__}: {exc}); the counts show what was done, "
                "drop the file again to finish"
            )
            _finish(ctx, report)
            raise
    _finish(ctx, report)
    return report


# Rows are stored as the file is read, this many at a time: memory stays flat whatever the file's size.
CHUNK = 500


def _ingest(run: IngestRun, upload: Upload) -> None:
    # Statements and e-invoices load their code (matching, XML readers) when one arrives rather than at
    # every cold start of the ingest function: most files are CSV.
    if upload.einvoice is not None:
        from relance.services.ingest.einvoices import ingest_einvoice

        ingest_einvoice(run, upload.einvoice)
        return
    if upload.bank is not None:
        from relance.services.ingest.bank import ingest_bank

        ingest_bank(run, upload.bank)
        return
    assert upload.table is not None
    table = upload.table
    run.report.rows = len(table.rows)
    run.report.encoding = upload.encoding
    store: Callable[[IngestRun, list[Any]], None] = {
        FileKind.CUSTOMERS: store_customers,
        FileKind.INVOICES: store_invoices,
        FileKind.PAYMENTS: store_payments,
    }[upload.kind]
    accepted: list[Any] = []
    for item in stream_table(upload.kind, table, policies=load_policies(), today=run.today):
        if isinstance(item, Rejection):
            run.report.reject(item)
        elif isinstance(item, RowWarning):
            run.report.warnings.append(item)
        else:
            accepted.append(item)
            if len(accepted) >= CHUNK:
                store(run, accepted)
                accepted = []
    if accepted:
        store(run, accepted)


def _read(ctx: Context, key: str, report: IngestReport) -> Upload | None:
    try:
        body = ctx.store.read(key)
    except StorageError as exc:
        report.error = f"the file cannot be read from the bucket: {exc}"
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


def _finish(ctx: Context, report: IngestReport) -> None:
    ctx.store.put_report(report.key, report.as_dict())
    logger.info("ingest", extra={"ingest": report.summary()})
    count_metric("IngestFiles", kind=report.kind, outcome="unreadable" if report.error else "read")
    outcomes = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "applied_payment": report.applied_payments,
    }
    for outcome, count in outcomes.items():
        if count:
            count_metric("IngestRows", value=count, kind=report.kind, outcome=outcome)
