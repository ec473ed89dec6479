"""Errors that stop a whole file or a single field, each worded for the person who made the file."""

from __future__ import annotations


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (encoding, broken JSON or XML, unknown kind): nothing is stored."""


class FieldError(ValueError):
    """One value of one row that cannot be used; the message names the field and says why."""
