"""The `relance` command: one sub-command per module of this package, each with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from relance_tools.cli.errors import CliError

# Each module holds `register(subparsers)`, which adds its sub-command and sets `handler` on the parser.
_COMMAND_MODULES = ("demo", "replay", "interest", "rates", "levers", "people", "preview")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relance", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
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
