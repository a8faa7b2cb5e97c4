"""Small syntax-tree helpers for the code reader (no torch, no user code)."""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from typing import Any

from ganlint.reading.astwalk import walk_code
from ganlint.core.types import Location
from ganlint.reading.code.facts import ConfigRef, Arg

# Names a configuration object usually has: args.lr, cfg.model.lr, self.hparams.lr
CONFIG_NAMES = {
    "args", "cfg", "config", "conf", "opt", "opts", "hparams", "hp", "hps", "params", "options", "flags",
    "settings", "hyperparams", "hyperparameters", "cfgs", "configs", "arguments", "FLAGS", "C", "H",
}
# Calls that only convert a config value: eval(cfg["nn_gen"]), int(args.z_dim), json.loads(...)
WRAPPERS = {"eval", "int", "float", "str", "bool", "list", "tuple", "loads", "literal_eval", "abs"}


REF_KINDS = (ast.Call, ast.Subscript, ast.Attribute, ast.Name)  # the nodes a config read can be (or wrap)


_Name, _Attribute = ast.Name, ast.Attribute


def dotted(node: ast.AST | None) -> str | None:
    """a.b.c for Name/Attribute chains, else None."""
    cls = node.__class__  # the two commonest shapes first: `x` and `nn.Linear` (called for every call)
    if cls is _Name:
        return node.id
    if cls is _Attribute and node.value.__class__ is _Name:
        return f"{node.value.id}.{node.attr}"
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def last(name: str | None) -> str:
    return name[name.rfind(".") + 1:] if name else ""  # (no list made: called for nearly every call node)


def call_name(node: ast.AST) -> str | None:
    return dotted(node.func) if isinstance(node, ast.Call) else None


def literal(node: ast.AST | None) -> tuple[bool, Any]:
    if node is None:
        return False, None
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


class Source:
    """Locations and source segments of one file (UTF-8 byte columns -> character columns)."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.ascii = text.isascii()  # then every column is a byte column: no line to look at

    def _col(self, lineno: int, byte_col: int) -> int:
        if self.ascii:
            return byte_col
        if 0 < lineno <= len(self.lines):
            line = self.lines[lineno - 1]
            if not line.isascii():
                return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace"))
        return byte_col

    def loc(self, node: ast.AST) -> Location:
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        col = getattr(node, "col_offset", 0)
        end_col = getattr(node, "end_col_offset", None)
        if not self.ascii:  # (an ASCII file's byte columns are its character columns)
            col = self._col(line, col)
            end_col = self._col(end_line, end_col) if end_col is not None else None
        return Location(self.path, line, col + 1, end_line, end_col + 1 if end_col is not None else None)

    def seg(self, node: ast.AST | None) -> str:
        if node is None or not hasattr(node, "end_lineno"):
            return ""
        l1, l2 = node.lineno, node.end_lineno
        if not (0 < l1 <= len(self.lines)) or l2 is None or l2 > len(self.lines):
            return ""
        c1, c2 = node.col_offset, node.end_col_offset
        if not self.ascii:
            c1, c2 = self._col(l1, c1), self._col(l2, c2)
        if l1 == l2:
            return self.lines[l1 - 1][c1:c2]
        parts = [self.lines[l1 - 1][c1:], *self.lines[l1 : l2 - 1], self.lines[l2 - 1][:c2]]
        return "".join(parts)

    def arg(self, node: ast.AST) -> Arg:
        ok, val = literal(node)
        return Arg(src=self.seg(node), location=self.loc(node), literal=val, has_literal=ok, ref=self.config_ref(node))

    def config_ref(self, node: ast.AST | None) -> ConfigRef | None:
        """cfg["k"], self.args['k'], args.k, config.model.k, cfg.get("k"), wrapped in eval/int/float/..."""
        key = self.config_key(node)
        return ConfigRef(key, self.loc(node)) if key is not None else None

    def config_key(self, node: ast.AST | None) -> str | None:
        """config_ref's key alone (no Location made: the walk only collects the keys read)."""
        if node is None or node.__class__ not in REF_KINDS:  # nothing else can be or wrap a config read
            return None
        if node.__class__ is _Name:  # a bare name reads a setting only as a module constant (below)
            return node.id if len(node.id) > 1 and node.id.isupper() else None
        for _ in range(4):
            if isinstance(node, ast.Call) and node.args and last(dotted(node.func)) in WRAPPERS:
                node = node.args[0]
            else:
                break
        keys: list[str] = []
        # cfg.get("k", default)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            keys.insert(0, node.args[0].value)
            node = node.func.value
            base = dotted(node)
            if base is None:
                return None
        while isinstance(node, ast.Subscript):
            sl = node.slice
            if isinstance(sl, ast.Constant) and isinstance(sl.value, str):
                keys.insert(0, sl.value)
                node = node.value
            else:
                return None
        name = dotted(node)
        if name is None:
            return None
        if not keys and isinstance(node, ast.Name) and len(name) > 1 and name.isupper():
            return name  # a module constant: LR, CRITIC_ITERS, ENC_ACT
        parts = name.split(".")
        idx = next((i for i, p in enumerate(parts) if p in CONFIG_NAMES), None)
        if idx is not None:
            keys = parts[idx + 1 :] + keys
        elif not keys:
            return None
        if not keys:
            return None
        return ".".join(keys)


def names_in(node: ast.AST) -> set[str]:
    out = set()
    for n in walk_code(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
    return out


_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def tokens(name: str) -> list[str]:
    return list(_tokens(name))  # a fresh list: callers may change theirs


@lru_cache(maxsize=8192)
def _tokens(name: str) -> tuple[str, ...]:  # the same few names are split for every assignment and call
    return tuple(t.lower() for part in re.split(r"[_\W]+", name) for t in _CAMEL.findall(part))
