"""Statements of construction code (assignments, conditionals, loops, calls of user functions), mixed into
the Evaluator."""
from __future__ import annotations

import ast
from collections import ChainMap
from typing import Any, Callable

from ganlint.reading.code.construct.values import ABSENT, UNKNOWN, Func, Instance, Namespace, Unknown

MAX_UNROLL = 256  # longer loops are read as one abstract iteration
MAX_NUMBER = 10 ** 15


class Budget(Exception):
    """The module's evaluation budget is spent."""


class _Return(Exception):
    def __init__(self, value: Any):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) or isinstance(v, bool)


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a ** b, ast.LShift: lambda a, b: a << b, ast.RShift: lambda a, b: a >> b,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: lambda a, b: a is b, ast.IsNot: lambda a, b: a is not b,
}
_NN_BASES = ("nn", "torch.nn", "torch.nn.modules")
_TORCH_FUNCS = ("torch", "F", "torch.nn.functional", "nn.functional", "functional")


def binop(op: ast.operator, a: Any, b: Any) -> Any:
    if isinstance(a, (list, tuple)) and type(a) is type(b) and isinstance(op, ast.Add):
        return a + b
    if isinstance(a, (list, tuple)) and isinstance(b, int) and isinstance(op, ast.Mult) and len(a) * b <= MAX_UNROLL:
        return a * b
    if not (_num(a) and _num(b)):
        return UNKNOWN
    if isinstance(op, ast.Pow) and (abs(b) > 64 or abs(a) > MAX_NUMBER):
        return UNKNOWN
    fn = _BINOPS.get(type(op))
    try:
        out = fn(a, b) if fn else UNKNOWN
    except (ArithmeticError, ValueError, TypeError):
        return UNKNOWN
    if isinstance(out, (int, float)) and abs(out) > MAX_NUMBER:
        return UNKNOWN
    return out


class StatementsMixin:
    def run(self, body: list[ast.stmt], env: ChainMap) -> None:
        for st in body:
            self.stmt(st, env)

    def stmt(self, st: ast.stmt, env: ChainMap) -> None:
        self.tick()
        cls = st.__class__
        if cls is ast.Expr:
            self.ev(st.value, env)
        elif cls is ast.Assign:
            v = self.ev(st.value, env)
            for t in st.targets:
                self.assign(t, v, env, st)
        elif cls is ast.AnnAssign:
            if st.value is not None:
                self.assign(st.target, self.ev(st.value, env), env, st)
        elif cls is ast.AugAssign:
            self.aug_assign(st, env)
        elif cls is ast.If:
            self.if_stmt(st, env)
        elif cls in (ast.For, ast.AsyncFor):
            self.for_stmt(st, env)
        elif cls is ast.While:
            self.while_stmt(st, env)
        elif cls in (ast.With, ast.AsyncWith):
            self.run(st.body, env)
        elif cls is ast.Try or cls.__name__ == "TryStar":
            self.run(st.body, env)
            self.run(st.orelse, env)
            self.run(st.finalbody, env)
        elif cls in (ast.FunctionDef, ast.AsyncFunctionDef):
            env.maps[0][st.name] = Func(st, env, self.self_obj)
        elif cls is ast.Return:
            raise _Return(self.ev(st.value, env) if st.value is not None else None)
        elif cls is ast.Raise:
            raise _Return(UNKNOWN)
        elif cls is ast.Break:
            raise _Break()
        elif cls is ast.Continue:
            raise _Continue()

    def assign(self, target: ast.AST, value: Any, env: ChainMap, st: ast.AST) -> None:
        cls = target.__class__
        if cls is ast.Name:
            env.maps[0][target.id] = value
        elif cls in (ast.Tuple, ast.List):
            elts = target.elts
            if isinstance(value, (list, tuple)) and len(value) == len(elts) and not any(isinstance(e, ast.Starred) for e in elts):
                for t, v in zip(elts, value):
                    self.assign(t, v, env, st)
            else:
                loop = value.loop if isinstance(value, Unknown) else None
                for t in elts:
                    self.assign(t.value if isinstance(t, ast.Starred) else t, Unknown(loop=loop), env, st)
        elif cls is ast.Attribute:
            obj = self.ev(target.value, env)
            if isinstance(obj, Instance):
                obj.attrs[target.attr] = value
                if obj is self.self_obj and self.on_self is not None:
                    self.on_self(target.attr, value, st)
            elif isinstance(obj, Namespace) and not obj.prefix:  # args.wass = True after parsing
                obj.values[target.attr] = value if self.cond == 0 else UNKNOWN
        elif cls is ast.Subscript:
            obj = self.ev(target.value, env)
            key = self.ev(target.slice, env)
            if isinstance(obj, dict) and isinstance(key, (str, int, float, bool, tuple)):
                obj[key] = value
            elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
                obj[key] = value
        elif cls is ast.Starred:
            self.assign(target.value, UNKNOWN, env, st)

    def aug_assign(self, st: ast.AugAssign, env: ChainMap) -> None:
        cur = self.ev(st.target, env) if not isinstance(st.target, ast.Subscript) else UNKNOWN
        val = self.ev(st.value, env)
        if isinstance(cur, list) and isinstance(st.op, ast.Add):
            if isinstance(val, (list, tuple)):
                cur.extend(val)
            else:
                cur.append(self.unknown_layer(st.value))
            return
        self.assign(st.target, binop(st.op, cur, val), env, st)

    def if_stmt(self, st: ast.If, env: ChainMap) -> None:
        t = self._truth(self.ev(st.test, env))
        if t is not None:
            self.run(st.body if t else st.orelse, env)
            return
        # unknown test: both branches run (their layers are marked uncertain); names they set differently
        # become unknown
        local = env.maps[0]
        names = {n.id for b in (st.body, st.orelse) for s in b for n in _targets(s)}
        before = {n: local.get(n, ABSENT) for n in names}
        results = []
        self.cond += 1
        try:
            for branch in (st.body, st.orelse):
                for n, v in before.items():
                    if v is ABSENT:
                        local.pop(n, None)
                    else:
                        local[n] = v
                try:
                    self.run(branch, env)
                except _Return:
                    pass  # a branch that returns: the rest of the function is the other path
                results.append({n: local.get(n, ABSENT) for n in names})
        finally:
            self.cond -= 1
        for n in names:
            a, b = results[0][n], results[1][n]
            same = a is b or (type(a) is type(b) and isinstance(a, (int, float, str, bool)) and a == b)
            if same and a is not ABSENT:
                local[n] = a
            elif a is ABSENT and b is ABSENT:
                local.pop(n, None)
            else:
                local[n] = UNKNOWN

    def for_stmt(self, st: ast.For, env: ChainMap) -> None:
        items, concrete, loop = self.iterate(self.ev(st.iter, env))
        if not concrete:
            self.loops.append(loop)
        broke = False
        try:
            for item in items:
                self.assign(st.target, item, env, st)
                try:
                    self.run(st.body, env)
                except _Continue:
                    continue
                except _Break:
                    broke = True
                    break
        finally:
            if not concrete:
                self.loops.pop()
        if not broke:
            self.run(st.orelse, env)

    def while_stmt(self, st: ast.While, env: ChainMap) -> None:
        for _ in range(0 if self.abstract_loops else 64):  # a known test is run for real (`while size > 4: ...; size //= 2`)
            t = self._truth(self.ev(st.test, env))
            if t is False:
                return
            if t is None:
                break
            try:
                self.run(st.body, env)
            except _Continue:
                continue
            except _Break:
                return
        self.loops.append(None)
        try:
            self.run(st.body, env)
        except (_Break, _Continue):
            pass
        finally:
            self.loops.pop()

    def call_func(self, f: Func, args: list, kwargs: dict) -> Any:
        """Run a user function on abstract arguments; its return value (UNKNOWN when it does not return
        one we can follow)."""
        if self.depth > 8:
            return UNKNOWN
        node = f.node
        env = f.scope.new_child() if isinstance(f.scope, ChainMap) else ChainMap({}, f.scope)
        self.bind(node.args, args, kwargs, env, f.scope, f.self_obj)
        self.depth += 1
        try:
            if isinstance(node, ast.Lambda):
                return self.ev(node.body, env)
            self.run(node.body, env)
            return None
        except _Return as r:
            return r.value
        except (_Break, _Continue):
            return UNKNOWN
        finally:
            self.depth -= 1

    def bind(self, a: ast.arguments, args: list, kwargs: dict, env: ChainMap, scope: Any, self_obj: Any,
             params_unknown: bool = False) -> None:
        positional = [*a.posonlyargs, *a.args]
        values = list(args)
        if self_obj is not None and positional and positional[0].arg in ("self", "cls"):
            values.insert(0, self_obj)
        defaults = dict(zip([p.arg for p in positional[len(positional) - len(a.defaults):]], a.defaults))
        defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
        local = env.maps[0]
        for i, p in enumerate(positional):
            if i < len(values):
                local[p.arg] = _from_param(values[i], p.arg)
        if a.vararg is not None:
            local[a.vararg.arg] = tuple(values[len(positional):])
        extra = {}
        for k, v in kwargs.items():
            if k is None:
                continue
            if any(p.arg == k for p in (*positional, *a.kwonlyargs)):
                local[k] = _from_param(v, k)
            else:
                extra[k] = v
        if a.kwarg is not None:
            local[a.kwarg.arg] = extra if None not in kwargs else UNKNOWN
        splat = None in kwargs  # (a value `is` kwargs[None] only when that key exists: the test it needs)
        for p in (*positional, *a.kwonlyargs):
            if p.arg in local:
                continue
            if splat:
                local[p.arg] = Unknown(param=p.arg)
            elif p.arg in defaults:
                dv = self.ev(defaults[p.arg], scope if isinstance(scope, ChainMap) else ChainMap(scope))
                local[p.arg] = Unknown(param=p.arg) if params_unknown and isinstance(dv, Unknown) else dv
            else:
                local[p.arg] = Unknown(param=p.arg)




def _from_param(v: Any, param: str) -> Any:
    """An unknown argument remembers the parameter it was bound to (a loop over it is a loop over widths)."""
    if isinstance(v, Unknown) and v.param is None:
        return Unknown(param=param, key=v.key, loop=v.loop, config=v.config)
    return v


def _targets(st: ast.stmt) -> list[ast.Name]:
    if isinstance(st, ast.Assign):
        ts = st.targets
    elif isinstance(st, (ast.AugAssign, ast.AnnAssign, ast.For)):
        ts = [st.target]
    else:
        return []
    out = []
    for t in ts:
        if isinstance(t, ast.Name):
            out.append(t)
        elif isinstance(t, (ast.Tuple, ast.List)):
            out.extend(e for e in t.elts if isinstance(e, ast.Name))
    return out

