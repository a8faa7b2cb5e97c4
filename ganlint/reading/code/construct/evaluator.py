"""Expressions and statements of model-construction code, evaluated over abstract values.

Every node evaluated costs one step of a budget shared by the whole module, so a file's cost stays
linear in its size whatever its helpers and loops do; when the budget runs out, `Budget` is raised and the
caller keeps only what it had read syntactically."""
from __future__ import annotations

import ast
from collections import ChainMap
from typing import Any, Callable

from ganlint.reading.code.astutil import CONFIG_NAMES, Source, dotted
from ganlint.reading.code.construct.calls import CallsMixin
from ganlint.reading.code.construct.instance import InstanceMixin
from ganlint.reading.code.construct.statements import (
    _CMPOPS, _NN_BASES, _TORCH_FUNCS, MAX_UNROLL, Budget, StatementsMixin, _num, binop,
)
from ganlint.reading.code.facts import Layer
from ganlint.reading.code.construct.values import (
    ABSENT, UNKNOWN, Func, Instance, Namespace, NNClass, OptimizerClass, Seq, TorchFunc, Unknown, UserClass, keyed,
    known, lookup,
)

_BUILT = (Layer, Seq, Instance, NNClass, TorchFunc, Func, UserClass)


def _unknown(self: Any, node: ast.AST, env: ChainMap) -> Any:
    return UNKNOWN


_DISPATCH: dict[type, Callable] = {}


def _class_name(name: str) -> bool:
    """CamelCase, not a CONSTANT."""
    return name[:1].isupper() and not name.isupper()


class Evaluator(StatementsMixin, CallsMixin, InstanceMixin):
    def __init__(self, src: Source, globals_: dict[str, Any], steps: list[int]):
        self.src = src
        self.globals = globals_
        self.steps = steps  # [remaining]: shared by every evaluator of a module
        self.loops: list[str | None] = []  # abstract loops: the parameter each iterates, if any
        self.cond = 0  # depth of conditionals whose test is unknown
        self.depth = 0  # user-function call depth
        self.record_calls: Callable | None = None  # module level: user classes are recorded, not built
        self.record_helper: Callable | None = None  # module level: calls of another file's functions
        self.on_self: Callable | None = None  # assignments to the instance being read
        self.self_obj: Instance | None = None
        self.init_params: set[str] = set()
        self.created: list = []  # every layer made, in order
        self.class_stack: list = []
        self.in_nodes: dict[int, ast.AST] = {}  # id(layer) -> its in-width argument (for origins)
        self.abstract_loops = False  # True: no loop is unrolled (a script's training loop)
        self.keys_read: set[str] = set()  # config keys asked for (a network is read again when known)

    def tick(self) -> None:
        self.steps[0] -= 1
        if self.steps[0] < 0:
            raise Budget()

    # -- expressions ------------------------------------------------------------------------------
    def ev(self, node: ast.AST, env: ChainMap) -> Any:
        steps = self.steps
        steps[0] -= 1
        if steps[0] < 0:
            raise Budget()
        cls = node.__class__
        meth = _DISPATCH.get(cls)
        if meth is None:
            meth = _DISPATCH[cls] = getattr(Evaluator, "ev_" + cls.__name__, _unknown)
        return meth(self, node, env)

    def ev_Constant(self, node: ast.Constant, env: ChainMap) -> Any:
        return node.value

    def ev_Name(self, node: ast.Name, env: ChainMap) -> Any:
        name = node.id
        v = lookup(env, name)
        if v is ABSENT:
            v = self.globals.get(name, ABSENT)
            if v is ABSENT:
                imported = self.globals.get("__imported__") if self.record_calls is not None else None
                if imported and name in imported:
                    return UserClass(imported[name], None)  # `from models import Generator`, in a table
                v = UNKNOWN
        if isinstance(v, Unknown):
            if v.key and not v.param:
                return self.config_value(v.key)  # nz = cfg["nz"] at module level, read once settings are known
            if not v.config and not v.key and name in CONFIG_NAMES:
                return Unknown(param=v.param, config=True)
        return v

    def config_value(self, key: str) -> Any:
        """A config key's value from the project's settings (YAML/JSON/TOML, read by the config readers),
        once the project links them in; else an unknown that remembers the key."""
        self.keys_read.add(key)
        settings = self.globals.get("__settings__")
        if settings:
            v = settings.get(key, ABSENT)
            if v is not ABSENT:
                return keyed(v, key)
        return Unknown(key=key)

    def ev_Attribute(self, node: ast.Attribute, env: ChainMap) -> Any:
        name = dotted(node)
        if name and node.attr[:1].isupper() and name[: -len(node.attr) - 1] in ("torch.optim", "optim"):
            return OptimizerClass(node.attr)
        if name in ("flags.FLAGS", "absl.flags.FLAGS") and isinstance(self.globals.get("__flags__"), dict):
            return Namespace(self.globals["__flags__"])
        if name and node.value.__class__ is ast.Name and lookup(env, node.value.id) is ABSENT:
            base = name.rsplit(".", 1)[0]
            if base in _NN_BASES or base.startswith("torch.nn.modules"):
                return NNClass(node.attr) if node.attr[:1].isupper() else UNKNOWN
            if base in _TORCH_FUNCS and node.attr.islower():
                return TorchFunc(node.attr)
        elif name and name.startswith(("torch.nn.", "nn.")) and name.count(".") >= 2 and node.attr[:1].isupper():
            return NNClass(node.attr)
        elif name and name.startswith("torch.nn.functional.") and node.attr.islower():
            return TorchFunc(node.attr)
        base = self.ev(node.value, env)
        attr = node.attr
        if isinstance(base, Namespace):
            return base.get(attr)
        if isinstance(base, Instance):
            v = base.attrs.get(attr, ABSENT)
            if v is ABSENT:
                v = base.methods.get(attr, UNKNOWN)
            if isinstance(v, Unknown) and not v.key and attr in CONFIG_NAMES:
                return Unknown(param=v.param, config=True)
            return v
        if isinstance(base, Unknown):
            if base.key:
                return self.config_value(f"{base.key}.{attr}")
            if base.config:
                return self.config_value(attr)
            if self.record_calls is not None and _class_name(attr) and node.value.__class__ is ast.Name \
                    and lookup(env, node.value.id) is ABSENT and node.value.id not in self.globals:
                return UserClass(attr, None)  # `models.ResGenerator32` of an imported module, kept in a table
            return UNKNOWN
        if isinstance(base, dict) and attr in ("keys", "values", "items", "get"):
            return ("method", base, attr)
        if isinstance(base, list) and attr in ("append", "extend", "insert"):
            return ("method", base, attr)
        if isinstance(base, (tuple, list)) and attr == "shape":
            return UNKNOWN
        return UNKNOWN

    def ev_Subscript(self, node: ast.Subscript, env: ChainMap) -> Any:
        base = self.ev(node.value, env)
        sl = node.slice
        if isinstance(sl, ast.Slice):
            parts = [self.ev(p, env) if p is not None else None for p in (sl.lower, sl.upper, sl.step)]
            if isinstance(base, (list, tuple, str)) and all(p is None or isinstance(p, int) for p in parts):
                return base[slice(*parts)]
            return Unknown(param=base.param, loop=base.loop) if isinstance(base, Unknown) else UNKNOWN
        key = self.ev(sl, env)
        if isinstance(base, (list, tuple, str)) and isinstance(key, int) and not isinstance(key, bool):
            return base[key] if -len(base) <= key < len(base) else UNKNOWN
        if isinstance(base, dict):
            if known(key):
                try:
                    return base.get(key, UNKNOWN)
                except TypeError:
                    return UNKNOWN
            return self.by_name_of(base, key, sl, node)
        if isinstance(base, Namespace) and isinstance(key, str):
            return base.get(key)
        if isinstance(base, Unknown) and isinstance(key, str):
            if base.key:
                return self.config_value(f"{base.key}.{key}")
            return self.config_value(key)
        return UNKNOWN

    def ev_BinOp(self, node: ast.BinOp, env: ChainMap) -> Any:
        return binop(node.op, self.ev(node.left, env), self.ev(node.right, env))

    def ev_UnaryOp(self, node: ast.UnaryOp, env: ChainMap) -> Any:
        v = self.ev(node.operand, env)
        if isinstance(node.op, ast.Not):
            return (not v) if known(v) and not isinstance(v, (Seq, Instance)) else UNKNOWN
        if _num(v):
            return -v if isinstance(node.op, ast.USub) else v if isinstance(node.op, ast.UAdd) else UNKNOWN
        return UNKNOWN

    def ev_BoolOp(self, node: ast.BoolOp, env: ChainMap) -> Any:
        result: Any = UNKNOWN
        for e in node.values:
            v = self.ev(e, env)
            if not isinstance(v, (bool, int, float, str, type(None), list, tuple)):
                return UNKNOWN
            result = v
            if isinstance(node.op, ast.And) and not v or isinstance(node.op, ast.Or) and v:
                return v
        return result

    def ev_Compare(self, node: ast.Compare, env: ChainMap) -> Any:
        left = self.ev(node.left, env)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.ev(right_node, env)
            plain = (bool, int, float, str, type(None), tuple, list)
            if not (isinstance(left, plain) and isinstance(right, plain)):
                # `activation is None` with a module passed in: a built object is never None
                if isinstance(op, (ast.Is, ast.IsNot)) and None in (left, right) and any(
                        isinstance(v, _BUILT) for v in (left, right)):
                    ok = isinstance(op, ast.IsNot)
                    if not ok:
                        return False
                    left = right
                    continue
                return UNKNOWN
            try:
                ok = _CMPOPS[type(op)](left, right)
            except (TypeError, KeyError):
                return UNKNOWN
            if not ok:
                return False
            left = right
        return True

    def ev_IfExp(self, node: ast.IfExp, env: ChainMap) -> Any:
        t = self.ev(node.test, env)
        if isinstance(t, (bool, int, float, str, type(None))):
            return self.ev(node.body if t else node.orelse, env)
        return UNKNOWN

    def ev_Tuple(self, node: ast.Tuple, env: ChainMap) -> Any:
        return tuple(self.elements(node.elts, env))

    def ev_List(self, node: ast.List, env: ChainMap) -> Any:
        return self.elements(node.elts, env)

    def ev_Dict(self, node: ast.Dict, env: ChainMap) -> Any:
        out: dict = {}
        for k, v in zip(node.keys, node.values):
            if k is None:
                d = self.ev(v, env)
                if isinstance(d, dict):
                    out.update(d)
                continue
            kv = self.ev(k, env)
            if isinstance(kv, (str, int, float, bool, tuple)):
                out[kv] = self.ev(v, env)
        return out

    def ev_Lambda(self, node: ast.Lambda, env: ChainMap) -> Any:
        return Func(node, env, self.self_obj)

    def ev_ListComp(self, node: ast.ListComp, env: ChainMap) -> Any:
        out: list = []
        self._comp(node.generators, 0, env.new_child(), lambda e: out.append(self.ev(node.elt, e)))
        return out

    ev_GeneratorExp = ev_ListComp

    def ev_Starred(self, node: ast.Starred, env: ChainMap) -> Any:
        return self.ev(node.value, env)

    def ev_Call(self, node: ast.Call, env: ChainMap) -> Any:
        return self.call(node, env)

    def elements(self, nodes: list[ast.expr], env: ChainMap) -> list:
        out: list = []
        for e in nodes:
            if isinstance(e, ast.Starred):
                v = self.ev(e.value, env)
                if isinstance(v, (list, tuple)):
                    out.extend(v)
                else:
                    out.append(self.unknown_layer(e) if not isinstance(v, Instance) else v)
            else:
                out.append(self.ev(e, env))
        return out

    def _comp(self, gens: list[ast.comprehension], i: int, env: ChainMap, emit: Callable) -> None:
        if i == len(gens):
            emit(env)
            return
        g = gens[i]
        items, concrete, loop = self.iterate(self.ev(g.iter, env))
        if not concrete:
            self.loops.append(loop)
        try:
            for item in items:
                self.assign(g.target, item, env, g)
                if all(self._truth(self.ev(c, env)) is not False for c in g.ifs):
                    self._comp(gens, i + 1, env, emit)
        finally:
            if not concrete:
                self.loops.pop()

    @staticmethod
    def _truth(v: Any) -> bool | None:
        if isinstance(v, (bool, int, float, str, type(None), list, tuple, dict)):
            return bool(v)
        return None

    def iterate(self, v: Any) -> tuple[list, bool, str | None]:
        """(items, concrete, parameter iterated): known sequences are unrolled; anything else is one
        abstract item standing for every iteration."""
        if self.abstract_loops:
            pass
        elif isinstance(v, (list, tuple, str, range)) and len(v) <= MAX_UNROLL:
            return list(v), True, None
        elif isinstance(v, dict) and len(v) <= MAX_UNROLL:
            return list(v), True, None
        param = v.param if isinstance(v, Unknown) else None
        loop = param or (v.loop if isinstance(v, Unknown) else None)
        return [Unknown(loop=loop)], False, loop


__all__ = ["Budget", "Evaluator", "MAX_UNROLL", "binop"]
