"""`relance demo`: the whole pipeline, end to end, on an embedded AWS, over simulated days."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import redirect_stdout
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from relance_tools.cli.dated_files import actions_by_date, due_date_range, payments_by_date
from relance_tools.cli.errors import CliError
from relance_tools.cli.tables import format_table

if TYPE_CHECKING:
    pass

T = TypeVar("T")

DEMO_PARAMETERS = {
    "SenderEmail": "relances@atelier-durand.example",
    "ReplyToEmail": "compta-clients@atelier-durand.example",
    "CompanyName": "Atelier Durand SAS",
    "CompanySiren": "917764672",
    "CompanyAddress": "12 rue des Ateliers|75011 Paris|France",
    "CompanyIban": "FR76 3000 6000 0112 3456 7890 189",
    "CompanyPhone": "+33 1 84 00 00 00",
}
# Far enough past the last due date for a never-paid invoice to reach hand-off under the default policy.
_DAYS_AFTER_LAST_DUE = 80
_DAYS_BEFORE_FIRST_DUE = 60


def _demo_dir() -> Path:
    from relance_tools.devstack import repository_root

    return repository_root() / "demo"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole pipeline on an embedded AWS over simulated days",
        description=(
            "Starts moto's server on a free 127.0.0.1 port, creates the stack's resources from "
            "template.yaml, uploads the files to incoming/, then runs the daily schedule (planner and "
            "worker) for each simulated day, applying payments and actions on their dates. Writes emails, "
            "notices, reports and timeline.json to --out and prints the escalation timeline."
        ),
    )
    demo = _demo_dir()
    parser.add_argument("--customers", type=Path, default=demo / "customers.csv", help="customers file")
    parser.add_argument("--invoices", type=Path, default=demo / "invoices.csv", help="invoices file")
    parser.add_argument(
        "--payments",
        type=Path,
        default=demo / "payments.csv",
        help="payments file; each row is applied on its payment date",
    )
    parser.add_argument(
        "--actions",
        type=Path,
        default=demo / "actions.csv",
        help="dated human decisions (dispute, promise, resume); '' for none",
    )
    parser.add_argument(
        "--replies",
        type=Path,
        default=demo / "replies",
        help="customers' replies (YYYY-MM-DD-<name>.eml), each stored under inbound/ on its day; '' for none",
    )
    parser.add_argument(
        "--bank",
        type=Path,
        default=demo / "bank",
        help="bank statements (YYYY-MM-DD-<name>), each dropped under incoming/bank/ on its day; '' for none",
    )
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        help=f"first simulated day (default: {_DAYS_BEFORE_FIRST_DUE} days before the first due)",
    )
    parser.add_argument(
        "--days",
        type=int,
        default=None,
        help=f"number of simulated days (default: until {_DAYS_AFTER_LAST_DUE} days after the last due)",
    )
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    parser.add_argument(
        "--serve",
        action="store_true",
        help=(
            "after the simulated days, keep the embedded AWS running (until Ctrl-C) for the levers and "
            "`relance preview` (--endpoint URL --stack relance-demo); writes OUT/stack.json"
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    # The stack's service name (template.yaml), before any handler or service module is imported:
    # Powertools reads it once, at import, for the lines of lambda-logs.jsonl.
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "relance")
    # Powertools warns when a handler publishes no metric of its own; a quiet day is normal here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    if not args.customers.is_file():
        raise CliError(f"--customers {args.customers}: no such file")
    payments = _read(args.payments, lambda path: payments_by_date(path.name, path.read_bytes()))
    actions = _read(args.actions, lambda path: actions_by_date(path.read_bytes())) or {}
    replies = _dated(args.replies, ".eml")
    statements = _dated(args.bank)
    due_range = _read(args.invoices, lambda path: due_date_range(path.name, path.read_bytes()))
    if due_range is None:
        raise CliError("--invoices is required")
    first_due, last_due = due_range
    start: date = args.start or first_due - timedelta(days=_DAYS_BEFORE_FIRST_DUE)
    days: int = args.days if args.days is not None else (last_due - start).days + _DAYS_AFTER_LAST_DUE
    if days < 1:
        raise CliError(f"--days must be 1 or more, got {days}")
    out: Path = args.out
    _prepare(out)

    from relance_tools.actions import apply_action
    from relance_tools.dated_drops import inbound_key, reply_bytes
    from relance_tools.devstack import deploy_stack, embedded_aws, verify_sender
    from relance_tools.local_pipeline import LocalPipeline

    print(f"Relance demo: {days} days from {start.isoformat()}, embedded AWS on 127.0.0.1", file=sys.stderr)
    with embedded_aws() as aws, (out / "lambda-logs.jsonl").open("w", encoding="utf-8") as log_stream:
        stack = deploy_stack(DEMO_PARAMETERS, stack_name="relance-demo")
        verify_sender(DEMO_PARAMETERS["SenderEmail"])
        pipeline = LocalPipeline.start(aws, stack, start, log_stream=log_stream)
        ingest = [
            pipeline.upload(f"incoming/customers/{args.customers.name}", args.customers.read_bytes()),
            pipeline.upload(f"incoming/invoices/{args.invoices.name}", args.invoices.read_bytes()),
        ]
        worked = 0
        for offset in range(days):
            day = start + timedelta(days=offset)
            pipeline.set_day(day)
            if payments and day in payments.rows:
                ingest.append(
                    pipeline.upload(
                        f"incoming/payments/payments-{day.isoformat()}.csv", payments.csv_for(day)
                    )
                )
            for path in statements.get(day, []):
                ingest.append(pipeline.upload(f"incoming/bank/{path.name}", path.read_bytes()))
            for action in actions.get(day, []):
                with redirect_stdout(log_stream):
                    apply_action(pipeline.runtime, action)
            for path in replies.get(day, []):
                # As the SES receipt rule would: the raw email under inbound/, then the replies function.
                pipeline.receive_reply(inbound_key(path), reply_bytes(pipeline.runtime, path))
            run = pipeline.run_day(day)
            worked += len(run.processed)
            if run.processed:
                # SES reports each delivery back the same day; hand-off packs list these statuses.
                pipeline.report_deliveries()
            if offset % 7 == 6 or offset == days - 1:
                # A line a simulated week, so that a minute of work does not look like a hang.
                print(
                    f"  {day.isoformat()}  day {offset + 1}/{days}: {worked} customers worked so far",
                    file=sys.stderr,
                    flush=True,
                )
        timeline = _collect(pipeline, out)
        # The journal function reads the events table's stream, as on AWS: its lines go to lambda-logs.jsonl.
        pipeline.run_journal()
        _print_summary(timeline, ingest, out, time.monotonic() - started, sys.stdout)
        _digest(pipeline, start + timedelta(days=days - 1), out, sys.stdout)
        if args.serve:
            _serve(aws, stack, pipeline.runtime.calendar.local_date(pipeline.clock()), out)
    return 0


def _serve(aws: Any, stack: Any, today: date, out: Path) -> None:
    """Keeps the embedded AWS up for the levers and the preview, on the demo's last simulated day."""
    import signal
    import threading

    from relance_tools.devstack import register_stack

    register_stack(stack, simulated_today=today.isoformat())
    (out / "stack.json").write_text(
        json.dumps(
            {
                "endpoint": aws.endpoint,
                "stack": stack.stack_name,
                "region": stack.environment.get("AWS_REGION"),
                "simulated_today": today.isoformat(),
                "outputs": stack.outputs,
                "environment": stack.environment,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    target = f"--endpoint {aws.endpoint} --stack {stack.stack_name}"
    print(
        f"\nEmbedded AWS serving at {aws.endpoint}, stack {stack.stack_name}, simulated today "
        f"{today.isoformat()} (details in {out}/stack.json). Ctrl-C to stop.\n"
        f"  relance preview --days 14 {target}\n"
        f"  relance pause F2026-0104 --reason dispute {target}\n"
        f"  relance plan F2026-0107 --instalments {today + timedelta(days=10)}:700.00,"
        f"{today + timedelta(days=40)}:720.50 {target}",
        flush=True,
    )
    stop = threading.Event()
    # A terminal's Ctrl-C and a supervisor's SIGTERM both end the wait; the server then stops cleanly.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    print("Embedded AWS stopped.", file=sys.stderr)


def _read(path: Path | None, reader: Callable[[Path], T]) -> T | None:
    """None when the option is given empty ('' turns payments or actions off)."""
    if path is None or str(path) in {"", "."}:
        return None
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        return reader(path)
    except ValueError as exc:
        raise CliError(f"{path}: {exc}") from exc


def _dated(folder: Path | None, suffix: str = "") -> dict[date, list[Path]]:
    """A folder's dated files (replies, statements) by day; none when the option is given empty."""
    from relance_tools.dated_drops import files_by_date

    if folder is None or str(folder) in {"", "."}:
        return {}
    if not folder.is_dir():
        raise CliError(f"{folder}: no such folder")
    try:
        return files_by_date(folder, suffix)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def _prepare(out: Path) -> None:
    for folder in ("emails", "notices", "reports", "tasks", "handoff"):
        shutil.rmtree(out / folder, ignore_errors=True)
        (out / folder).mkdir(parents=True, exist_ok=True)


def _collect(pipeline: Any, out: Path) -> list[dict[str, Any]]:
    """Writes what the pipeline produced, read back from the embedded AWS's bucket: the emails from the
    archive the worker keeps under emails/ (what was sent, byte for byte), not from moto's SES store."""
    rt = pipeline.runtime
    s3 = rt.client("s3")
    bucket = rt.settings.bucket
    paginator = s3.get_paginator("list_objects_v2")
    for prefix, folder in (
        ("emails/", "emails"),
        ("notices/", "notices"),
        ("reports/ingest/", "reports"),
        ("tasks/", "tasks"),
        ("handoff/", "handoff"),
    ):
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                # Flattened: notices/C004/2026/03/x.pdf becomes notices/C004_2026_03_x.pdf.
                name = item["Key"][len(prefix) :].replace("/", "_")
                (out / folder / name).write_bytes(
                    s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                )
    timeline = _timeline(rt)
    (out / "timeline.json").write_text(
        json.dumps(timeline, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return timeline


def _digest(pipeline: Any, day: date, out: Path, stream: TextIO) -> None:
    """The morning digest of the last simulated day, through its handler as its schedule would invoke it
    an hour after the daily run; its files are read back from the bucket into OUT/digest/."""
    from datetime import UTC, datetime
    from datetime import time as clock_time

    from relance_tools.devstack import repository_root

    event = json.loads((repository_root() / "events" / "schedule.json").read_text(encoding="utf-8"))
    calendar = pipeline.runtime.calendar
    moment = datetime.combine(day, clock_time(9, 0), tzinfo=calendar.timezone)
    event["scheduled_time"] = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    event["execution_id"] = f"demo-digest-{day.isoformat()}"
    pipeline.clock.now = moment
    result = pipeline.invoke("digest", event)
    folder = out / "digest"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    s3 = pipeline.runtime.client("s3")
    for key in result["keys"].values():
        body = s3.get_object(Bucket=pipeline.runtime.settings.bucket, Key=key)["Body"].read()
        (folder / key.rsplit("/", 1)[-1]).write_bytes(body)
    print(
        f"Morning digest of {day.isoformat()}: {folder}/{day.isoformat()}.html (.txt, .csv), "
        f"{result['attention']} items to act on, email {result['email'].replace('_', ' ')}.",
        file=stream,
    )


def _timeline(rt: Any) -> list[dict[str, Any]]:
    from relance_tools.timeline import timeline

    return timeline(rt)


def _print_summary(
    timeline: list[dict[str, Any]], ingest: list[dict[str, Any]], out: Path, seconds: float, stream: TextIO
) -> None:
    rows = [
        [
            entry["date"],
            f"{entry['customer_id']} {entry['customer_name']}"[:30],
            entry["step"] or entry["kind"],
            ",".join(entry["channels"]) or "-",
            " ".join(entry["invoice_ids"]),
            f"{entry['amount_due']} {entry['currency'] or ''}".strip() if entry["amount_due"] else "",
            entry["outcome"] if entry["kind"] != "payment" else "received",
        ]
        # Delivery reports double every line: they stay in timeline.json, the table shows what was done.
        for entry in timeline
        if entry["kind"] != "delivery"
    ]
    print(
        format_table(["date", "customer", "step", "channels", "invoices", "amount", "outcome"], rows),
        file=stream,
    )
    print(file=stream)
    for result in ingest:
        for report in result.get("files", []):
            counts = ", ".join(
                f"{report[name]} {name.replace('_', ' ')}"
                for name in ("rows", "created", "updated", "unchanged", "rejected", "applied_payments")
                if report.get(name)
            )
            problem = f"; {report['error']}" if report.get("error") else ""
            print(
                f"ingest {report['file']}: {counts or 'empty'}{problem} -> {report['report_key']}",
                file=stream,
            )
    sent = sum(1 for entry in timeline if entry["outcome"] == "sent")
    notices = sum(1 for entry in timeline if entry["notice_key"])
    print(
        f"\n{sent} dispatches sent, {notices} formal notices stored, in {seconds:.1f} s. "
        f"Outputs in {out}/ (emails/, notices/, reports/, tasks/, timeline.json, lambda-logs.jsonl).",
        file=stream,
    )
