"""Python files that do not parse as Python 3 (Python 2 scripts: `print x`, `except E, e:`, `0777`; code
of Python <= 3.6 that uses `async` as a name: `x.cuda(async=True)`).

Such a file is not skipped: its Python 2 statements are neutralised line by line (each keeps its line, so
locations stay right). A statement that still does not parse but carries a mark of old Python is then
neutralised where the parser stops (`async` renamed, anything else replaced by `pass` over its whole logical
line), a bounded number of times, one parse each. What still does not parse is dropped top-level block by
top-level block (a Python 2 file only: a Python 3 file with a plain typo stays a syntax error). The caller
reports the file as read partially, always, naming the lines skipped.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ganlint.reading.legacy_lines import neutralise_until_parsed

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
    skipped_lines: list[int] = field(default_factory=list)  # statements replaced by `pass` (their first lines)
    renamed_lines: list[int] = field(default_factory=list)  # lines where `async`/`await` as a name was renamed
    python2: bool = True  # False: Python 3 code of <= 3.6 (`async` as a name), not Python 2


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
    original = text.splitlines()
    lines = [_modernise(l) for l in original]
    # the statements that became `pass` (print and exec statements): not read, named in the note
    passed = [i + 1 for i, (old, new) in enumerate(zip(original, lines)) if old != new and new.strip() == "pass"]
    modern = "\n".join(lines) + "\n"
    try:
        return LegacyRead(ast.parse(modern, filename=path), modern, [], None, passed)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    python2 = any(m in (error.msg or "") for m in _PY2_MESSAGES)
    recovered = neutralise_until_parsed(path, text, lines)
    if recovered is not None:
        tree, recovered_text, skipped, renamed = recovered
        return LegacyRead(tree, recovered_text, [], None, sorted(set(passed) | set(skipped)), renamed,
                          python2 or bool(passed) or bool(skipped))
    if not python2:
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
    return LegacyRead(ast.Module(body=body, type_ignores=[]), modern, dropped, dropped[0] if dropped else None, passed)
