"""Python files that do not parse as Python 3 (Python 2 scripts: `print x`, `except E, e:`, `0777`).

Such a file is not skipped: its Python 2 statements are neutralised line by line (each keeps its line, so
locations stay right), and what still does not parse is dropped top-level block by top-level block. The
blocks that remain are read as usual (settings, module constants, models, training code). The caller
reports the file as read partially, always: the dropped blocks may hold settings ganlint did not see.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_PRINT = re.compile(r"^(\s*)print\b(?!\s*\()(?!\s*=)(.*)$")  # `print x, y` / `print >>f, x` (not print(...))
_EXEC = re.compile(r"^(\s*)exec\b(?!\s*\()\s+(.*)$")
_EXCEPT_COMMA = re.compile(r"^(\s*except\s+[\w.]+\s*),\s*(\w+)\s*:")  # except ValueError, e:
_RAISE_COMMA = re.compile(r"^(\s*)raise\s+([\w.]+)\s*,\s*(.+)$")  # raise ValueError, "msg"
_OCTAL = re.compile(r"(?<![\w.])0([0-7]+)(?![\w.])")  # 0777 -> 0o777
_LONG = re.compile(r"(?<![\w.])(\d+)[lL]\b")  # 10L -> 10
_BACKTICK = re.compile(r"`([^`\n]*)`")  # `x` -> repr(x)


@dataclass
class LegacyRead:
    tree: ast.Module
    text: str  # the text the tree was parsed from: the file's, Python 2 lines rewritten in place
    dropped_lines: list[int]  # first lines of the top-level blocks left out
    first_error_line: int | None


def _modernise(line: str) -> str:
    """One Python 2 line as Python 3 of the same line (statements that have no equivalent become `pass`)."""
    m = _PRINT.match(line)
    if m:
        return f"{m.group(1)}pass"
    m = _EXEC.match(line)
    if m:
        return f"{m.group(1)}pass"
    line = _EXCEPT_COMMA.sub(r"\1 as \2:", line)
    m = _RAISE_COMMA.match(line)
    if m:
        line = f"{m.group(1)}raise {m.group(2)}({m.group(3)})"
    if "`" in line:
        line = _BACKTICK.sub(r"repr(\1)", line)
    if "0" in line:
        line = _OCTAL.sub(r"0o\1", line)
        line = _LONG.sub(r"\1", line)
    return line


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """[start, end) line ranges of top-level statements: a new block starts at each unindented code line
    (decorators stay with what they decorate; `else:`/`except` continue the statement above)."""
    starts = []
    for i, line in enumerate(lines):
        if not line.strip() or line[:1] in (" ", "\t", "#"):
            continue
        word = line.split(None, 1)[0].rstrip(":")
        if word in ("else", "elif", "except", "finally") or line[:1] in (")", "]", "}"):
            continue
        if starts and lines[starts[-1]].startswith("@") and i == starts[-1] + 1:
            continue
        starts.append(i)
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return [(s, e) for s, e in zip(starts, starts[1:] + [len(lines)])]


_PY2_MESSAGES = ("Missing parentheses in call to", "multiple exception types must be parenthesized",
                 "leading zeros in decimal integer literals", "invalid decimal literal", "invalid syntax. Perhaps")


def read_legacy(path: str, text: str, error: SyntaxError) -> LegacyRead | None:
    """A syntax tree of what can be read of a Python 2 file; None when the file is not Python 2 (a real
    syntax error: the caller reports it) or nothing of it can be read."""
    lines = [_modernise(l) for l in text.splitlines()]
    modern = "\n".join(lines) + "\n"
    try:
        return LegacyRead(ast.parse(modern, filename=path), modern, [], None)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    if not any(m in (error.msg or "") for m in _PY2_MESSAGES):
        return None
    body: list[ast.stmt] = []
    dropped: list[int] = []
    for start, end in _blocks(lines):
        chunk = "\n".join(lines[start:end])
        if not chunk.strip():
            continue
        try:
            # the block's own lines, moved to where they are: leading newlines to keep the line numbers made
            # the parses quadratic (30,000 one-line blocks: 14 s, fuzz input 7054)
            body.extend(ast.increment_lineno(ast.parse(chunk, filename=path), start).body)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            dropped.append(start + 1)
    if not body:
        return None
    return LegacyRead(ast.Module(body=body, type_ignores=[]), modern, dropped, dropped[0] if dropped else None)
