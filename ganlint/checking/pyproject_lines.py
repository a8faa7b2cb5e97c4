"""Where a key of pyproject.toml's [tool.ganlint] is written (for error lines), and the guarded TOML load:
the line index behind options' one-line errors."""
from __future__ import annotations

import re

def toml_loads(text: str) -> dict:
    try:
        import tomllib  # type: ignore[import-not-found]
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib.loads(text)


class KeyLines:
    """Best-effort line numbers for keys of a TOML document (tomllib gives none).

    The text is indexed once (headers, keys at the start of a line per table, `key =` anywhere): a lookup per
    key that scanned every line made 5,000 per-file-ignores entries take 12 s."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.headers: dict[tuple[str, ...], int] = {}
        self.table_keys: dict[int, dict[str, int]] = {}  # header line (0: before any) -> key -> line
        self.loose: dict[str, int] = {}  # first line with `key =` anywhere (dotted keys, inline tables)
        table_line = 0
        for i, line in enumerate(self.lines, 1):
            m = _HEADER.match(line)
            if m:
                self.headers.setdefault(tuple(_parts(m.group(1))), i)
                table_line = i
                continue
            if re.match(r"^\s*\[", line):  # [[array of tables]]: keys below belong to no [table] lookup
                table_line = -i
                continue
            m = _LEADING_KEY.match(line)
            if m:
                self.table_keys.setdefault(table_line, {}).setdefault(_unquote(m.group(1)), i)
            for k in _LOOSE_KEY.findall(line):
                self.loose.setdefault(_unquote(k), i)

    def header(self, dotted: str) -> int | None:
        return self.headers.get(tuple(p.strip() for p in dotted.split(".")))

    def key(self, table: str, key: str) -> int | None:
        """Line of `key =` inside [table] (or a dotted `key` written in a parent table); else the header."""
        start = self.header(table)
        if start is not None and key in self.table_keys.get(start, {}):
            return self.table_keys[start][key]
        if key in self.loose:
            return self.loose[key]
        return start or self.header("tool.ganlint")


_KEY = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)'
_HEADER = re.compile(r"^\s*\[(?!\[)\s*(" + _KEY + r"(?:\s*\.\s*" + _KEY + r")*)\s*\]")
_LEADING_KEY = re.compile(r"^\s*(" + _KEY + r")\s*=")
_LOOSE_KEY = re.compile(r"(?:^|(?<=[\s{,.]))(" + _KEY + r")\s*=")


def _parts(dotted: str) -> list[str]:
    return [_unquote(p) for p in re.findall(_KEY, dotted)]


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'":
        return key[1:-1]
    return key
