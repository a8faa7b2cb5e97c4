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


_OPENERS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def nesting_line(text: str, limit: int = 100) -> int:
    """The line a "nested too deeply" error points at when the error itself carries no position (a parser's
    or walker's RecursionError): the first line where open brackets pass `limit`, else the line with the
    most marks of nesting (brackets, operators, `not`/`lambda`/`if`, indentation), else line 1. A guess, but
    the right one for the inputs that nest thousands deep: one line of `[[[...`, `- - - 1`, `a.b.b.b...`."""
    import re

    depth = 0
    for i, line in enumerate(text.splitlines(), 1):
        for ch in line:
            step = _OPENERS.get(ch)
            if step:
                depth += step
                if depth > limit:
                    return i
    marks = re.compile(r"[-+*/%@&|^~<>=.!([{]|\b(?:not|lambda|if|and|or)\b")
    best, most = 1, 0
    for i, line in enumerate(text.splitlines(), 1):
        n = len(marks.findall(line)) + len(line) - len(line.lstrip(" \t"))
        if n > most:
            best, most = i, n
    return best
