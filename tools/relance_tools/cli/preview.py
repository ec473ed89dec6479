"""`relance preview --days 14`: what the daily run would send each day from the current data.

Nothing is written or sent: the days are simulated in memory with the same rules as the daily run (the
calendar, one message per customer, the holds).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from relance_tools.cli.errors import CliError
from relance_tools.cli.levers import parse_date
from relance_tools.cli.stack import add_stack_arguments, aws_errors, runtime_from_args, today_of
from relance_tools.cli.tables import format_table

if TYPE_CHECKING:
    from relance.services.preview import Preview


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "preview",
        help="what the daily run would send over the next days (no side effect)",
        description=__doc__,
    )
    parser.add_argument("--days", type=int, default=14, help="number of days, today included (default 14)")
    parser.add_argument("--from", dest="start", metavar="DATE", help="first day (default: today)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table per day")
    add_stack_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from relance.services.preview import preview

    if args.days < 1 or args.days > 366:
        raise CliError(f"--days must be between 1 and 366, got {args.days}")
    start = parse_date(args.start, "--from") if args.start else None
    with aws_errors(args.stack):
        rt = runtime_from_args(args)
        result = preview(rt, start or today_of(rt), args.days)
    print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) if args.json else render(result))
    return 0


def render(result: Preview) -> str:
    blocks = [render_cases(result)] if result.cases else []
    for day in result.days:
        title = f"{day.on.isoformat()} {day.on:%a}"
        if day.closed:
            blocks.append(f"{title}: closed ({day.closed}), nothing is sent")
            continue
        if not day.dispatches:
            blocks.append(f"{title}: nothing due")
            continue
        rows = [
            [
                f"{item.customer_id} {result.customer_names.get(item.customer_id, '')}"[:32],
                item.case_id or "-",
                item.step or "",
                ",".join(item.channels) or "-",
                " ".join(item.invoice_ids),
                " + ".join(f"{amount} {currency}" for currency, amount in item.amounts),
                item.note or ("" if item.kind == "escalation" else item.kind.replace("_", " ")),
            ]
            for item in day.dispatches
        ]
        blocks.append(
            f"{title}\n"
            + format_table(["customer", "case", "step", "channels", "invoices", "amount", "note"], rows)
        )
    return "\n\n".join(blocks)


def render_cases(result: Preview) -> str:
    """Where each case stands today: its step and since when, what it holds; held and handed-off cases too,
    since they send nothing and so appear in no day below."""
    rows = [
        [
            f"{customer_id} {result.customer_names.get(customer_id, '')}"[:32],
            view.case_id,
            view.state.replace("_", " "),
            f"{view.step} ({view.step_on.isoformat()})" if view.step and view.step_on else "-",
            view.opened_on.isoformat(),
            " ".join(view.invoice_ids),
            f"{view.amount} {view.currency}",
        ]
        for customer_id, views in sorted(result.cases.items())
        for view in views
    ]
    return "Cases today\n" + format_table(
        ["customer", "case", "state", "last step", "opened", "invoices", "owed"], rows
    )
