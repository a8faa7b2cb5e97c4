"""YAML round-trip through ruamel.yaml: comments, order, quoting, flow lists and value style kept."""
from __future__ import annotations

import io
import re
from typing import Any

from ganlint.fix.edits.base import EditError, Entry, TreeDoc
from ganlint.fix.edits.values import coerce_like, render_list, render_number


def _yaml():
    from ruamel.yaml import YAML

    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    return y


class YamlDoc(TreeDoc):
    style = "yaml"

    def __init__(self, path: str, text: str):
        super().__init__(path, text)
        from ganlint.fix.edits.yaml_fast import FAST_CHARS, FastYaml, Unsupported

        self._touched: set[int] = set()  # 0-based lines of the original the edits change (see dump)
        self._inserted = False
        self._placed: set[str] = set()  # keys this doc added or renamed: no position in the original text
        self.data = None
        self.fast: FastYaml | None = None  # a big file's value edits as splices (yaml_fast), until one is not
        if len(text) >= FAST_CHARS:
            try:
                self.fast = FastYaml(path, text)
            except Unsupported:
                self.fast = None
        if self.fast is None:
            self._load()

    def _round_trip(self) -> None:
        """From here on, ruamel.yaml's round trip (of the text as spliced so far)."""
        if self.fast is not None:
            self.text = self.fast.text
            self.fast = None
            self._entry_cache = None
            self._load()

    def _load(self) -> None:
        from ruamel.yaml.error import YAMLError

        path, text = self.path, self.text
        y = _yaml()
        try:
            self.data = y.load(text)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = str(getattr(exc, "problem", None) or exc).splitlines()[0][:160]
            raise EditError(f"YAML error: {problem}", path, mark.line + 1 if mark else None) from None
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
            # ruamel constructs tagged scalars itself: `!!timestamp 2001-99-99`, `!!int 1.5` raise here
            raise EditError(f"YAML value ruamel.yaml cannot construct ({exc.__class__.__name__}: "
                            f"{str(exc)[:120]})", path) from None
        if self.data is None:
            from ruamel.yaml.comments import CommentedMap

            self.data = CommentedMap()
        self._lines = text.splitlines()

    # -- walking --------------------------------------------------------------------------
    def _walk(self, node, prefix=""):
        from ruamel.yaml.comments import CommentedMap

        if not isinstance(node, CommentedMap):
            return
        for k in node:
            key = f"{prefix}{k}"
            v = node[k]
            try:
                line = node.lc.key(k)[0] + 1
                vl, vc = node.lc.value(k)
                raw = self._lines[vl][vc:].split(" #")[0].strip() if vl < len(self._lines) else None
            except Exception:  # noqa: BLE001 - positions are best effort
                line, raw = 0, None
            if isinstance(v, CommentedMap):
                yield from self._walk(v, key + ".")
            else:
                yield Entry(key, _plain(v), line, raw)

    def entries(self) -> list[Entry]:
        if self.fast is not None:
            return self.fast.entries
        # one walk per edit state: resolve, _touch and _raw ask for them several times per edit
        if self._entry_cache is None:
            self._entry_cache = list(self._walk(self.data))
        return self._entry_cache

    def _tree(self):
        return self.data

    def _new_mapping(self):
        from ruamel.yaml.comments import CommentedMap

        return CommentedMap()

    def _check_mapping(self, node, part: str) -> None:
        from ruamel.yaml.comments import CommentedMap

        if not isinstance(node, CommentedMap):
            raise EditError(f"{part!r} is not a mapping", self.path)

    def _touch(self, key: str | None) -> None:
        """Mark the original lines of `key`'s value as edited: from its key line to the next setting's."""
        import bisect

        lines = sorted(e.line for e in self.entries() if e.line > 0)
        for e in self.entries():
            if e.key == key and e.line > 0:
                at = bisect.bisect_right(lines, e.line)  # the next setting's line after this one
                end = lines[at] - 1 if at < len(lines) else len(self._lines)
                self._touched.update(range(e.line - 1, max(end, e.line)))

    def _parent(self, key: str, create: bool = False):
        self._touch(key)  # the key's original lines are no longer kept byte for byte
        if create:
            self._inserted = True
        return super()._parent(key, create)

    # -- edits ----------------------------------------------------------------------------
    def _scalar(self, value: Any, old: Any = None):
        from ruamel.yaml.comments import CommentedSeq
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

        value = coerce_like(value, old)
        if isinstance(value, str):
            if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)):
                return type(old)(value)
            return value
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, (int, float)):
            raw = getattr(old, "_ganlint_raw", None)
            text = render_number(value, raw if raw is not None else _raw_of(old))
            return _yaml().load(f"v: {text}\n")["v"]
        if isinstance(value, (list, tuple)):
            text = render_list(list(value), None)
            seq = _yaml().load(f"v: {text}\n")["v"]
            if isinstance(old, CommentedSeq) and not old.fa.flow_style():
                seq.fa.set_block_style()
            return seq
        return value

    def set(self, key: str, value: Any) -> bool:
        from ganlint.fix.edits.yaml_fast import Unsupported

        key = self.resolve(key)
        if self.fast is not None:
            try:
                return self.fast.set(key, value)
            except Unsupported:
                self._round_trip()
        parent, leaf = self._parent(key)
        old = parent[leaf]
        if _plain(old) == _plain(coerce_like(value, old)) and type(_plain(old)) is type(_plain(coerce_like(value, old))):
            return False
        new = self._scalar(value, old)
        if isinstance(old, (int, float)) and not isinstance(old, bool):
            raw = self._raw(key)
            if raw is not None:
                new = _yaml().load(f"v: {render_number(value, raw)}\n")["v"]
        parent[leaf] = new
        self._entry_cache = None
        return True

    def _raw(self, key: str) -> str | None:
        for e in self.entries():
            if e.key == key:
                return e.raw
        return None

    def _rename_leaf(self, parent, leaf: str, new_leaf: str) -> None:
        pos = list(parent.keys()).index(leaf)
        value = parent[leaf]
        comment = parent.ca.items.pop(leaf, None)
        del parent[leaf]
        parent.insert(pos, new_leaf, value)
        if comment is not None:
            parent.ca.items[new_leaf] = comment

    def rename(self, key: str, new_key: str) -> bool:
        self._round_trip()
        old = self.resolve(key, required=False)
        if not super().rename(key, new_key):
            return False
        self._placed.add(old.rsplit(".", 1)[0] + "." + new_key.rsplit(".", 1)[-1] if "." in old else new_key.rsplit(".", 1)[-1])
        return True

    def remove(self, key: str) -> bool:
        self._round_trip()
        return super().remove(key)

    def needs_reload(self, edits: list) -> bool:
        """An edit naming a key this doc placed itself (or one inside it) reads it from the dump: the loaded
        doc knows no line or source text of it (a fix after the one that added it, as fix by fix did)."""
        for e in edits if self._placed else ():
            names = [e.target, e.old if e.kind == "add-setting" and isinstance(e.old, str) else None]
            for name in filter(None, names):
                parts = (self.resolve(name, required=False) or name).split(".")
                if any(".".join(parts[:i]) in self._placed for i in range(1, len(parts) + 1)):
                    return True
        return False

    def add(self, key: str, value: Any, near: str | None = None) -> bool:
        if self.resolve(key, required=False) is not None:
            return self.set(key, value)
        self._round_trip()
        near_key = self.resolve(near, required=False) if near else None
        if near_key is not None:
            self._touch(near_key)
        if near_key is not None and "." not in key:
            key = near_key.rsplit(".", 1)[0] + "." + key if "." in near_key else key
        self._placed.add(key)
        parent, leaf = self._parent(key, create=True)
        keys = list(parent.keys())
        pos = len(keys)
        if near_key is not None and near_key.rsplit(".", 1)[-1] in keys:
            nleaf = near_key.rsplit(".", 1)[-1]
            pos = keys.index(nleaf) + 1
            # a blank line / comment after `near` belongs after the new key
            comment = parent.ca.items.pop(nleaf, None)
            parent.insert(pos, leaf, self._scalar(value))
            if comment is not None:
                parent.ca.items[leaf] = comment
            self._entry_cache = None
            return True
        parent.insert(pos, leaf, self._scalar(value))
        self._entry_cache = None
        return True

    def dump(self) -> str:
        if self.fast is not None:
            return self.fast.text
        out = io.StringIO()
        _yaml().dump(self.data, out)
        text = out.getvalue()
        if self.text and not self.text.endswith("\n") and text.endswith("\n"):
            text = text[:-1]
        return self._keep_untouched(text)

    def _keep_untouched(self, dumped: str) -> str:
        """ruamel re-serialises the whole document and rewrites lines no edit named (`!!binary ###`, tags on
        scalars, odd spacing): every changed stretch of lines that holds no edited setting gets its
        original bytes back. The merge is kept only when it reads back as the same data as ruamel's dump."""
        import difflib

        old = self.text.splitlines(keepends=True)
        new = dumped.splitlines(keepends=True)
        merged: list[str] = []
        restored = False
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
            if tag == "equal":
                merged.extend(new[j1:j2])
                continue
            # one changed stretch may hold several settings: decide setting by setting when both sides
            # hold the same keys in the same order
            old_blocks, new_blocks = _blocks(old, i1, i2), _blocks(new, j1, j2)
            if [k for k, _, _ in old_blocks] != [k for k, _, _ in new_blocks]:
                old_blocks, new_blocks = [(None, i1, i2)], [(None, j1, j2)]
            for (_, a1, a2), (_, b1, b2) in zip(old_blocks, new_blocks):
                edited = any(i in self._touched for i in range(a1, a2)) or (a1 == a2 and self._inserted)
                if edited:
                    merged.extend(_endings_kept(new[b1:b2], old[a1:a2]))
                    restored = restored or new[b1:b2] != merged[len(merged) - (b2 - b1):]
                else:
                    merged.extend(old[a1:a2])
                    restored = True
        if not restored:
            return dumped
        text = "".join(merged)
        try:
            if _plain(_yaml().load(text)) != _plain(self.data):  # ruamel's dump reads back as self.data
                return dumped
        except Exception:  # noqa: BLE001 - any doubt: ruamel's own dump, as before
            return dumped
        return text


def _endings_kept(new: list[str], old: list[str]) -> list[str]:
    """ruamel's lines for an edited stretch, each with the line ending of the line it replaces (ruamel
    writes "\n"; a CRLF line of a mixed-endings file keeps its CR, fuzz input 8375). Lines past the old
    stretch take its last line's ending."""
    if not old or not any(line.endswith("\r\n") for line in old):
        return new
    out = []
    for i, line in enumerate(new):
        ref = old[min(i, len(old) - 1)]
        if ref.endswith("\r\n") and line.endswith("\n") and not line.endswith("\r\n"):
            line = line[:-1] + "\r\n"
        out.append(line)
    return out


_KEY_LINE = re.compile(r"(\s*)(?:-\s+)?([^\s#'\"][^:#]*?|'[^']*'|\"[^\"]*\"):(?:\s|$)")


def _blocks(lines: list[str], start: int, end: int) -> list[tuple[str | None, int, int]]:
    """lines[start:end] cut where a `key:` line at the stretch's outer indentation begins: (key, from, to).
    A line before the first key (or a stretch with none) is one block with key None."""
    if start == end:
        return [(None, start, end)]
    outer = None
    cuts: list[tuple[str | None, int]] = []
    for i in range(start, end):
        m = _KEY_LINE.match(lines[i])
        indent = len(lines[i]) - len(lines[i].lstrip())
        if m and (outer is None or indent <= outer):
            outer = indent if outer is None else outer
            cuts.append((m.group(2).strip(), i))
        elif not cuts:
            cuts.append((None, i))
    return [(key, at, cuts[n + 1][1] if n + 1 < len(cuts) else end) for n, (key, at) in enumerate(cuts)]


def _raw_of(value: Any) -> str | None:
    if isinstance(value, float):
        try:
            from ruamel.yaml.scalarfloat import ScalarFloat

            if isinstance(value, ScalarFloat) and value._exp:  # noqa: SLF001
                return "1e-1"
        except Exception:  # noqa: BLE001
            pass
        return repr(float(value))
    if isinstance(value, int):
        return str(int(value))
    return None


def _plain(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, CommentedMap):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, CommentedSeq):
        return [_plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
