"""The human levers: `relance pause | resume | promise | plan INVOICE` and `relance release CUSTOMER`.

Each acts on the chosen stack (see relance_tools.cli.stack), records who acted (`--actor`, default the OS
user) in a STATUS event of the escalation log, and prints one line: what changed and the next action date.
"""

from __future__ import annotations

import argparse
import getpass
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from relance.domain.amounts import AmountError, parse_amount
from relance.domain.models import Instalment
from relance_tools.cli.errors import CliError
from relance_tools.cli.stack import add_stack_arguments, aws_errors, quiet_metrics, runtime_from_args

if TYPE_CHECKING:
    from relance.services.levers import LeverResult

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# "2026-04-10:500.00,2026-05-10:500,00": a comma starts a new instalment only before a date.
_NEXT_INSTALMENT = re.compile(r",(?=\s*\d{4}-\d{2}-\d{2}\s*:)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pause = _invoice_parser(
        subparsers,
        "pause",
        "stop reminders on an invoice: a dispute until resumed, anything else until a date",
    )
    pause.add_argument(
        "--reason",
        required=True,
        help="'dispute' (stops until `relance resume`), or a few words with --until",
    )
    pause.add_argument("--until", metavar="DATE", help="last paused day; escalation resumes after it")
    pause.add_argument("--note", help="details kept in the log (e.g. the customer's email of 19/02)")
    pause.set_defaults(handler=lever_command(_pause))

    resume = _invoice_parser(
        subparsers,
        "resume",
        "end a dispute, pause, promise or payment plan: escalation resumes where it stopped",
    )
    resume.add_argument("--note", help="why, kept in the log")
    resume.set_defaults(handler=lever_command(_resume))

    promise = _invoice_parser(
        subparsers, "promise", "record a promise to pay: no reminder until the date, then resume if unpaid"
    )
    promise.add_argument("--until", metavar="DATE", required=True, help="the promised payment date")
    promise.add_argument("--note", help="how the promise was obtained, kept in the log")
    promise.set_defaults(handler=lever_command(_promise))

    plan = _invoice_parser(
        subparsers,
        "plan",
        "replace the invoice's escalation with a payment plan; the instalments must sum to its balance",
    )
    plan.add_argument(
        "--instalments",
        metavar="DATE:AMOUNT,...",
        help="e.g. 2026-04-10:500.00,2026-05-10:500.00 (dates ascending, none in the past)",
    )
    plan.add_argument(
        "--instalment", action="append", default=[], metavar="DATE:AMOUNT", help="one instalment; repeat"
    )
    plan.add_argument("--note", help="how the plan was agreed, kept in the log")
    plan.set_defaults(handler=lever_command(_plan))

    release = subparsers.add_parser(
        "release",
        help="clear a customer's held dispatch after checking whether its email left",
        description=(
            "A dispatch interrupted between its claim and its record holds the customer: nobody knows "
            "whether the email left. Check the SES logs or ask the customer, then release: by default the "
            "email did not leave and the next run sends it; with --was-sent its steps are recorded as done."
        ),
    )
    release.add_argument("customer", metavar="CUSTOMER", help="customer id")
    release.add_argument(
        "--was-sent", action="store_true", help="the email did leave: record its steps, send nothing"
    )
    release.add_argument("--note", help="what was checked, kept in the log")
    common_arguments(release)
    release.set_defaults(handler=lever_command(_release))

    reopen = subparsers.add_parser(
        "reopen",
        help="take a customer's case back from collection: it ends, what is owed escalates in a new case",
        description=(
            "After its hand-off a case sends nothing (the agency or the court has it) and invoices falling "
            "overdue wait in a held case. When the file comes back (the agency returned it, a settlement "
            "failed), reopen: the handed-off case ends, and what is still owed, with the held invoices, "
            "escalates in a new case from its first step."
        ),
    )
    reopen.add_argument("customer", metavar="CUSTOMER", help="customer id")
    reopen.add_argument("--currency", default="EUR", help="the case's currency (default EUR)")
    reopen.add_argument("--note", required=True, help="why it comes back, kept in the log")
    common_arguments(reopen)
    reopen.set_defaults(handler=lever_command(_reopen))


def _invoice_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=summary, description=summary)
    parser.add_argument("invoice", metavar="INVOICE", help="invoice number")
    parser.add_argument("--customer", help="customer id, when the number exists for several customers")
    common_arguments(parser)
    return parser


def common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--actor", default=_os_user(), help="who decides, for the log (default: the OS user)")
    add_stack_arguments(parser)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def lever_command(lever: Callable[[argparse.Namespace], str]) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        from relance.services.levers import LeverError

        if not str(args.actor).strip():
            raise CliError("--actor must name who decides")
        try:
            with aws_errors(args.stack), quiet_metrics():
                line = lever(args)
            print(line)
        except LeverError as exc:
            raise CliError(str(exc)) from None
        return 0

    return handler


def parse_date(text: str, option: str) -> date:
    value = text.strip()
    if not _ISO_DATE.match(value):
        raise CliError(f"{option} {text!r}: expected a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} {text!r} is not a calendar date") from None


def parse_instalments(listed: str | None, repeated: Sequence[str]) -> list[Instalment]:
    """`DATE:AMOUNT` items from --instalments (comma-separated) and each --instalment, in that order."""
    items = _NEXT_INSTALMENT.split(listed) if listed else []
    items += list(repeated)
    if not items:
        raise CliError("give the instalments: --instalments 2026-04-10:500.00,2026-05-10:500.00")
    instalments = []
    for item in items:
        day, separator, amount = item.strip().partition(":")
        if not separator or not amount.strip():
            raise CliError(f"instalment {item.strip()!r}: expected DATE:AMOUNT such as 2026-04-10:500.00")
        try:
            value = parse_amount(amount.strip())
        except AmountError as exc:
            raise CliError(f"instalment {item.strip()!r}: {exc}") from None
        instalments.append(Instalment(parse_date(day, "instalment"), value))
    return instalments


def _describe(result: LeverResult) -> str:
    until = f" until {result.paused_until.isoformat()}" if result.paused_until else ""
    next_on = result.next_action_on.isoformat() if result.next_action_on else "none"
    return f"{result.invoice_id} ({result.customer_id}): {result.status}{until}; next action: {next_on}"


def _pause(args: argparse.Namespace) -> str:
    from relance.services import levers

    until = parse_date(args.until, "--until") if args.until else None
    rt = runtime_from_args(args)
    result = levers.pause(rt, args.invoice, args.reason, args.actor, until, args.customer, args.note)
    return _describe(result)


def _resume(args: argparse.Namespace) -> str:
    from relance.services import levers

    rt = runtime_from_args(args)
    return _describe(levers.resume(rt, args.invoice, args.actor, args.note or "resumed", args.customer))


def _promise(args: argparse.Namespace) -> str:
    from relance.services import levers

    until = parse_date(args.until, "--until")
    rt = runtime_from_args(args)
    reason = f"promise to pay: {args.note}" if args.note else "promise to pay"
    return _describe(levers.promise(rt, args.invoice, until, args.actor, reason, args.customer))


def _plan(args: argparse.Namespace) -> str:
    from relance.services import levers

    instalments = parse_instalments(args.instalments, args.instalment)
    rt = runtime_from_args(args)
    reason = f"payment plan agreed: {args.note}" if args.note else "payment plan agreed"
    result = levers.plan(rt, args.invoice, instalments, args.actor, reason, args.customer)
    schedule = ", ".join(f"{item.due_on.isoformat()} {item.amount}" for item in instalments)
    return f"{_describe(result)}; instalments: {schedule}"


def _release(args: argparse.Namespace) -> str:
    from relance.services import levers

    rt = runtime_from_args(args)
    result = levers.release(rt, args.customer, args.actor, was_sent=args.was_sent, reason=args.note)
    then = "its steps are recorded as done" if result.was_sent else "the next run sends it"
    return f"{result.customer_id}: dispatch {result.dispatch} released; {then}"


def _reopen(args: argparse.Namespace) -> str:
    from relance.services import levers

    rt = runtime_from_args(args)
    events = levers.reopen(rt, args.customer, args.currency, args.actor, args.note)
    ended = ", ".join(event.case_id or "?" for event in events if event.step == "reopened")
    customer = rt.book.customer(args.customer)
    now = ", ".join(f"{case.case_id} ({case.state.value})" for case in customer.cases) if customer else "none"
    return f"{args.customer}: case {ended} taken back from collection; cases now: {now or 'none'}"
