"""`relance replay`: what Relance would have done to a book, day by day, in memory, before deploying it."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

from relance_tools.cli.dated_files import actions_by_date, payments_by_date
from relance_tools.cli.errors import CliError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="replay your own files day by day in memory: what Relance would have sent, when",
        description=(
            "Runs the same daily planner and worker as the deployed stack, in memory, over your customers, "
            "invoices and payments files, applying each payment (and each dated decision of --actions) on "
            "its day. Writes timeline.json (the escalation log) to --out, with the emails exactly as they "
            "would have gone and the formal notices as PDFs unless --no-documents. Nothing is sent and no "
            "AWS is needed. Progress goes to stderr, one line per simulated month."
        ),
    )
    parser.add_argument("--customers", type=Path, required=True, help="customers file (CSV or JSON)")
    parser.add_argument("--invoices", type=Path, required=True, help="invoices file")
    parser.add_argument("--payments", type=Path, help="payments file; each row is applied on its date")
    parser.add_argument("--actions", type=Path, help="dated decisions (dispute, promise, resume)")
    parser.add_argument(
        "--replies", type=Path, help="folder of customers' replies, YYYY-MM-DD-<name>.eml, read on their day"
    )
    parser.add_argument(
        "--bank", type=Path, help="folder of bank statements, YYYY-MM-DD-<name>, dropped on their day"
    )
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first day (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, required=True, help="number of days to replay")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--no-documents",
        action="store_true",
        help="decide and log without rendering emails and PDFs (a two-year book then takes seconds)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from relance.rendering.summary import SummaryRenderer
    from relance_tools.dated_drops import files_by_date, replies_by_date
    from relance_tools.replay import MemoryPipeline, replay, summary, write_outputs

    started = time.monotonic()
    if args.days < 1:
        raise CliError(f"--days must be 1 or more, got {args.days}")
    for option, path in (("--customers", args.customers), ("--invoices", args.invoices)):
        if not path.is_file():
            raise CliError(f"{option} {path}: no such file")
    try:
        payments = payments_by_date(args.payments.name, args.payments.read_bytes()) if args.payments else None
        actions = actions_by_date(args.actions.read_bytes()) if args.actions else {}
        replies = replies_by_date(args.replies) if args.replies else {}
        statements = files_by_date(args.bank) if args.bank else {}
    except (OSError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    renderer = SummaryRenderer() if args.no_documents else None
    pipeline = MemoryPipeline.start(args.start, renderer)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "replay-logs.jsonl").open("w", encoding="utf-8") as logs, redirect_stdout(logs):
        _quiet_loggers(logs)
        replay(
            pipeline,
            (args.customers.name, args.customers.read_bytes()),
            (args.invoices.name, args.invoices.read_bytes()),
            payments,
            actions,
            args.start,
            args.days,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
            replies=replies,
            statements=statements,
        )
    entries = write_outputs(pipeline, args.out, documents=not args.no_documents)
    summary(entries, time.monotonic() - started)
    return 0


def _quiet_loggers(stream: object) -> None:
    """The services log as the functions do; here the lines go to a file, not over the progress."""
    from relance.observability import logger

    for handler in getattr(logger, "handlers", []) or getattr(logger, "_logger", logger).handlers:
        if hasattr(handler, "setStream"):
            handler.setStream(stream)
