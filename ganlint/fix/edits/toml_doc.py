"""TOML round-trip through tomlkit: comments, order, tables and number style kept."""
from __future__ import annotations

import re
from typing import Any

from ganlint.fix.edits.base import EditError, Entry, TreeDoc
from ganlint.fix.edits.values import coerce_like, render_list, render_number


class TomlDoc(TreeDoc):
    style = "toml"

    def __init__(self, path: str, text: str):
        super().__init__(path, text)
        self._assigned: dict[str, int] | None = None  # left side of each `key = ...` line -> its first line
        import tomlkit
        from tomlkit.exceptions import ParseError

        try:
            self.doc = tomlkit.parse(text)
        except ParseError as exc:
            msg = re.sub(r" at line \d+ col \d+$", "", str(exc))  # the line is in the error's own place
            raise EditError(f"TOML error: {msg}", path, getattr(exc, "line", None)) from None

    def _walk(self, node, prefix=""):
        from tomlkit.container import Container
        from tomlkit.items import AoT, Table, InlineTable

        for k, v in node.items():
            key = f"{prefix}{k}"
            if isinstance(v, (Table, Container, InlineTable)) and not isinstance(v, AoT):
                yield from self._walk(v, key + ".")
            else:
                raw = v.as_string() if hasattr(v, "as_string") else None
                yield Entry(key, _plain(v), self._line_of(k, raw), raw)

    def _line_of(self, key: str, raw: str | None) -> int:
        """The first line of the original text that assigns `key` (`key = ...`), 0 when none does."""
        if "=" in key or key != key.rstrip():
            for i, line in enumerate(self.text.splitlines(), 1):
                s = line.strip()
                if s.startswith(key) and s[len(key):].lstrip().startswith("="):
                    return i
            return 0
        if self._assigned is None:  # one pass over the text for every key (a scan per key was quadratic)
            self._assigned = {}
            for i, line in enumerate(self.text.splitlines(), 1):
                left, eq, _ = line.strip().partition("=")
                if eq:
                    self._assigned.setdefault(left.rstrip(), i)
        return self._assigned.get(key, 0)

    def entries(self) -> list[Entry]:
        if self._entry_cache is None:
            self._entry_cache = list(self._walk(self.doc))
        return self._entry_cache

    def _tree(self):
        return self.doc

    def _new_mapping(self):
        import tomlkit

        return tomlkit.table()

    def _item(self, value: Any, old: Any = None):
        import tomlkit

        old_plain = _plain(old) if old is not None else None
        value = coerce_like(value, old_plain)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raw = old.as_string().strip() if old is not None and hasattr(old, "as_string") else None
            return tomlkit.value(render_number(value, raw))
        if isinstance(value, (list, tuple)):
            raw = old.as_string() if old is not None and hasattr(old, "as_string") else None
            return tomlkit.value(render_list(list(value), raw))
        return tomlkit.item(value)

    def set(self, key: str, value: Any) -> bool:
        key = self.resolve(key)
        parent, leaf = self._parent(key)
        old = parent.item(leaf) if hasattr(parent, "item") else parent[leaf]
        if _plain(old) == coerce_like(value, _plain(old)) and type(_plain(old)) is type(coerce_like(value, _plain(old))):
            return False
        new = self._item(value, old)
        trivia = getattr(old, "trivia", None)
        if trivia is not None and hasattr(new, "trivia"):
            new.trivia.comment_ws = trivia.comment_ws
            new.trivia.comment = trivia.comment
            new.trivia.trail = trivia.trail
            new.trivia.indent = trivia.indent
        parent[leaf] = new
        self._entry_cache = None
        return True

    def _rename_leaf(self, parent, leaf: str, new_leaf: str) -> None:
        # rebuild the table in order with the new name at the old position
        items = [(kk, parent.item(kk) if hasattr(parent, "item") else parent[kk]) for kk in list(parent.keys())]
        for kk, _ in items:
            del parent[kk]
        for kk, vv in items:
            parent[new_leaf if kk == leaf else kk] = vv

    def add(self, key: str, value: Any, near: str | None = None) -> bool:
        if self.resolve(key, required=False) is not None:
            return self.set(key, value)
        near_key = self.resolve(near, required=False) if near else None
        if near_key is not None and "." not in key and "." in near_key:
            key = near_key.rsplit(".", 1)[0] + "." + key
        parent, leaf = self._parent(key, create=True)
        item = self._item(value)
        keys = list(parent.keys())
        nleaf = near_key.rsplit(".", 1)[-1] if near_key else None
        if nleaf in keys and keys.index(nleaf) < len(keys) - 1:
            items = [(kk, parent.item(kk) if hasattr(parent, "item") else parent[kk]) for kk in keys]
            for kk, _ in items:
                del parent[kk]
            for kk, vv in items:
                parent[kk] = vv
                if kk == nleaf:
                    parent[leaf] = item
            self._entry_cache = None
            return True
        if hasattr(parent, "add"):
            # before a trailing blank line of the table, not after it
            body = getattr(parent, "value", parent)
            last = body.body[-1] if getattr(body, "body", None) else None
            from tomlkit.items import Whitespace

            if last is not None and isinstance(last[1], Whitespace):
                ws = body.body.pop()
                parent.add(leaf, item)
                body.body.append(ws)
                self._entry_cache = None
                return True
            parent.add(leaf, item)
        else:
            parent[leaf] = item
        self._entry_cache = None
        return True

    def dump(self) -> str:
        import tomlkit

        return tomlkit.dumps(self.doc)


def _plain(value: Any) -> Any:
    if hasattr(value, "unwrap"):
        return value.unwrap()
    return value
