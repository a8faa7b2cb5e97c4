"""JSON -> Settings. `json` validates (and words the error); a small scanner then finds each value's span.

Same shape rules as YAML: nested objects give dotted keys, arrays of scalars are list values, arrays that
hold objects give indexed keys for those objects; numeric strings become numbers; "[256,256]" strings become
string-lists. Duplicate keys: every occurrence is reported, in order (json keeps the last).
"""
from __future__ import annotations

import json
import re
from json.decoder import scanstring
from typing import Any

from ganlint.core.errors import InputError
from ganlint.core.types import Setting
from ganlint.reading.config.values import MAX_SETTINGS, LineIndex, Unreadable, coerce_string, make_setting, too_many_settings

MAX_DEPTH = 200
MAX_NUMBER_CHARS = 1000  # longer number tokens are refused at their line (int() stops at 4300 digits)
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None, "NaN": float("nan"),
             "Infinity": float("inf"), "-Infinity": float("-inf")}


def _ignore(token: str) -> None:
    return None


def _number(token: str) -> Any:
    if len(token) > MAX_NUMBER_CHARS:
        return Unreadable(token, "is too long for a number")
    return float(token) if any(ch in token for ch in ".eE") else int(token)


def _validate(path: str, text: str) -> None:
    try:  # numbers are checked by the scanner (at their line); json's int() would refuse 4300+ digits here
        json.loads(text, parse_int=_ignore, parse_float=_ignore)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", path, exc.lineno) from None
    except RecursionError:
        raise InputError(f"JSON nested more than {MAX_DEPTH} levels deep", path, _deep_line(text)) from None
    except (ValueError, TypeError, MemoryError, OverflowError) as exc:
        raise InputError(f"invalid JSON: {exc.__class__.__name__}", path) from None


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deep_line(text: str) -> int | None:
    """The line where nesting first goes past MAX_DEPTH (strings skipped), for the error message."""
    depth = 0
    for m in _BRACKETS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, m.start()) + 1
        elif c in "]}":
            depth -= 1
    return None


class _Scanner:
    """Walks valid JSON text; records (path, value, start, end, value_style) for leaves."""

    def __init__(self, text: str):
        self.text = text
        self.leaves: list[tuple[list[Any], Any, int, int, str | None]] = []

    def ws(self, i: int) -> int:
        return _WS.match(self.text, i).end()

    def value(self, i: int, parts: list[Any], depth: int) -> tuple[Any, int, bool]:
        """Parse the value at i -> (python value, end, is_scalar_tree); leaves inside objects are recorded."""
        if depth > MAX_DEPTH:
            raise RecursionError
        c = self.text[i]
        if c == "{":
            return None, self.obj(i, parts, depth), False
        if c == "[":
            return self.array(i, parts, depth)
        if c == '"':
            s, end = scanstring(self.text, i + 1)
            return s, end, True
        m = _NUMBER.match(self.text, i)
        if m:
            return _number(m.group()), m.end(), True
        for lit, val in _LITERALS.items():
            if self.text.startswith(lit, i):
                return val, i + len(lit), True
        raise ValueError(f"unexpected character at {i}")

    def obj(self, i: int, parts: list[Any], depth: int) -> int:
        i = self.ws(i + 1)
        if self.text[i] == "}":
            return i + 1
        while True:
            key, i = scanstring(self.text, i + 1)
            i = self.ws(i)
            i = self.ws(i + 1)  # past ':'
            vstart = i
            val, i, scalar = self.value(i, [*parts, key], depth + 1)
            if scalar:
                self.leaf([*parts, key], val, vstart, i)
            i = self.ws(i)
            if self.text[i] == ",":
                i = self.ws(i + 1)
                continue
            return i + 1  # past '}'

    def array(self, i: int, parts: list[Any], depth: int) -> tuple[Any, int, bool]:
        items: list[Any] = []
        all_scalar = True
        i = self.ws(i + 1)
        if self.text[i] == "]":
            return [], i + 1, True
        index = 0
        while True:
            val, i, scalar = self.value(i, [*parts, index], depth + 1)
            all_scalar = all_scalar and scalar
            items.append(val)
            index += 1
            i = self.ws(i)
            if self.text[i] == ",":
                i = self.ws(i + 1)
                continue
            return items, i + 1, all_scalar

    def leaf(self, parts: list[Any], value: Any, start: int, end: int) -> None:
        value_style = None
        if isinstance(value, str):
            value, value_style = coerce_string(value)
        self.leaves.append((parts, value, start, end, value_style))

    def run(self) -> None:
        i = self.ws(0)
        if i >= len(self.text):
            return
        if self.text[i] in "{[":
            self.value(i, [], 0)


def read_json(path: str, text: str) -> list[Setting]:
    if not text.strip():
        return []
    _validate(path, text)
    scanner = _Scanner(text)
    try:
        scanner.run()
    except RecursionError:
        raise InputError(f"JSON nested more than {MAX_DEPTH} levels deep", path, _deep_line(text)) from None
    except (ValueError, IndexError, KeyError) as exc:  # the scanner disagrees with json: be honest
        raise InputError(f"cannot locate JSON values ({exc.__class__.__name__})", path) from None
    index = LineIndex(text)
    if len(scanner.leaves) > MAX_SETTINGS:
        raise too_many_settings(path, index.position(scanner.leaves[MAX_SETTINGS][2])[0])
    out = []
    for parts, value, start, end, value_style in scanner.leaves:
        line, col = index.position(start)
        end_line, end_col = index.position(end)
        out.append(
            make_setting(parts, value, path, line, col, end_line, end_col, style="json",
                         raw=text[start:end], value_style=value_style)
        )
    return out
