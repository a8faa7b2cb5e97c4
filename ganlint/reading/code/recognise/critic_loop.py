"""Critic loops: `for _ in range(N):` around the critic's optimizer step (N critic updates per G step)."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import calls_in
from ganlint.reading.code.astutil import call_name, dotted
from ganlint.reading.code.facts import CriticLoop, role_from_name
from ganlint.reading.code.recognise.scope import class_node


def _method(cls_node: ast.ClassDef | None, name: str):
    for st in cls_node.body if cls_node is not None else ():
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name == name:
            return st
    return None


def _attribute_value(cls_node: ast.ClassDef | None, attr: str) -> ast.AST | None:
    """The one value the class's methods assign to `self.<attr>` (None: never, or several different ones)."""
    values = []
    for st in cls_node.body if cls_node is not None else ():
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for n in ast.walk(st):
                if isinstance(n, ast.Assign) and any(dotted(t) == f"self.{attr}" for t in n.targets):
                    values.append(n.value)
                elif isinstance(n, ast.AugAssign) and dotted(n.target) == f"self.{attr}":
                    return None
    if len({ast.dump(v) for v in values}) != 1:
        return None
    return values[0]


def _step_roles(r, body: list[ast.stmt], cls_node: ast.ClassDef | None = None, depth: int = 0) -> set[str]:
    roles = set()
    for st in body:
        for n in calls_in(st):  # the calls of walk(st), in its order
            if depth == 0 and isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and cls_node is not None \
                    and isinstance(n.func.value, ast.Name) and n.func.value.id == "self":
                cache = r.__dict__.setdefault("_method_step_roles", {})  # once per method, however many loops call it
                key = (cls_node.name, n.func.attr)
                if key not in cache:
                    method = _method(cls_node, n.func.attr)  # self._train_critic(real, fake): the step is in there
                    cache[key] = _step_roles(r, method.body, cls_node, depth + 1) if method is not None else set()
                roles |= cache[key]
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "step" and (
                    not n.args or len(n.args) == 1 and "scaler" in (dotted(n.func.value) or "").lower()):
                name = dotted(n.args[0] if n.args else n.func.value)  # opt.step(), AMP's scaler.step(opt)
                if not name:
                    continue
                role = next((o.role for o in r.optimizers_named(name) if o.role), None)
                roles.add(role or role_from_name(name.rsplit(".", 1)[-1]) or "")
    return roles


def end_function(r, fn) -> None:
    for loop in fn.loops:
        it = loop.iter
        if not (isinstance(it, ast.Call) and call_name(it) == "range" and len(it.args) == 1 and not it.keywords):
            continue
        cls_node = class_node(r, fn.cls)
        roles = _step_roles(r, loop.body, cls_node)
        if "critic" in roles and "generator" not in roles:
            count = it.args[0]
            if dotted(count) and dotted(count).startswith("self.") and dotted(count).count(".") == 1:
                # range(self.num_crit_training), set in __init__ from the settings: its value, whatever the name
                cache = r.__dict__.setdefault("_attribute_values", {})
                if (fn.cls, count.attr) not in cache:
                    cache[(fn.cls, count.attr)] = _attribute_value(cls_node, count.attr)
                value = cache[(fn.cls, count.attr)]
                count = value if value is not None else count
            if isinstance(count, ast.Name):  # for _ in range(n_critic) with n_critic = args.critic_iters
                prev = fn.value_before(count.id, loop.lineno) or r.funcs[0].value_before(count.id, 10**9)
                if prev is not None and prev[0] is not None:
                    count = prev[0]
            r.f.critic_loops.append(CriticLoop(r.src.loc(loop), r.src.arg(count)))
