"""Errors that become one clear line and exit code 2, never a traceback."""
from __future__ import annotations


class GanlintError(Exception):
    """Base for every error ganlint reports to the user as one line."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        from ganlint.core.display import shown

        where = ""
        if self.file:
            where = f"{shown(self.file)}:{self.line}: " if self.line else f"{shown(self.file)}: "
        return f"{where}{shown(self.message)}"


class InputError(GanlintError):
    """A file that cannot be read or parsed (syntax error, bad encoding, alias bomb, ...)."""


class UsageError(GanlintError):
    """Bad command-line usage or bad [tool.ganlint] configuration."""


class PartialRead(GanlintError):
    """Not an error (exit code unchanged): a file read only in part, e.g. a Python 2 script."""
