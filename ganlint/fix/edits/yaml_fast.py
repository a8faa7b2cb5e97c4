"""Value edits of a big YAML file as text splices: ruamel.yaml's round trip costs seconds per 100 KB (a 250 KB
flow list: 5 s to load, 3 s to dump, and the dump's check loads it again), so over FAST_CHARS a `set` of a
plain number, name or flow list of numbers on one line rewrites that value's text in place, located by
PyYAML's C composer (0.5 s for the same file). The new text is what the round trip writes there (the value
rendered as `YamlDoc.set` renders it, the comment kept at its column). Anything else (adding, removing or
renaming a key, a quoted, tagged, multi-line or aliased value, a flow mapping, a document stream) is
`Unsupported`, and `YamlDoc` goes back to the round trip, from the text as spliced so far."""
from __future__ import annotations

import re
from typing import Any

from ganlint.fix.edits.base import Entry
from ganlint.fix.edits.values import coerce_like, render_list, render_number

FAST_CHARS = 64 * 1024
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
# words YAML 1.1 or 1.2 reads as booleans or null: never written (or read) as plain names here
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}
_KEY_WORDS = {"true", "false", "null"}  # keys ruamel.yaml (YAML 1.2) reads as a bool or None, not as their text
MAPPING, SCALAR, SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq"


class Unsupported(Exception):
    """Not an edit (or a document) the splices can make exactly: the round trip does it."""


def _number(text: str) -> int | float | None:
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text) and ("." in text or "e" in text.lower()):
        return float(text)
    return None


def _name(text: str) -> str | None:
    return text if _NAME.match(text) and text.lower() not in _SPECIAL else None


def _no_shared_nodes(root) -> None:
    """Unsupported when an alias shares a node (the composer gives the anchor's node, and its place, for every
    alias of it): a splice there would change every alias at once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise Unsupported
        seen.add(id(node))
        if isinstance(node.value, list):
            for item in node.value:
                stack.extend(item if isinstance(item, tuple) else (item,))


class FastYaml:
    """The settings of a block-mapping YAML document, each with where its value's text lies."""

    def __init__(self, path: str, text: str):
        import yaml

        try:
            from yaml import CSafeLoader as Loader
        except ImportError:  # pragma: no cover - PyYAML without libyaml: the round trip
            raise Unsupported from None
        try:
            docs = list(yaml.compose_all(text, Loader=Loader))
        except (yaml.YAMLError, RecursionError, ValueError, TypeError, MemoryError) as exc:
            raise Unsupported from exc
        if len(docs) != 1 or docs[0] is None or docs[0].tag != MAPPING:
            raise Unsupported
        _no_shared_nodes(docs[0])
        self.path = path
        self.lines = text.split("\n")
        self.spans: dict[str, tuple[int, int, int, Any]] = {}  # key -> (line, from col, to col, old value)
        self.entries: list[Entry] = []
        self.seen: set[int] = set()
        self._walk(docs[0], "")

    def _walk(self, node, prefix: str) -> None:
        if id(node) in self.seen or node.flow_style:  # an alias (a node met twice) or a flow mapping
            raise Unsupported
        self.seen.add(id(node))
        keys: set[str] = set()
        for key_node, value in node.value:
            if key_node.tag != SCALAR or key_node.style not in (None, "") or not _KEY.match(key_node.value) \
                    or key_node.value.lower() in _KEY_WORDS or key_node.value in keys:
                raise Unsupported  # `<<` merges, quoted/odd/duplicate keys: the round trip's reading
            keys.add(key_node.value)
            key = prefix + key_node.value
            if value.tag == MAPPING:
                self._walk(value, key + ".")
                continue
            old = self._value(value)
            line = key_node.start_mark.line
            if old is not None:
                at = (value.start_mark.line, value.start_mark.column, value.end_mark.column, old)
                self.spans[key] = at
                raw = self.lines[at[0]][at[1]:at[2]]
            else:
                raw = None
            self.entries.append(Entry(key, old, line + 1, raw))

    def _value(self, node) -> Any:
        """The value of a plain one-line scalar or flow list of numbers, None when the splices leave it alone."""
        if id(node) in self.seen:
            raise Unsupported
        self.seen.add(id(node))
        if node.start_mark.line != node.end_mark.line:
            return None
        if node.tag == SEQ:
            if not node.flow_style or not node.value:
                return None
            source = self.lines[node.start_mark.line][node.start_mark.column:node.end_mark.column]
            if not (source.startswith("[") and source.endswith("]")):
                return None
            items = [self._value(n) for n in node.value]
            return items if all(isinstance(v, (int, float)) for v in items) else None
        if node.tag == MAPPING or node.style not in (None, ""):
            return None
        text = node.value
        line, start, end = node.start_mark.line, node.start_mark.column, node.end_mark.column
        if self.lines[line][start:end] != text:  # an anchor or tag in front, an escape: not plain text
            return None
        num = _number(text)
        return num if num is not None else _name(text)

    def set(self, key: str, value: Any) -> bool:
        """Splice the new value's text; False when it holds that value already. Unsupported: the round trip."""
        if key not in self.spans:
            raise Unsupported
        line, start, end, old = self.spans[key]
        value_c = coerce_like(value, old)
        if old == value_c and type(old) is type(value_c):
            return False
        raw = self.lines[line][start:end]
        if isinstance(value, bool) or value is None:
            raise Unsupported
        if isinstance(old, (int, float)) and isinstance(value, (int, float)):
            new_text = render_number(value, raw)
            new_value = _number(new_text)
        elif isinstance(old, list) and isinstance(value_c, (list, tuple)) and \
                all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value_c):
            new_text = render_list(list(value_c), None)
            new_value = [_number(t.strip()) for t in new_text[1:-1].split(",")] if value_c else None
        elif isinstance(old, str) and isinstance(value_c, str) and _name(value_c):
            new_text, new_value = value_c, value_c
        else:
            raise Unsupported
        if new_value is None or (isinstance(new_value, list) and None in new_value):
            raise Unsupported  # a rendering this reader would not read back as a plain number
        text = self.lines[line]
        rest = text[end:]
        head = text[:start] + new_text
        if rest.strip().startswith("#"):  # the comment stays at its column, one space at least
            column = end + len(rest) - len(rest.lstrip())
            text = head + " " * max(1, column - len(head)) + rest.lstrip()
        elif rest.strip():
            raise Unsupported
        else:
            text = head + (rest if rest.endswith("\r") else "")  # (a CRLF file's CR stays)
        self.lines[line] = text
        self.spans[key] = (line, start, start + len(new_text), new_value)
        for i, e in enumerate(self.entries):
            if e.key == key:
                self.entries[i] = Entry(key, new_value, e.line, new_text)
        return True

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
