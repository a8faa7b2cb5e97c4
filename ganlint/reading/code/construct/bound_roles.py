"""What a file learns from the functions it imports, once the project's files are linked (`Linked`):

- names bound to what a helper of another file builds (`model, adversary = utils.get_gan(opt)`, `self.judge =
  nets.make_discriminator(cfg)`): the classes that helper returns say the names' roles when the names
  themselves say none. Found by syntax in each file, run with unknown arguments and without recording call
  sites (widths come from the calls `link_helper_calls` runs);
- freezing helpers (`from utils import set_requires_grad`): their definitions, which
  recognise/frozen.py reads as it reads one of the file's own."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ganlint.core.roles import role_from_name
from ganlint.reading.code.astutil import dotted
from ganlint.reading.code.construct.evaluator import Budget, Evaluator
from ganlint.reading.code.construct.imports import module_index, module_scope
from ganlint.reading.code.construct.values import UNKNOWN, Func, Instance

_PASS_THROUGH = ("to", "cuda", "cpu", "float", "double", "train", "eval")  # G = build(opt).to(device)
_MAX_BINDS = 32


@dataclass
class Linked:
    classes: dict[str, str] = field(default_factory=dict)  # model -> Generator
    freezers: dict[str, ast.FunctionDef] = field(default_factory=dict)  # set_requires_grad -> its definition


def helper_binds(tree: ast.Module, sc: Any) -> list[tuple[list[str | None], ast.Call, tuple[str, str, int]]]:
    """(target names, the call, (module, function, level)) of each `X = helper(...)` / `X, Y = mod.helper(...)`
    whose helper another file may define and whose targets' names say no role. A helper of this file's own
    (`self.judge = build_discriminator(cfg)` in a trainer's method) is run right away: `sc.bound_class`."""
    out = []
    if not sc.constant_imports and not sc.module_imports and not any(isinstance(v, Func) for v in sc.globals.values()):
        return out  # no imported helper and no function of its own: no statement below can bind (skip the walk)
    for node in _statements(tree.body):
        if node.__class__ is ast.Expr:  # utils.set_requires_grad(netG, False): a freezer, maybe
            f = node.value.func if isinstance(node.value, ast.Call) else None
            origin = _origin(dotted(f), sc) if isinstance(f, ast.Attribute) and len(node.value.args) == 2 else None
            if origin is not None and len(sc.module_calls) < _MAX_BINDS:
                sc.module_calls[dotted(f)] = origin
            continue
        call = node.value
        while isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _PASS_THROUGH:
            call = call.func.value
        if not isinstance(call, ast.Call):
            continue
        origin = _origin(dotted(call.func), sc)
        own = sc.globals.get(call.func.id) if origin is None and isinstance(call.func, ast.Name) else None
        if origin is None and not isinstance(own, Func):
            continue
        target = node.targets[0]
        names = [_target_name(t) for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
        if not any(n and role_from_name(n.rsplit(".", 1)[-1]) is None for n in names):
            continue
        if origin is None:
            for n, cls in _classes(sc, own, call, names):
                sc.bound_class.setdefault(n, cls)
            continue
        out.append((names, call, origin))
        if len(out) >= _MAX_BINDS:
            break
    return out


def _statements(body: list[ast.stmt]):
    """Every single-target assignment and expression statement, in functions and classes too (statements
    only: cheap)."""
    stack = list(reversed(body))
    while stack:
        st = stack.pop()
        if st.__class__ is ast.Assign:
            if len(st.targets) == 1:
                yield st
            continue
        if st.__class__ is ast.Expr:
            yield st
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(st, field, None)
            if inner:
                stack.extend(reversed(inner))


def _origin(name: str | None, sc: Any) -> tuple[str, str, int] | None:
    if not name or name in sc.classes:
        return None
    if name in sc.constant_imports and name.islower():
        return sc.constant_imports[name]
    base, _, attr = name.rpartition(".")
    module = sc.module_imports.get(base) if base else None
    return (module[0], attr, module[1]) if module is not None and attr[:1].islower() else None


def _target_name(t: ast.AST) -> str | None:
    if isinstance(t, ast.Name):
        return t.id
    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
        return f"self.{t.attr}"
    return None


def linked_names(scopes: list) -> dict[str, Linked]:
    """file -> what it learns from the functions it imports: `classes` (name -> class) for the names bound
    by another file's helper, where the class says a role (Generator, Discriminator) and the name does not
    (`model`, `self.judge`); `freezers`, the freezing helpers it calls (by their local name)."""
    pending = [sc for sc in scopes if sc.helper_binds or sc.module_calls or sc.constant_imports]
    if not pending:
        return {}
    by_path, by_tail = module_index([sc.src.path for sc in scopes], scopes)
    out: dict[str, Linked] = {}
    for sc in pending:
        _freezers(sc, by_path, by_tail, out)
        for names, call, (module, name, level) in sc.helper_binds:
            home = module_scope(by_path, by_tail, sc.src.path.replace("\\", "/"), module, level)
            fn = home.globals.get(name) if home is not None and home is not sc else None
            for n, cls in _classes(home, fn, call, names):
                out.setdefault(sc.src.path, Linked()).classes[n] = cls
    return out


def _classes(home: Any, fn: Any, call: ast.Call, names: list[str | None]) -> list[tuple[str, str]]:
    """(name, class) for each target the helper's one return fills with a class that says a role."""
    if not isinstance(fn, Func) or not isinstance(fn.node, ast.FunctionDef) or fn.self_obj is not None \
            or _returns(fn.node) != 1:
        return []  # a helper that returns in several places may build different classes
    value = _run(home, fn, call)
    values = value if len(names) > 1 and isinstance(value, (tuple, list)) else [value]
    if len(values) != len(names):
        return []
    out = []
    for n, v in zip(names, values):
        cls = v.cls if isinstance(v, Instance) and not v.attrs else None
        if n and cls and role_from_name(cls) and role_from_name(n.rsplit(".", 1)[-1]) is None:
            out.append((n, cls))
    return out


def _freezers(sc: Any, by_path: dict, by_tail: dict, out: dict[str, Linked]) -> None:
    from ganlint.reading.code.recognise.frozen import freezer_params

    names = [(k, v) for k, v in sc.constant_imports.items() if "." not in k and k.islower()]
    for local, (module, name, level) in [*names, *sc.module_calls.items()]:
        home = module_scope(by_path, by_tail, sc.src.path.replace("\\", "/"), module, level)
        fn = home.globals.get(name) if home is not None and home is not sc else None
        if isinstance(fn, Func) and isinstance(fn.node, ast.FunctionDef) and freezer_params(fn.node):
            out.setdefault(sc.src.path, Linked()).freezers[local] = fn.node


def _run(home: Any, fn: Func, call: ast.Call) -> Any:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return UNKNOWN
    ev = Evaluator(home.src, home.globals, [2_000])
    ev.abstract_loops = True
    ev.record_calls = lambda cls, args, kwargs, node: Instance(cls.name)  # no call site recorded
    try:
        return ev.call_func(fn, [UNKNOWN] * len(call.args), {k.arg: UNKNOWN for k in call.keywords})
    except (Budget, RecursionError):
        return UNKNOWN


def _returns(fn: ast.FunctionDef) -> int:
    """How many `return` statements the function's own body has (nested defs apart)."""
    count, stack = 0, list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            count += 1
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
    return count


__all__ = ["Linked", "helper_binds", "linked_names"]
