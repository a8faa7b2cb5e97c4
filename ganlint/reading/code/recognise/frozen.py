"""Which networks have their parameters' requires_grad off where a statement runs.

The StyleGAN family freezes the generator for the discriminator step instead of detaching the fake:
`requires_grad(generator, False)` (a helper setting `p.requires_grad = flag` for every parameter of its model
argument), `for p in G.parameters(): p.requires_grad = False` inline, or `G.requires_grad_(False)`. A G(z)
computed while its parameters are frozen has no graph back into them, so the D backward never reaches G.

A must-analysis over the function's statements: a network counts as frozen at a statement only when every
path to it (branches joined, loops iterated to a fixed point, both the first iteration and the later ones)
last set it to False. Anything the reading cannot follow leaves it unknown, and unknown is not frozen.
"""
from __future__ import annotations

import ast
from bisect import bisect_right

from ganlint.reading.code.astutil import dotted, literal
from ganlint.reading.code.recognise.scope import class_node

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)


def generator_frozen(r, fn, where: ast.AST | None) -> bool:
    """The generator call `where` (G(z), self.netG(z)) runs while that network's parameters are frozen."""
    if not isinstance(where, ast.Call):
        return False
    mentions = r.__dict__.get("_mentions_requires_grad")
    if mentions is None:  # once per file: a search of the whole text per generator call grows with the file squared
        mentions = r.__dict__["_mentions_requires_grad"] = "requires_grad" in r.src.text
    if not mentions and not r.linked.freezers:
        return False
    name = _network_name(where.func)
    if name is None:
        return False
    cache = r.__dict__.setdefault("_frozen_states", {})
    if id(fn) not in cache:
        cache[id(fn)] = _Flow(r, fn).run()
    starts, spans = cache[id(fn)]
    at = bisect_right(starts, where.lineno) - 1  # simple statements do not nest: the last one starting before
    # ... and it must hold the call (one in an if/while header is in none: not read)
    return at >= 0 and where.lineno <= spans[at][0] and spans[at][1].get(name) is False


def _network_name(node: ast.AST) -> str | None:
    name = dotted(node)
    for suffix in (".forward", ".module"):  # netG.module(z) of nn.DataParallel(netG) holds netG's parameters
        if name and name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _params_loop_flag(st: ast.stmt) -> tuple[ast.AST, ast.AST] | None:
    """`for p in X.parameters(): p.requires_grad = F` (or `p.requires_grad_(F)`) -> (X, F)."""
    if not isinstance(st, (ast.For, ast.AsyncFor)) or not isinstance(st.target, ast.Name) or st.orelse:
        return None
    it = st.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "parameters"):
        return None
    p = st.target.id
    flags = []
    for s in st.body:
        if isinstance(s, ast.Assign) and len(s.targets) == 1 and dotted(s.targets[0]) == f"{p}.requires_grad":
            flags.append(s.value)
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and dotted(s.value.func) == f"{p}.requires_grad_":
            flags.append(s.value.args[0] if s.value.args else ast.Constant(True))
        else:
            return None  # the loop does something else too: not read
    return (it.func.value, flags[0]) if len(flags) == 1 else None


def _helper(r, fn, call: ast.Call) -> tuple[list[str], ast.FunctionDef] | None:
    """(parameter names, definition) of the function `call` calls when its whole body sets requires_grad
    of every parameter of its first argument: `def requires_grad(model, flag=True): for p in
    model.parameters(): p.requires_grad = flag`. Defined in this file (module level, or a method called
    on self), or in another file of the project (`from utils import set_requires_grad`, `utils.freeze(G,
    True)`: linked by construct/bound_roles.py); a list argument walked first (`for net in nets:`) is
    accepted as well."""
    f = call.func
    node = None
    if isinstance(f, ast.Name):
        node = _module_defs(r).get(f.id) or r.linked.freezers.get(f.id)
    elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id != "self":
        node = r.linked.freezers.get(f"{f.value.id}.{f.attr}")
    if node is None and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self":
        cls = class_node(r, fn.cls)
        node = next((s for s in cls.body if isinstance(s, ast.FunctionDef) and s.name == f.attr), None) if cls else None
    if node is None:
        return None
    cache = r.__dict__.setdefault("_freezers", {})
    if id(node) not in cache:
        cache[id(node)] = freezer_params(node)
    params = cache[id(node)]
    return (params, node) if params else None


def freezer_params(node: ast.FunctionDef) -> list[str] | None:
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    if params and params[0] in ("self", "cls"):
        params = params[1:]
    if len(params) != 2:
        return None
    model, flag = params
    body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]  # docstring
    first = body[0] if body else None
    if isinstance(first, ast.If) and not first.orelse and len(first.body) == 1 and isinstance(first.body[0], ast.Assign) \
            and [dotted(t) for t in first.body[0].targets] == [model]:
        body = body[1:]  # `if not isinstance(nets, list): nets = [nets]`
    if len(body) != 1:
        return None
    loop = body[0]
    if isinstance(loop, ast.For) and isinstance(loop.target, ast.Name) and dotted(loop.iter) == model and not loop.orelse:
        inner = [s for s in loop.body if not isinstance(s, ast.If)] or [
            s for i in loop.body if isinstance(i, ast.If) for s in i.body]  # `if net is not None:`
        if len(inner) != 1:
            return None
        model, loop = loop.target.id, inner[0]
    got = _params_loop_flag(loop)
    if got is None or dotted(got[0]) != model or dotted(got[1]) != flag:
        return None
    return params


def _module_defs(r) -> dict[str, ast.FunctionDef]:
    table = r.__dict__.get("_module_defs")
    if table is None:
        table = r._module_defs = {s.name: s for s in (r.module_tree.body if r.module_tree else ())
                                  if isinstance(s, ast.FunctionDef)}
    return table


def _flag(node: ast.AST | None) -> bool | None:
    ok, value = literal(node)
    return value if ok and isinstance(value, bool) else None


def _nets(node: ast.AST) -> list[str]:
    parts = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    return [n for n in (_network_name(p) for p in parts) if n]


def _join(*states: dict | None) -> dict | None:
    live = [s for s in states if s is not None]  # None: a path that never gets here (after break/return)
    if not live:
        return None
    first = live[0]
    return {k: v for k, v in first.items() if all(s.get(k, not v) == v for s in live[1:])}


class _OutOfBudget(Exception):
    pass


class _Flow:
    def __init__(self, r, fn):
        self.r, self.fn = r, fn
        self.entry: dict[int, tuple[int, int, dict]] = {}  # id of a simple statement -> (lines, state on entry)
        self.loops: list[tuple[list, list]] = []  # per enclosing loop: (states at continue, states at break)
        self.budget = 20_000  # statements visited (nested loops are walked once per round): past it, nothing is read

    def run(self) -> tuple[list[int], list[tuple[int, dict]]]:
        body = getattr(self.fn.node, "body", None)
        if isinstance(body, list):
            try:
                self.block(body, {})
            except (_OutOfBudget, RecursionError):  # past the budget or the stack: nothing is read as frozen
                return [], []
        got = sorted(self.entry.values(), key=lambda e: e[0])
        return [ln for ln, _, _ in got], [(end, s) for _, end, s in got]

    def block(self, body: list[ast.stmt], state: dict | None) -> dict | None:
        for st in body:
            state = self.stmt(st, state)
        return state

    def stmt(self, st: ast.stmt, state: dict | None) -> dict | None:
        if isinstance(st, _DEFS):
            return state
        self.budget -= 1
        if self.budget < 0:
            raise _OutOfBudget
        if state is None:  # unreachable here: record nothing (unknown, never frozen)
            return None
        if isinstance(st, _SIMPLE):
            self.entry[id(st)] = (st.lineno, st.end_lineno or st.lineno, state)
            return self.simple(st, state)
        if isinstance(st, (ast.For, ast.AsyncFor)) and _params_loop_flag(st):
            target, flag = _params_loop_flag(st)
            return self.set(state, _nets(target), _flag(flag))
        if isinstance(st, ast.If):
            return _join(self.block(st.body, state), self.block(st.orelse, state))
        if isinstance(st, (ast.For, ast.AsyncFor, ast.While)):
            return self.loop(st, state)
        if isinstance(st, (ast.With, ast.AsyncWith)):
            return self.block(st.body, state)
        if isinstance(st, ast.Try) or type(st).__name__ == "TryStar":
            end = self.block(st.body, state)
            caught = [self.block(h.body, _join(state, end)) for h in st.handlers]
            return self.block(st.finalbody, _join(self.block(st.orelse, end), *caught))
        if isinstance(st, ast.Match):
            return _join(state, *(self.block(c.body, state) for c in st.cases))
        if isinstance(st, (ast.Continue, ast.Break)) and self.loops:
            self.loops[-1][0 if isinstance(st, ast.Continue) else 1].append(state)
            return None
        if isinstance(st, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
            return None
        return state

    def loop(self, st: ast.For | ast.AsyncFor | ast.While, state: dict) -> dict | None:
        head = state
        for _ in range(8):  # descending from the state before the loop: a fixed point within a few rounds
            self.loops.append(([], []))
            end = self.block(st.body, head)
            conts, breaks = self.loops.pop()
            new = _join(state, end, *conts)
            if new == head:
                return _join(self.block(st.orelse, head), *breaks)
            head = new
        self.block(st.body, {})  # no fixed point: every statement inside is unknown
        return {}

    def simple(self, st: ast.stmt, state: dict) -> dict:
        if isinstance(st, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            bound = {n for t in targets for n in _nets(t)}  # a network built anew trains again
            state = {k: v for k, v in state.items() if k not in bound}
        value = st.value if isinstance(st, ast.Expr) else None
        if not isinstance(value, ast.Call):
            return state
        f = value.func
        if isinstance(f, ast.Attribute) and f.attr == "requires_grad_":  # G.requires_grad_(False)
            flag = _flag(value.args[0]) if value.args else True
            return self.set(state, _nets(f.value), flag)
        helper = _helper(self.r, self.fn, value)
        if helper is None:
            return state
        (model, flag_name), node = helper
        args = dict(zip((model, flag_name), value.args))
        args.update((k.arg, k.value) for k in value.keywords if k.arg in (model, flag_name))
        if model not in args:
            return state
        if flag_name in args:
            flag = _flag(args[flag_name])
        else:
            defaults = node.args.defaults
            flag = _flag(defaults[-1]) if defaults else None
        return self.set(state, _nets(args[model]), flag)

    @staticmethod
    def set(state: dict, names: list[str], flag: bool | None) -> dict:
        out = {k: v for k, v in state.items() if k not in names}
        if flag is not None:
            out.update((n, flag) for n in names)
        return out
