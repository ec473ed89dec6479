"""The `relance` command: one sub-command per module of this package, each with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from relance_tools.cli.errors import CliError

# The module's docstring is for developers; the help is for the finance team and the operator.
DESCRIPTION = """\
Relance chases unpaid invoices: courteous reminders first, then a call, a formal notice, suspension and
hand-off to collection, one coherent escalation per customer.

Try it:     relance demo                 (the whole pipeline on an embedded AWS, about a minute)
Your files: relance replay --help        (what Relance would have sent on your own book, in memory)
People:     pause, promise, plan, resume, call, letter, history (on a stack, or on `relance demo --serve`)
Each command has its own --help."""

# Each module holds `register(subparsers)`, which adds its sub-command and sets `handler` on the parser.
_COMMAND_MODULES = ("demo", "replay", "interest", "rates", "levers", "people", "preview")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="relance", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"relance_tools.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"relance {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `relance preview | head`: the reader has what it wanted. Python would print a traceback when it
        # flushes stdout at exit; point stdout at /dev/null so it has nowhere to fail, and exit as `cat` does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE
