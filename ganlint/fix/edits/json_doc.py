"""JSON by minimal textual edits: only the value (or member) token changes; the layout stays as written."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ganlint.fix.edits.base import ConfigDoc, EditError, Entry
from ganlint.fix.edits.values import coerce_like, render_list, render_number


@dataclass
class _Member:
    key: str
    key_start: int
    key_end: int
    value_start: int
    value_end: int
    obj: "_Object"


@dataclass
class _Object:
    start: int  # the '{'
    end: int  # after the '}'
    members: list[_Member] = field(default_factory=list)


class _Scanner:
    def __init__(self, text: str, path: str):
        self.s = text
        self.path = path
        self.objects: list[_Object] = []
        self.members: dict[str, _Member] = {}

    def error(self, pos: int, msg: str):
        line = self.s.count("\n", 0, pos) + 1
        raise EditError(f"JSON error: {msg}", self.path, line)

    def ws(self, i: int) -> int:
        while i < len(self.s) and self.s[i] in " \t\r\n":
            i += 1
        return i

    def value(self, i: int, prefix: str) -> int:
        i = self.ws(i)
        if i >= len(self.s):
            self.error(i, "unexpected end of file")
        c = self.s[i]
        if c == "{":
            return self.obj(i, prefix)
        if c == "[":
            i += 1
            j = self.ws(i)
            if j < len(self.s) and self.s[j] == "]":
                return j + 1
            while True:
                i = self.value(i, prefix + "[]")
                i = self.ws(i)
                if i < len(self.s) and self.s[i] == ",":
                    i += 1
                    continue
                if i < len(self.s) and self.s[i] == "]":
                    return i + 1
                self.error(i, "expected ',' or ']'")
        if c == '"':
            try:
                _, end = json.decoder.scanstring(self.s, i + 1)
            except json.JSONDecodeError as exc:
                self.error(i, exc.msg)
            return end
        try:
            _, end = json.JSONDecoder().raw_decode(self.s, i)
        except json.JSONDecodeError as exc:
            self.error(exc.pos, exc.msg)
        return end

    def obj(self, i: int, prefix: str) -> int:
        o = _Object(start=i, end=-1)
        self.objects.append(o)
        i = self.ws(i + 1)
        if i < len(self.s) and self.s[i] == "}":
            o.end = i + 1
            return i + 1
        while True:
            i = self.ws(i)
            if i >= len(self.s) or self.s[i] != '"':
                self.error(i, "expected a key")
            key, kend = json.decoder.scanstring(self.s, i + 1)
            ks = i
            i = self.ws(kend)
            if i >= len(self.s) or self.s[i] != ":":
                self.error(i, "expected ':'")
            vs = self.ws(i + 1)
            ve = self.value(vs, f"{prefix}{key}.")
            m = _Member(f"{prefix}{key}", ks, kend, vs, ve, o)
            o.members.append(m)
            self.members[m.key] = m
            i = self.ws(ve)
            if i < len(self.s) and self.s[i] == ",":
                i += 1
                continue
            if i < len(self.s) and self.s[i] == "}":
                o.end = i + 1
                return i + 1
            self.error(i, "expected ',' or '}'")


class JsonDoc(ConfigDoc):
    style = "json"

    def __init__(self, path: str, text: str):
        super().__init__(path, text)
        self._scan()

    def _scan(self):
        sc = _Scanner(self.text, self.path)
        i = sc.ws(0)
        if i >= len(self.text):
            raise EditError("JSON error: empty file", self.path, 1)
        if self.text[i] != "{":
            raise EditError("JSON error: the top level is not an object", self.path, 1)
        end = sc.obj(i, "")
        if sc.ws(end) != len(self.text):
            sc.error(sc.ws(end), "extra data after the top-level object")
        self._members = sc.members
        self._top = sc.objects[0]

    def entries(self) -> list[Entry]:
        out = []
        for key, m in self._members.items():
            raw = self.text[m.value_start : m.value_end]
            if raw.startswith("{"):
                continue
            out.append(Entry(key, json.loads(raw), self.text.count("\n", 0, m.key_start) + 1, raw))
        return out

    def _render(self, value: Any, raw: str | None) -> str:
        old = json.loads(raw) if raw is not None else None
        value = coerce_like(value, old)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = render_number(value, raw)
            # JSON has no bare '1e-4' problem, but needs a digit before the dot
            return text
        if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return render_list(list(value), raw)
        return json.dumps(value)

    def _replace(self, start: int, end: int, new: str):
        self.text = self.text[:start] + new + self.text[end:]
        self._scan()

    def set(self, key: str, value: Any) -> bool:
        key = self.resolve(key)
        m = self._members[key]
        raw = self.text[m.value_start : m.value_end]
        new = self._render(value, raw)
        if json.loads(new) == json.loads(raw) and new == raw:
            return False
        if json.loads(new) == json.loads(raw) and type(json.loads(new)) is type(json.loads(raw)):
            return False
        self._replace(m.value_start, m.value_end, new)
        return True

    def remove(self, key: str) -> bool:
        k = self.resolve(key, required=False)
        if k is None:
            return False
        m = self._members[k]
        ms = m.obj.members
        idx = ms.index(m)
        if idx > 0:
            start, end = ms[idx - 1].value_end, m.value_end  # ', "key": value'
        elif len(ms) > 1:
            start, end = m.key_start, ms[1].key_start
        else:
            start, end = m.obj.start + 1, m.obj.end - 1
        self._replace(start, end, "")
        return True

    def rename(self, key: str, new_key: str) -> bool:
        k = self.resolve(key, required=False)
        if k is None:
            return False
        m = self._members[k]
        leaf = new_key.rsplit(".", 1)[-1]
        if any(x.key.rsplit(".", 1)[-1] == leaf for x in m.obj.members):
            if leaf == k.rsplit(".", 1)[-1]:
                return False
            raise EditError(f"cannot rename {key!r}: {leaf!r} exists", self.path)
        self._replace(m.key_start, m.key_end, json.dumps(leaf))
        return True

    def add(self, key: str, value: Any, near: str | None = None) -> bool:
        if self.resolve(key, required=False) is not None:
            return self.set(key, value)
        near_key = self.resolve(near, required=False) if near else None
        leaf = key.rsplit(".", 1)[-1]
        if near_key is not None:
            m = self._members[near_key]
        else:
            obj = self._top
            if not obj.members:
                self._replace(obj.start + 1, obj.end - 1, f"{json.dumps(leaf)}: {self._render(value, None)}")
                return True
            m = obj.members[-1]
        line_start = self.text.rfind("\n", 0, m.key_start) + 1
        indent = self.text[line_start : m.key_start]
        sep = ",\n" + indent if indent.strip() == "" and line_start > m.obj.start else ", "
        self._replace(m.value_end, m.value_end, f"{sep}{json.dumps(leaf)}: {self._render(value, None)}")
        return True

    def dump(self) -> str:
        return self.text
