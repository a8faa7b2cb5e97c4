"""A module function of the file that is handed the critic and applies it to a batch it is handed too:

    def wasserstein_distance(x_real, x_fake, f):
        return torch.mean(f(x_real)) - torch.mean(f(x_fake))

    w = wasserstein_distance(real, fake, f=self.D)

The call applies the critic to `fake` as surely as `self.D(fake)` would: the D step's own critic call, with the
argument passed for `x_fake` as its input. Only a helper defined in this file at module level, a critic passed
by a name that says so (`self.D`, `netD`, `critic`), and a batch parameter the helper hands to the critic
parameter unchanged (`f(x_fake)`; `f(x_fake.detach())` is no live input) and never rebinds.
"""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import dotted

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_MAX_NODES = 800  # a helper bigger than this is not read


def critic_inputs(r, call: ast.Call) -> list[ast.AST]:
    """The arguments of `call` that the called helper passes to the critic the call hands it (empty if none)."""
    if not isinstance(call.func, ast.Name) or not (call.args or call.keywords):
        return []
    node = _module_defs(r).get(call.func.id)
    if node is None:
        return []
    params = [p.arg for p in (*node.args.posonlyargs, *node.args.args)]
    passed: dict[str, ast.AST] = {}
    for name, a in zip(params, call.args):
        if isinstance(a, ast.Starred):
            return []
        passed[name] = a
    for k in call.keywords:
        if k.arg is None:
            return []
        passed[k.arg] = k.value
    critics = {p for p, a in passed.items() if _is_critic(r, a)}
    if not critics:
        return []
    cache = r.__dict__.setdefault("_critic_applied", {})  # per file: its trees live as long as the reader
    key = (node.name, frozenset(critics))
    if key not in cache:
        cache[key] = _applied(node, critics)
    return [passed[p] for p in cache[key] if p in passed and p not in critics]


def passes_critic(r, fn) -> bool:
    """Some statement of `fn` calls such a helper with the critic (the D step may be there)."""
    for st, _targets, _ng in fn.stmts:
        for n in walk(st):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and critic_inputs(r, n):
                return True
    return False


def _is_critic(r, arg: ast.AST) -> bool:
    return isinstance(arg, (ast.Name, ast.Attribute)) and bool(dotted(arg)) \
        and r.role_of_callee(ast.Call(arg, [], [])) == "critic"


def _module_defs(r) -> dict[str, ast.AST]:
    table = r.__dict__.get("_module_defs")
    if table is None:
        table = r._module_defs = {st.name: st for st in (r.module_tree.body if r.module_tree else ())
                                  if isinstance(st, _DEFS)}
    return table


def _operands(node: ast.AST) -> list[str] | None:
    """The names a pure arithmetic mix is made of (`alpha * real + (1 - alpha) * fake`, optionally
    `.requires_grad_(True)`); None for anything else (`fake.data`, `fake.detach()`, `Variable(...)`: no
    graph back to the batch)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "requires_grad_":
        node = node.func.value
    if not isinstance(node, ast.BinOp):
        return None
    names: list[str] = []
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, ast.BinOp):
            todo += [n.left, n.right]
        elif isinstance(n, ast.UnaryOp):
            todo.append(n.operand)
        elif isinstance(n, ast.Name):
            names.append(n.id)
        elif not isinstance(n, ast.Constant):
            return None
    return names


def _applied(node: ast.AST, critics: set[str]) -> list[str]:
    """The helper's parameters it calls a critic parameter on, unchanged: `f(x_fake)` -> ["x_fake"]; or mixed
    by arithmetic into a local set once (a gradient penalty's `interpolates = alpha * real + (1 - alpha) * fake`,
    then `D(interpolates)`): the penalty's backward runs through the mix into `fake`'s graph."""
    found: list[str] = []
    stored: dict[str, int] = {}
    mixes: dict[str, list[str]] = {}
    calls: list[str] = []
    for i, n in enumerate(walk(node)):
        if i > _MAX_NODES:
            return []
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            stored[n.id] = stored.get(n.id, 0) + 1
        elif isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            names = _operands(n.value)
            if names is not None:
                mixes[n.targets[0].id] = names
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in critics and n.args \
                and isinstance(n.args[0], ast.Name):
            calls.append(n.args[0].id)
    for name in calls:
        through = mixes.get(name, []) if stored.get(name) == 1 else []
        for p in [name, *through]:
            if p not in found:
                found.append(p)
    return [p for p in found if p not in stored and not critics & set(stored)]
