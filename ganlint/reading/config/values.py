"""Value helpers shared by the config readers: numeric strings, string-lists, positions, Setting building."""
from __future__ import annotations

import ast
import bisect
import math
import re
from typing import Any, Iterable

from ganlint.core.errors import InputError
from ganlint.core.types import Location, Setting
from ganlint.reading.vocabulary import apply_context, classify

_NUMBER = re.compile(r"[+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT = re.compile(r"[+-]?\d+")
_STRING_LIST = re.compile(r"\s*[\[(].*[\])]\s*", re.S)
MAX_STRING_LIST = 2000  # characters; longer strings are left alone
MAX_SETTINGS = 100_000  # per file (the YAML reader's node budget): no configuration has more; refused fast


def too_many_settings(path: str, line: int | None) -> InputError:
    return InputError(f"more than {MAX_SETTINGS} settings in one file, too large for a configuration; "
                      "refusing to read it", path, line)


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


class Unreadable:
    """A scalar a reader could not turn into a number although its syntax says it is one (YAML ``!!int 1.5``,
    an integer of 5000 digits): make_setting reports it at its line instead of reading it as text."""

    __slots__ = ("text", "reason")

    def __init__(self, text: str, reason: str):
        self.text, self.reason = text, reason

    def __repr__(self) -> str:
        return f"Unreadable({shorten(self.text)!r})"


def shorten(text: str, width: int = 32) -> str:
    """`text` for a one-line message: long texts keep their start and end and say how long they were."""
    text = str(text)
    if len(text) <= width:
        return text
    return f"{text[:width // 2]}...{text[-8:]} ({len(text)} characters)"


def int_digits(value: int) -> int:
    """Decimal digits of an int, without str() (refused past 4300 digits) on big ones."""
    if abs(value) < 10**18:
        return len(str(abs(value)))
    return int(abs(value).bit_length() * 0.30103) + 1


def finite_number(value: Any) -> bool:
    """A number (not a bool) that is finite and fits a float: safe for float(), int(), math.* and formatting."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return -_FLOAT_MAX_INT <= value <= _FLOAT_MAX_INT
    return math.isfinite(value)


_FLOAT_MAX_INT = int(1.7976931348623157e308)  # the largest int float() accepts (ints beyond raise OverflowError)
_SPELLED_SPECIAL = re.compile(r"inf|nan", re.I)  # .inf, Infinity, inf, nan, NaN: written on purpose


def number_problem(value: Any, raw: str | None = None) -> str | None:
    """Why `value` (a scalar or a nested list) holds a number ganlint cannot use, or None.

    Refused: an Unreadable scalar; an int beyond the float range (float(int) overflows, and every bound is
    a float); a float that overflowed to inf or nan although its source text (`raw`) spells a finite
    number (``2e309``). An inf or nan written as such (``.inf``, ``Infinity``) is a value (a range judges
    an infinity; nan is skipped)."""
    kind = value.__class__
    if kind is str or value is None or kind is bool or (kind is float and math.isfinite(value)) or (
            kind is int and -_FLOAT_MAX_INT <= value <= _FLOAT_MAX_INT):
        return None  # the common case, first: this runs for every setting read
    todo, seen = [value], 0
    while todo and seen < 100_000:
        item = todo.pop()
        seen += 1
        if isinstance(item, (list, tuple)):
            todo.extend(item)
        elif isinstance(item, Unreadable):
            return f"{shorten(item.text)} {item.reason}"
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not finite_number(item):
                return f"an integer of {int_digits(item)} digits is beyond the range of a float (about 1.8e308)"
        elif isinstance(item, float) and not math.isfinite(item):
            if raw is None or not _SPELLED_SPECIAL.search(raw):
                return f"{shorten(raw) if raw else 'a number'} overflows a float (the largest is about 1.8e308)"
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
    A value holding a number ganlint cannot use (see number_problem) is an InputError at its line.
    `context`: enclosing names that are not part of the key but may name a role (a Python class
    ``GeneratorConfig`` holding ``lr``).
    """
    parts = [str(p) for p in path]
    problem = number_problem(value, raw)
    if problem is not None:
        raise InputError(f"{shorten('.'.join(parts), 60)}: {problem}", file, line)
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
