"""Settings a Python file declares for a parser or a class: argparse / click / absl flag defaults, and the
fields of dataclass / attrs / pydantic / NamedTuple classes. A part of python_reader's `_Reader`, kept
apart by what it recognises."""
from __future__ import annotations

import ast
from ganlint.reading.astwalk import walk

DATACLASS_DECORATORS = {"dataclass", "define", "frozen", "mutable", "attrs", "s", "dataclasses"}
DATACLASS_BASES = {"BaseModel", "BaseSettings", "NamedTuple", "TypedDict"}
FIELD_CALLS = {"field", "Field", "ib", "attrib"}


def _config_like(name: str) -> bool:
    from ganlint.reading.config.python_reader import _config_like as like

    return like(name)


class DeclaredSettings:
    """Mixin of python_reader._Reader (it provides literal, emit, call_name, segment...)."""

    def argparse(self, node: ast.Call, click: bool) -> None:
        flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not flags or len(flags) != len(node.args):
            return
        if click and not any(f.startswith("-") for f in flags):
            return
        kws = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        if "default" not in kws:
            return
        dest = self.literal(kws["dest"]) if "dest" in kws else None
        if not isinstance(dest, str):
            longs = [f for f in flags if f.startswith("--")]
            shorts = [f for f in flags if f.startswith("-") and not f.startswith("--")]
            plain = [f for f in flags if not f.startswith("-")]
            pick = (longs or plain or shorts)[0]
            dest = pick.lstrip("-").replace("-", "_")
        if not dest or not dest.replace("_", "").isalnum():
            return
        node_default = kws["default"]
        value = self.literal(node_default)
        typ = kws.get("type")
        if isinstance(value, str) and isinstance(typ, ast.Name) and typ.id in ("float", "int"):
            try:
                value = float(value) if typ.id == "float" else int(value)
            except ValueError:
                return
        self.emit([dest], node_default, value, "argparse")

    def class_def(self, node: ast.ClassDef) -> None:
        base_names = set()
        for b in node.bases:
            if isinstance(b, ast.Name):
                base_names.add(b.id)
            elif isinstance(b, ast.Attribute):
                base_names.add(b.attr)
        if base_names & {"Module", "LightningModule"}:
            return
        deco_names = set()
        for d in node.decorator_list:
            target = d.func if isinstance(d, ast.Call) else d
            if isinstance(target, ast.Name):
                deco_names.add(target.id)
            elif isinstance(target, ast.Attribute):
                deco_names.add(target.attr)
                if isinstance(target.value, ast.Name):
                    deco_names.add(target.value.id)
        is_data = bool(deco_names & DATACLASS_DECORATORS) or bool(base_names & DATACLASS_BASES)
        config_like = _config_like(node.name)
        if not (is_data or config_like):
            return
        style = "dataclass" if is_data else "py-attr"
        context = [node.name]
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
                self.field(stmt.target.id, stmt.value, style, context)
            elif isinstance(stmt, ast.Assign) and config_like:
                for t in stmt.targets:
                    if isinstance(t, ast.Name) and not t.id.startswith("__"):
                        self.field(t.id, stmt.value, style, context)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and config_like:
                for sub in walk(stmt):
                    if isinstance(sub, (ast.Assign, ast.AnnAssign)):
                        targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                        for t in targets:
                            if (isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                                    and t.value.id == "self" and sub.value is not None):
                                self.emit([t.attr], sub.value, self.literal(sub.value), "py-attr", context)

    def field(self, name: str, value: ast.AST, style: str, context: list[str]) -> None:
        if isinstance(value, ast.Call) and self.call_name(value) in FIELD_CALLS:
            for kw in value.keywords:
                if kw.arg == "default":
                    self.emit([name], kw.value, self.literal(kw.value), style, context)
            if value.args and self.call_name(value) == "Field":
                self.emit([name], value.args[0], self.literal(value.args[0]), style, context)
            return
        self.emit([name], value, self.literal(value), style, context)

