"""Python settings edited through LibCST (formatting kept): `config['vae_lr'] = 5e-4`, module constants
(`LAMBDA = .1`), dict literals (`config = {'lr': 1e-3}`), argparse `default=` and dataclass defaults."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ganlint.fix.edits.base import ConfigDoc, EditError, Entry
from ganlint.fix.edits.cst_parse import MAX_CHAIN, MAX_CST_CHARS, parse_cst  # noqa: F401  (importers' old home)
from ganlint.fix.edits.values import coerce_like, render_list, render_number


@dataclass
class _PyEntry:
    key: str
    kind: str  # subscript | const | dict | argparse | dataclass
    value_node: Any
    stmt: Any  # the statement (SimpleStatementLine) holding it
    line: int
    container: str | None = None  # code of `config` in config['k'], of `parser` in parser.add_argument
    quote: str = "'"
    elem: Any = None  # DictElement for dict entries / Arg for argparse
    call: Any = None
    cls: Any = None


def _literal(code: str) -> Any:
    try:
        return ast.literal_eval(code)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _is_dataclass(cls) -> bool:
    import libcst as cst

    for d in cls.decorators:
        dec = d.decorator
        if isinstance(dec, cst.Call):
            dec = dec.func
        name = dec.attr.value if isinstance(dec, cst.Attribute) else getattr(dec, "value", None)
        if name == "dataclass":
            return True
    return False


class PyDoc(ConfigDoc):
    style = "py"

    def __init__(self, path: str, text: str):
        super().__init__(path, text)
        # value replacements of set() not yet written into the module: a plan's settings of one file are one
        # pass over its tree (a pass and a re-parse per setting was seconds each on a 40 KB script)
        self._pending: dict[int, Any] = {}
        self._parse()

    @property
    def text(self) -> str:
        self._flush()
        return self._text

    @text.setter
    def text(self, value: str) -> None:
        self._text = value

    def _flush(self, final: bool = False) -> None:
        """The pending values written into the module; `final` (dump): only its code, not its positions."""
        import libcst as cst

        replacements = getattr(self, "_pending", None)
        if not replacements:
            return
        self._pending = {}

        class T(cst.CSTTransformer):
            def on_leave(self, original, updated):
                return replacements.get(id(original), updated)

        self._commit(self.module.visit(T()), final)

    def _parse(self, module=None):
        import libcst as cst
        from libcst.metadata import MetadataWrapper, PositionProvider

        if module is None:
            module = parse_cst(self.path, self.text)
        # no deep copy: the module is read only here (an edit makes a new one), and a parsed or transformed
        # tree holds each node once, what the copy would ensure; copying a big file's tree per edit was seconds
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.module = self.wrapper.module
        pos = self.wrapper.resolve(PositionProvider)
        found: list[_PyEntry] = []
        code = self.module.code_for_node

        def line(node):
            return pos[node].start.line

        class V(cst.CSTVisitor):
            def __init__(self):
                self.stmt = None
                self.classes = []
                self.depth = 0

            def visit_ClassDef(self, node):
                self.classes.append(node)

            def leave_ClassDef(self, node):
                self.classes.pop()

            def visit_FunctionDef(self, node):
                self.depth += 1

            def leave_FunctionDef(self, node):
                self.depth -= 1

            def visit_SimpleStatementLine(self, node):
                self.stmt = node
                for small in node.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        t = small.targets[0].target
                        if isinstance(t, cst.Subscript) and len(t.slice) == 1:
                            idx = t.slice[0].slice
                            if isinstance(idx, cst.Index) and isinstance(idx.value, cst.SimpleString):
                                key = idx.value.evaluated_value
                                if isinstance(key, str):
                                    q = idx.value.quote
                                    found.append(_PyEntry(key, "subscript", small.value, node, line(node), code(t.value), q))
                        elif isinstance(t, cst.Name) and self.depth == 0 and not self.classes:
                            if isinstance(small.value, cst.Dict):
                                for el in small.value.elements:
                                    if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString):
                                        k = el.key.evaluated_value
                                        if isinstance(k, str):
                                            found.append(
                                                _PyEntry(f"{t.value}.{k}", "dict", el.value, node, line(el), t.value, el.key.quote, elem=el)
                                            )
                            elif _literal(code(small.value)) is not None or isinstance(small.value, (cst.Integer, cst.Float)):
                                found.append(_PyEntry(t.value, "const", small.value, node, line(node)))
                    elif isinstance(small, cst.AnnAssign) and small.value is not None and self.classes and self.depth == 0:
                        cls = self.classes[-1]
                        if _is_dataclass(cls) and isinstance(small.target, cst.Name):
                            found.append(
                                _PyEntry(f"{cls.name.value}.{small.target.value}", "dataclass", small.value, node, line(node), cls=cls)
                            )
                    elif isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
                        if self.depth == 0 and not self.classes:
                            found.append(_PyEntry(small.target.value, "const", small.value, node, line(node)))

            def visit_Call(self, node):
                f = node.func
                if isinstance(f, cst.Attribute) and f.attr.value == "add_argument" and self.stmt is not None:
                    opts = [a for a in node.args if a.keyword is None and isinstance(a.value, cst.SimpleString)]
                    names = [a.value.evaluated_value for a in opts if isinstance(a.value.evaluated_value, str)]
                    dest = next((a for a in node.args if a.keyword and a.keyword.value == "dest"), None)
                    default = next((a for a in node.args if a.keyword and a.keyword.value == "default"), None)
                    if default is None or not names:
                        return
                    if dest is not None and isinstance(dest.value, cst.SimpleString):
                        key = dest.value.evaluated_value
                    else:
                        longs = [n for n in names if n.startswith("--")]
                        key = (longs[0] if longs else names[0]).lstrip("-").replace("-", "_")
                    found.append(
                        _PyEntry(key, "argparse", default.value, self.stmt, line(node), code(f.value), opts[0].value.quote, elem=default, call=node)
                    )

        self.module.visit(V()) if False else self.wrapper.visit(V())
        self._entries = found

    # -- reading --------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        self._fresh()
        out = []
        for e in self._entries:
            raw = self.module.code_for_node(self._pending.get(id(e.value_node), e.value_node))
            out.append(Entry(e.key, _literal(raw), e.line, raw))
        return out

    def _entry(self, key: str) -> _PyEntry:
        k = self.resolve(key)
        return next(e for e in self._entries if e.key == k)

    def _all(self, key: str) -> list[_PyEntry]:
        """Every assignment of the setting: a key written twice (`config['lr']` set again further down, the
        file pasted twice) is one setting, and Python keeps the last value; a fix that set or removed only
        the first would change nothing the program reads (and a second run would find it again)."""
        k = self.resolve(key)
        return [e for e in self._entries if e.key == k]

    # -- writing --------------------------------------------------------------------------
    def _value_code(self, value: Any, old_raw: str | None, quote: str = "'") -> str:
        old = _literal(old_raw) if old_raw is not None else None
        value = coerce_like(value, old)
        if isinstance(value, str):
            q = quote
            if old_raw and old_raw[:1] in "\"'":
                q = old_raw[:1]
            return q + value.replace("\\", "\\\\").replace(q, "\\" + q) + q
        if isinstance(value, bool) or value is None:
            return repr(value)
        if isinstance(value, (int, float)):
            return render_number(value, old_raw)
        if isinstance(value, tuple):
            inner = ", ".join(self._value_code(v, None) for v in value)
            return f"({inner}{',' if len(value) == 1 else ''})"
        if isinstance(value, list):
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                return render_list(value, old_raw)
            return "[" + ", ".join(self._value_code(v, None) for v in value) + "]"
        return repr(value)

    def _commit(self, new_module, final: bool = False):
        self.text = new_module.code
        if final:  # positions resolved only if the document is edited again (`_fresh`)
            self._unread = new_module
        else:
            self._parse(new_module)  # its positions are those of its own code: no second parse of that code

    def _fresh(self) -> None:
        module, self._unread = getattr(self, "_unread", None), None
        if module is not None:
            self._parse(module)

    def _replace_node(self, target, replacement):
        self._pending[id(target)] = replacement
        self._flush()

    def set(self, key: str, value: Any) -> bool:
        import libcst as cst

        self._fresh()
        changes = {}
        for e in self._all(key):
            raw = self.module.code_for_node(self._pending.get(id(e.value_node), e.value_node))
            new_code = self._value_code(value, raw, e.quote)
            if _literal(new_code) == _literal(raw) and _literal(raw) is not None and type(_literal(raw)) is type(_literal(new_code)):
                continue
            changes[id(e.value_node)] = cst.parse_expression(new_code)
        if not changes:
            return False
        self._pending.update(changes)  # written by the next pass (_flush): dump, or an edit of another kind
        return True

    def remove(self, key: str) -> bool:
        import libcst as cst

        self._flush()  # they walk the module: the pending values first
        self._fresh()

        k = self.resolve(key, required=False)
        if k is None:
            return False
        every = self._all(k)
        for e in every:
            if e.kind == "argparse":
                raise EditError(f"cannot remove the command-line option {key!r} (code may read it); remove it by hand", self.path, e.line)
        targets = {id(e.elem if e.kind == "dict" else e.stmt) for e in every}

        class T(cst.CSTTransformer):
            def on_leave(self, original, updated):
                if id(original) in targets:
                    return cst.RemoveFromParent()
                return updated

        self._commit(self.module.visit(T()))
        return True

    def rename(self, key: str, new_key: str) -> bool:
        import libcst as cst

        self._flush()  # they walk the module: the pending values first
        self._fresh()

        k = self.resolve(key, required=False)
        if k is None:
            return False
        leaf = new_key.rsplit(".", 1)[-1]
        if leaf == k.rsplit(".", 1)[-1]:
            return False
        for _ in range(len(self._all(k))):  # every assignment of it (each rename re-reads the entries)
            e = next((x for x in self._entries if x.key == k), None)
            if e is None:
                break
            self._rename_one(e, key, leaf)
        return True

    def _rename_one(self, e: _PyEntry, key: str, leaf: str) -> None:
        import libcst as cst

        if e.kind in ("subscript", "dict"):
            node = e.stmt.body[0].targets[0].target.slice[0].slice.value if e.kind == "subscript" else e.elem.key
            self._replace_node(node, cst.SimpleString(f"{e.quote}{leaf}{e.quote}"))
        elif e.kind == "const":
            self._replace_node(e.stmt.body[0].targets[0].target if hasattr(e.stmt.body[0], "targets") else e.stmt.body[0].target, cst.Name(leaf))
        else:
            raise EditError(f"cannot rename {key!r} ({e.kind}); code reads it by name", self.path, e.line)

    def add(self, key: str, value: Any, near: str | None = None) -> bool:
        import libcst as cst

        self._flush()  # they walk the module: the pending values first
        self._fresh()

        if self.resolve(key, required=False) is not None:
            return self.set(key, value)
        near_key = self.resolve(near, required=False) if near else None
        anchor = next((x for x in self._entries if x.key == near_key), None)
        if anchor is None:
            same = [x for x in self._entries if x.kind in ("subscript", "const")]
            if not same:
                raise EditError(f"no place to add setting {key!r}", self.path)
            anchor = same[-1]
        leaf = key.rsplit(".", 1)[-1]
        val = self._value_code(value, None, anchor.quote)
        if anchor.kind == "dict":
            el = anchor.elem
            new_el = cst.DictElement(cst.SimpleString(f"{anchor.quote}{leaf}{anchor.quote}"), cst.parse_expression(val), comma=el.comma)
            target = el

            class TD(cst.CSTTransformer):
                def leave_Dict(self, original, updated):
                    if any(o is target for o in original.elements):
                        els = list(updated.elements)
                        i = [o is target for o in original.elements].index(True)
                        prev = els[i]
                        if prev.comma is cst.MaybeSentinel.DEFAULT:
                            prev = prev.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                            ne = new_el.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                        else:
                            ne = new_el
                        els[i] = prev
                        els.insert(i + 1, ne)
                        return updated.with_changes(elements=els)
                    return updated

            self._commit(self.module.visit(TD()))
            return True
        if anchor.kind == "subscript":
            stmt_code = f"{anchor.container}[{anchor.quote}{leaf}{anchor.quote}] = {val}"
        elif anchor.kind == "const":
            stmt_code = f"{leaf} = {val}"
        elif anchor.kind == "dataclass":
            typ = type(value).__name__ if isinstance(value, (int, float, str, bool)) else "object"
            stmt_code = f"{leaf}: {typ} = {val}"
        else:  # argparse
            typ = type(value).__name__ if isinstance(value, (int, float, str)) else None
            q = anchor.quote
            stmt_code = f"{anchor.container}.add_argument({q}--{leaf.replace('_', '-')}{q}, " + (f"type={typ}, " if typ else "") + f"default={val})"
        new_stmt = cst.parse_statement(stmt_code)
        target = anchor.stmt

        class T(cst.CSTTransformer):
            def _insert(self, original, updated):
                if any(o is target for o in original.body):
                    body = list(updated.body)
                    i = [o is target for o in original.body].index(True)
                    body.insert(i + 1, new_stmt)
                    return updated.with_changes(body=body)
                return updated

            def leave_Module(self, original, updated):
                return self._insert(original, updated)

            def leave_IndentedBlock(self, original, updated):
                return self._insert(original, updated)

        self._commit(self.module.visit(T()))
        return True

    def dump(self) -> str:
        self._flush(final=True)
        return self._text
