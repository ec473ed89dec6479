"""Errors the command line reports in one line."""


class CliError(Exception):
    """A user mistake the command reports in one line, without a traceback."""
