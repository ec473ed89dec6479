"""The people's side: `relance history`, `relance call`, `relance letter` and `relance resume-case`.

`history` prints a customer's file; the others record what a person did about a customer's case, with who
did it (`--actor`, default the OS user), on the chosen stack (see relance_tools.cli.stack).
"""

from __future__ import annotations

import argparse
from typing import Any

from relance_tools.cli.levers import common_arguments, lever_command, parse_date
from relance_tools.cli.stack import runtime_from_args
from relance_tools.cli.tables import format_table

_OUTCOMES = ("reached", "no_answer", "promise", "dispute")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = subparsers.add_parser(
        "history",
        help="a customer's file: its cases, invoices and everything that happened, oldest first",
        description="Prints the customer's cases (step reached, since when, invoices, amount), its invoices "
        "and its timeline: every message with SES's delivery report, payment, call, letter and decision.",
    )
    history.add_argument("customer", metavar="CUSTOMER", help="customer id")
    common_arguments(history)
    history.set_defaults(handler=lever_command(_history))

    call = subparsers.add_parser(
        "call",
        help="record a call to a customer and its outcome; a promise pauses the case until its date",
        description="Records the account manager's call in the customer's file. --outcome promise pauses "
        "the case until --until; dispute pauses it until someone runs `relance resume-case`.",
    )
    call.add_argument("customer", metavar="CUSTOMER", help="customer id")
    call.add_argument("--outcome", required=True, choices=_OUTCOMES, help="what came of the call")
    call.add_argument("--until", help="for a promise: the date the customer promised (YYYY-MM-DD)")
    call.add_argument("--note", help="what was said, kept in the log")
    call.add_argument("--currency", help="the case's currency, when the customer has several")
    common_arguments(call)
    call.set_defaults(handler=lever_command(_call))

    letter = subparsers.add_parser(
        "letter",
        help="record the registered letter of a formal notice: posted (with tracking), then received",
        description="The notice's deadline runs from receipt: once --received is recorded, the suspension "
        "counts its spacing from that day instead of the posting day plus the postal delay.",
    )
    letter.add_argument("customer", metavar="CUSTOMER", help="customer id")
    letter.add_argument("--posted", help="the day the letter was posted (YYYY-MM-DD)")
    letter.add_argument("--tracking", help="the registered letter's tracking number")
    letter.add_argument("--received", help="the day the acknowledgment of receipt says (YYYY-MM-DD)")
    letter.add_argument("--currency", help="the case's currency, when the customer has several")
    common_arguments(letter)
    letter.set_defaults(handler=lever_command(_letter))

    resume = subparsers.add_parser(
        "resume-case",
        help="resume a customer's paused case (a promise, a dispute raised in a reply or a call)",
    )
    resume.add_argument("customer", metavar="CUSTOMER", help="customer id")
    resume.add_argument("--note", help="why, kept in the log")
    resume.add_argument("--currency", help="the case's currency, when the customer has several")
    common_arguments(resume)
    resume.set_defaults(handler=lever_command(_resume))


def _describe(result: Any) -> str:
    pause = (
        f"paused until {result.paused_until.isoformat()}"
        if result.paused_until
        else ("paused until a person resumes it" if result.pause_reason else "not paused")
    )
    next_on = result.next_action_on.isoformat() if result.next_action_on else "none"
    return f"{result.customer_id} case {result.case_id} ({result.state}): {pause}; next action: {next_on}"


def _call(args: argparse.Namespace) -> str:
    from relance.services.case_levers import CallOutcome, CaseLeverError, record_call

    until = parse_date(args.until, "--until") if args.until else None
    try:
        result = record_call(
            runtime_from_args(args),
            args.customer,
            CallOutcome(args.outcome),
            args.actor,
            until,
            args.note,
            args.currency,
        )
    except CaseLeverError as exc:
        raise _error(exc) from None
    return f"call recorded ({args.outcome}); {_describe(result)}"


def _letter(args: argparse.Namespace) -> str:
    from relance.services.case_levers import CaseLeverError, track_letter

    posted = parse_date(args.posted, "--posted") if args.posted else None
    received = parse_date(args.received, "--received") if args.received else None
    try:
        result = track_letter(
            runtime_from_args(args), args.customer, args.actor, posted, args.tracking, received, args.currency
        )
    except CaseLeverError as exc:
        raise _error(exc) from None
    return f"letter {result.event.reason}; {_describe(result)}"


def _resume(args: argparse.Namespace) -> str:
    from relance.services.case_levers import CaseLeverError, resume_case

    try:
        result = resume_case(
            runtime_from_args(args), args.customer, args.actor, args.note or "resumed", args.currency
        )
    except CaseLeverError as exc:
        raise _error(exc) from None
    return _describe(result)


def _error(exc: Exception) -> Exception:
    from relance_tools.cli.errors import CliError

    return CliError(str(exc))


def _history(args: argparse.Namespace) -> str:
    from relance.services.history import customer_history

    try:
        history = customer_history(runtime_from_args(args), args.customer)
    except LookupError as exc:
        raise _error(exc) from None
    return render_history(history)


def render_history(history: Any) -> str:
    customer = history.customer
    lines = [
        f"{customer.customer_id} {customer.name} <{customer.email}>"
        + (f", {customer.phone}" if customer.phone else "")
        + f" - {customer.kind.value}, {customer.language}, contact {customer.contact_status.value}"
    ]
    if customer.dispatch.pending:
        lines.append(f"HELD: dispatch {customer.dispatch.pending} never completed (relance release)")
    lines.append("")
    if history.cases:
        rows = [
            [
                view.case_id,
                view.state.replace("_", " "),
                f"{view.step} ({view.step_on.isoformat()})" if view.step and view.step_on else "-",
                view.opened_on.isoformat(),
                " ".join(view.invoice_ids),
                f"{view.amount} {view.currency}",
            ]
            for view in history.cases
        ]
        lines.append(
            "Cases\n" + format_table(["case", "state", "last step", "opened", "invoices", "owed"], rows)
        )
    else:
        lines.append("No open case.")
    rows = [
        [
            invoice.invoice_id,
            invoice.due_date.isoformat(),
            f"{invoice.total} {invoice.currency}",
            f"{invoice.balance} {invoice.currency}",
            invoice.status.value,
        ]
        for invoice in sorted(history.invoices, key=lambda i: (i.due_date, i.invoice_id))
    ]
    lines.append("\nInvoices\n" + format_table(["invoice", "due", "total", "balance", "status"], rows))
    rows = [
        [
            event.occurred_on.isoformat(),
            event.case_id or "-",
            event.kind.value,
            event.step or "",
            event.outcome.value,
            " ".join(event.invoice_ids),
            f"{event.amount} {event.currency}" if event.amount is not None else "",
            (event.reason or "")[:60],
            event.actor,
        ]
        for event in history.events
    ]
    lines.append(
        "\nTimeline\n"
        + format_table(["date", "case", "kind", "step", "outcome", "invoices", "amount", "note", "by"], rows)
    )
    return "\n".join(lines)
