"""TOML -> Settings. `tomllib` gives the values; a small scanner gives each value's span.

The scanner follows table headers (``[a.b]``, arrays of tables ``[[a.b]]`` -> indexed keys ``a.b.0.x``),
dotted and quoted keys, inline tables (``opt = {lr = 1e-4}`` -> ``opt.lr``), multi-line arrays and strings.
Same shape rules as YAML/JSON: arrays of scalars are list values, arrays of tables give indexed keys.
"""
from __future__ import annotations

import re
import tomllib
from typing import Any

from ganlint.core.errors import InputError, nesting_line
from ganlint.core.types import Setting
from ganlint.reading.config.values import MAX_SETTINGS, LineIndex, coerce_string, make_setting, too_many_settings

MAX_DEPTH = 200  # parts of a key path (table, dotted key, inline tables, arrays) the scanner follows
MAX_NUMBER_CHARS = 1000  # a bare scalar (number, date, bool) longer than this is refused (int() stops at 4300 digits)
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[\s,\]}#]")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ ]\d{2}:\d{2}")


class OverBudget(Exception):
    """The document is beyond the reader's budget; `offset` is where that became clear."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message, self.offset = message, offset


class _Scan:
    """Finds every value's span. It runs before tomllib and enforces the budget (tomllib takes ~8 s and the
    leaf walk quadratic memory on one 20,000-part dotted key): nothing past MAX_DEPTH is ever built."""

    def __init__(self, text: str):
        self.text = text
        self.n = len(text)
        self.spans: dict[tuple, tuple[int, int]] = {}

    # -- lexing -----------------------------------------------------------------------------------
    def skip_ws(self, i: int, newlines: bool) -> int:
        text, n = self.text, self.n
        while i < n:
            c = text[i]
            if c in " \t" or (newlines and c in "\r\n"):
                i += 1
            elif c == "#":
                while i < n and text[i] != "\n":
                    i += 1
            else:
                break
        return i

    def string_end(self, i: int) -> int:
        text = self.text
        if text.startswith('"""', i) or text.startswith("'''", i):
            q = text[i:i + 3]
            j = i + 3
            while True:
                k = text.index(q, j)
                if q == '"""' and self._escaped(k):
                    j = k + 1
                    continue
                end = k + 3
                extra = 0
                while end < self.n and text[end] == q[0] and extra < 2:
                    end += 1
                    extra += 1
                return end
        q = text[i]
        j = i + 1
        while True:
            c = text[j]
            if c == "\\" and q == '"':
                j += 2
                continue
            if c == q:
                return j + 1
            if c == "\n":
                raise ValueError("unterminated string")
            j += 1

    def _escaped(self, k: int) -> bool:
        count = 0
        while k - 1 - count >= 0 and self.text[k - 1 - count] == "\\":
            count += 1
        return count % 2 == 1

    def key(self, i: int) -> tuple[list[str], int]:
        parts: list[str] = []
        while True:
            i = self.skip_ws(i, False)
            c = self.text[i]
            if c in "\"'":
                end = self.string_end(i)
                raw = self.text[i:end]
                parts.append(tomllib.loads(f"k = {raw}")["k"] if c == '"' else raw[1:-1])
                i = end
            else:
                m = _BARE.match(self.text, i)
                if not m:
                    raise ValueError("bad key")
                parts.append(m.group())
                i = m.end()
            i = self.skip_ws(i, False)
            if i < self.n and self.text[i] == ".":
                if len(parts) >= MAX_DEPTH:
                    raise OverBudget(f"TOML key has more than {MAX_DEPTH} dotted parts (nested too deeply)", i)
                i += 1
                continue
            return parts, i

    def value(self, i: int, path: tuple, depth: int) -> int:
        """End of the value starting at i; records spans of it and of what it contains."""
        if depth > MAX_DEPTH or len(path) > MAX_DEPTH:
            raise OverBudget(f"TOML value nested more than {MAX_DEPTH} levels deep", i)
        text = self.text
        c = text[i]
        start = i
        if c in "\"'":
            end = self.string_end(i)
        elif c == "[":
            j = self.skip_ws(i + 1, True)
            index = 0
            while text[j] != "]":
                j = self.value(j, (*path, index), depth + 1)
                index += 1
                j = self.skip_ws(j, True)
                if text[j] == ",":
                    j = self.skip_ws(j + 1, True)
            end = j + 1
        elif c == "{":
            j = self.skip_ws(i + 1, False)
            while text[j] != "}":
                parts, j = self.key(j)
                j = self.skip_ws(j + 1, False)  # past '='
                j = self.value(j, (*path, *parts), depth + 1)
                j = self.skip_ws(j, False)
                if text[j] == ",":
                    j = self.skip_ws(j + 1, False)
            end = j + 1
        else:
            m = _DATE_TIME.match(text, i)
            j = i + (11 if m else 0)
            m2 = _SCALAR_END.search(text, j)
            end = m2.start() if m2 else self.n
            if end == start:
                raise ValueError("empty value")
            if end - start > MAX_NUMBER_CHARS:
                raise OverBudget(f"TOML value of {end - start} characters is too long for a number", start)
        self.spans[path] = (start, end)
        return end

    # -- document ---------------------------------------------------------------------------------
    def resolve(self, parts: list[str], aot: dict[tuple, int]) -> list[Any]:
        cur: list[Any] = []
        for p in parts:
            cur.append(p)
            if tuple(cur) in aot:
                cur.append(aot[tuple(cur)])
        return cur

    def run(self) -> None:
        text, n = self.text, self.n
        table: list[Any] = []
        aot: dict[tuple, int] = {}
        i = 0
        while True:
            i = self.skip_ws(i, True)
            if i >= n:
                return
            if text[i] == "[":
                if text.startswith("[[", i):
                    parts, j = self.key(i + 2)
                    cur = self.resolve(parts[:-1], aot) + [parts[-1]]
                    key = tuple(cur)
                    aot[key] = aot.get(key, -1) + 1
                    table = [*cur, aot[key]]
                    i = j + 2
                else:
                    parts, j = self.key(i + 1)
                    table = self.resolve(parts, aot)
                    # a [a.b] header under [[a]] belongs to a's current element
                    i = j + 1
                continue
            parts, j = self.key(i)
            j = self.skip_ws(j + 1, False)  # past '='
            i = self.value(j, (*table, *parts), 0)


def _leaves(value: Any, parts: list[Any], out: list[tuple[list[Any], Any]], depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise RecursionError
    if isinstance(value, dict):
        for k, v in value.items():
            _leaves(v, [*parts, k], out, depth + 1)
    elif isinstance(value, list):
        if all(_scalar_tree(v) for v in value):
            if parts:
                out.append((parts, value))
        else:
            for idx, item in enumerate(value):
                if isinstance(item, dict):
                    _leaves(item, [*parts, idx], out, depth + 1)
    elif parts:
        out.append((parts, value))


def _scalar_tree(v: Any, depth: int = 0) -> bool:
    if isinstance(v, dict):
        return False
    if isinstance(v, list):
        return depth < 6 and all(_scalar_tree(x, depth + 1) for x in v)
    return True


def _plain(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return str(v)  # dates and times: kept as their text


def _scan(text: str) -> tuple[_Scan | None, OverBudget | None]:
    """The scanner run over `text`: (scan, None); (None, OverBudget) past the budget; (None, None) when
    the scanner cannot follow the text (tomllib then words the syntax error)."""
    scan = _Scan(text)
    try:
        scan.run()
    except OverBudget as exc:
        return None, exc
    except (ValueError, IndexError, KeyError, RecursionError, tomllib.TOMLDecodeError):
        return None, None
    return scan, None


def budget_problem(text: str) -> tuple[int, str] | None:
    """(line, message) when a TOML text is beyond the reader's budget (checked before tomllib sees it)."""
    exc = _scan(text)[1]
    if exc is None:
        return None
    return LineIndex(text).position(exc.offset)[0], exc.message


def read_toml(path: str, text: str) -> list[Setting]:
    scan, over = _scan(text)
    if over is not None:
        raise InputError(over.message, path, LineIndex(text).position(over.offset)[0])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else getattr(exc, "lineno", None)
        if line is None and "end of document" in msg:
            line = max(1, len(text.rstrip().splitlines()))  # the last line with content
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg).split("\n")[0]
        raise InputError(f"invalid TOML: {msg}", path, line) from None
    except RecursionError:
        raise InputError("TOML nested too deeply", path, nesting_line(text)) from None
    except (ValueError, TypeError, MemoryError, OverflowError) as exc:
        raise InputError(f"invalid TOML: {exc.__class__.__name__}", path) from None
    if scan is None:  # tomllib reads what the scanner cannot follow: be honest rather than guess lines
        raise InputError("cannot locate TOML values", path)
    try:
        leaves: list[tuple[list[Any], Any]] = []
        _leaves(data, [], leaves)
    except RecursionError:
        raise InputError("TOML nested too deeply", path, nesting_line(text)) from None
    index = LineIndex(text)
    if len(leaves) > MAX_SETTINGS:
        span = scan.spans.get(tuple(leaves[MAX_SETTINGS][0]))
        raise too_many_settings(path, index.position(span[0])[0] if span else None)
    out = []
    for parts, value in leaves:
        span = scan.spans.get(tuple(parts))
        if span is None:  # not found by the scanner: point at the top of the file rather than guess
            start = end = 0
        else:
            start, end = span
        line, col = index.position(start)
        end_line, end_col = index.position(end)
        value = _plain(value)
        value_style = None
        if isinstance(value, str):
            value, value_style = coerce_string(value)
        out.append(
            make_setting(parts, value, path, line, col, end_line, end_col, style="toml",
                         raw=text[start:end] if span else None, value_style=value_style)
        )
    return out
