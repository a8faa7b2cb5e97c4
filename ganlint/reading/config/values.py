"""Value helpers shared by the config readers: numeric strings, string-lists, positions, Setting building."""
from __future__ import annotations

import ast
import bisect
import re
from typing import Any, Iterable

from ganlint.core.types import Location, Setting
from ganlint.reading.vocabulary import apply_context, classify

_NUMBER = re.compile(r"[+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT = re.compile(r"[+-]?\d+")
_STRING_LIST = re.compile(r"\s*[\[(].*[\])]\s*", re.S)
MAX_STRING_LIST = 2000  # characters; longer strings are left alone


def numeric_string(text: str) -> int | float | None:
    """'1e-3' -> 0.001, '64' -> 64, '.5' -> 0.5; anything else -> None."""
    t = text.strip()
    if not t or len(t) > 64 or not _NUMBER.fullmatch(t):
        return None
    if "__" in t or t.endswith("_"):
        return None
    try:
        if _INT.fullmatch(t):
            return int(t)
        return float(t.replace("_", ""))
    except (ValueError, OverflowError):
        return None


def _scalar_list(value: Any, depth: int = 0) -> bool:
    if depth > 4 or not isinstance(value, (list, tuple)):
        return False
    return all(
        (isinstance(v, (int, float, str, bool)) or v is None) or _scalar_list(v, depth + 1) for v in value
    )


def string_list(text: str) -> list | None:
    """'[256,256]' / '(256, 256)' -> [256, 256]; None when the string is not a literal list of scalars."""
    if len(text) > MAX_STRING_LIST or not _STRING_LIST.fullmatch(text):
        return None
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list) and _scalar_list(value):
        return [list(v) if isinstance(v, tuple) else v for v in value]
    return None


def coerce_string(text: str) -> tuple[Any, str | None]:
    """A config string -> (value, value_style): numbers become numbers, string-lists become lists."""
    num = numeric_string(text)
    if num is not None:
        return num, None
    lst = string_list(text)
    if lst is not None:
        return lst, "string-list"
    return text, None


class LineIndex:
    """Offset <-> (line, column) for one text (1-based lines and columns)."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        for m in re.finditer("\n", text):
            self.starts.append(m.end())

    def position(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def offset(self, line: int, column: int) -> int:
        """Offset of a 1-based (line, column)."""
        line = max(1, min(line, len(self.starts)))
        return self.starts[line - 1] + max(0, column - 1)


def make_setting(
    path: Iterable[Any],
    value: Any,
    file: str,
    line: int,
    column: int = 1,
    end_line: int | None = None,
    end_column: int | None = None,
    *,
    style: str,
    raw: str | None = None,
    value_style: str | None = None,
    context: Iterable[Any] = (),
) -> Setting:
    """Build a Setting; the key is the path joined with dots, canonical and role from the vocabulary.

    Columns are 1-based; end_column is exclusive (the column just after the value's last character).
    `context`: enclosing names that are not part of the key but may name a role (a Python class
    ``GeneratorConfig`` holding ``lr``).
    """
    parts = [str(p) for p in path]
    canonical, role = classify([*map(str, context), *parts])
    return Setting(
        key=".".join(parts),
        value=value,
        location=Location(file, line, column, end_line if end_line is not None else line, end_column),
        style=style,
        canonical=canonical,
        role=role,
        raw=raw,
        value_style=value_style,
    )


def finish(settings: list[Setting]) -> list[Setting]:
    """Per-file post-pass: context-dependent names (alpha, beta, LAMBDA, tau)."""
    apply_context(settings)
    return settings
