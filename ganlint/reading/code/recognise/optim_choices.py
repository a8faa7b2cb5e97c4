"""An optimizer argument bound to a conditional on the function's own parameter, the parameter's values given
by the calls of that function in the same file:

    def train(case):
        lr_d = 0.0002 if case <= 7 else 0.001
        opt_d = torch.optim.Adam(D.parameters(), lr=lr_d)

    if __name__ == "__main__":
        for i in range(10):
            train(i)

Cases 8 and 9 train at 1e-3: each number of the conditional that some call's value selects is a rate the file
trains at (Optimizer.reached; one number alone becomes the keyword's literal). Only what the file decides
counts: every call of the function passes a literal or a loop variable over `range(<numbers>)` or a list of
numbers (or nothing, the default a number), and the condition is arithmetic and comparisons of the function's
parameters and numbers. Anything else (a flag, a computed argument, a call on an object of unknown class) and
nothing is reached: the conditional stays unknown.
"""
from __future__ import annotations

import ast
import itertools
import operator

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import literal
from ganlint.reading.code.recognise.optim_params import _calls_by_name, _calls_this, _passed, parameter_of

_MAX_VALUES = 1000  # values of one parameter, and combinations of them, tried per conditional
_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
        ast.Mod: operator.mod}
_CMP = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
        ast.NotEq: operator.ne}


def resolve_choices(r) -> None:
    """Each pending conditional (r.pending_choices): the numbers its function's calls select."""
    if not r.pending_choices or r.module_tree is None:
        return
    pending = r.pending_choices
    calls, built = _calls_by_name(r.module_tree, {p[3].name for p in pending}, {p[3].cls for p in pending} - {None})
    loops = _loop_values(r.module_tree)
    for opt, kw, choice, fn in pending:
        params = {n.id for n in walk(choice.test) if isinstance(n, ast.Name)}
        runs = _parameter_runs(built, calls.get(fn.name, []), fn, params, loops)
        reached = _reached(choice, runs) if runs else None
        if not reached:
            continue
        values = {literal(n)[1] for n in reached}
        if len(values) == 1:
            opt.kwargs[kw] = r.src.arg(reached[0])
        else:
            opt.reached[kw] = [r.src.arg(n) for n in reached]


def _loop_values(tree: ast.Module) -> dict[int, dict[str, list]]:
    """id of each call inside a `for v in range(10):` / `for v in [0, 3]:` loop -> {v: its numbers}."""
    out: dict[int, dict[str, list]] = {}
    for node in walk(tree):
        if not isinstance(node, ast.For) or not isinstance(node.target, ast.Name):
            continue
        values = _numbers(node.iter)
        name = node.target.id
        if values is None or any(isinstance(m, ast.Name) and m.id == name and isinstance(m.ctx, ast.Store)
                                 for s in node.body for m in walk(s)):
            continue
        for s in node.body:
            for m in walk(s):
                if isinstance(m, ast.Call):
                    out.setdefault(id(m), {})[name] = values  # (an inner loop's, walked later, wins)
    return out


def _numbers(node: ast.AST) -> list | None:
    if isinstance(node, (ast.List, ast.Tuple)):
        found = [literal(e) for e in node.elts]
        return [v for _, v in found] if found and all(ok and _num(v) for ok, v in found) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" \
            and 1 <= len(node.args) <= 3 and not node.keywords:
        found = [literal(a) for a in node.args]
        if not all(ok and isinstance(v, int) and not isinstance(v, bool) for ok, v in found):
            return None
        span = range(*(v for _, v in found)) if found[-1][1] != 0 or len(found) < 3 else range(0)
        return list(span) if 0 < len(span) <= _MAX_VALUES else None
    return None


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _parameter_runs(built, calls, fn, params: set[str], loops) -> list[dict[str, list]] | None:
    """Per call of `fn`: each parameter of the condition -> the numbers that call gives it; None when some
    call (or a parameter) is not decided by the file."""
    where = {}
    for p in params:
        found = parameter_of(fn, p)
        if found is None:
            return None
        where[p] = found
    runs = []
    for call, written_in in calls:
        splat = any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)
        if not _calls_this(built, call, fn, written_in):
            if splat or any(_passed(call, p, where[p][0]) is not None for p in params):
                return None  # `obj.train(i)` on an object of unknown class: it may be this function
            continue
        if splat:
            return None
        run = {}
        for p, (index, default) in where.items():
            node = _passed(call, p, index)
            node = default if node is None else node
            if node is None:
                return None
            ok, v = literal(node)
            if ok and _num(v):
                run[p] = [v]
            elif isinstance(node, ast.Name) and node.id in loops.get(id(call), {}):
                run[p] = loops[id(call)][node.id]
            else:
                return None
        runs.append(run)
    return runs


def _reached(choice: ast.IfExp, runs: list[dict[str, list]]) -> list[ast.AST] | None:
    """The number nodes of the conditional (nested ones too) that the runs select, in source order; None
    when a branch is not a number or the condition cannot be evaluated."""
    hit: dict[int, ast.AST] = {}
    tried = 0
    for run in runs:
        names = sorted(run)
        for combo in itertools.product(*(run[n] for n in names)):
            tried += 1
            if tried > _MAX_VALUES:
                return None
            node = _select(choice, dict(zip(names, combo)))
            if node is None:
                return None
            hit[id(node)] = node
    return sorted(hit.values(), key=lambda n: (n.lineno, n.col_offset))


def _select(node: ast.AST, env: dict) -> ast.AST | None:
    for _ in range(8):
        if not isinstance(node, ast.IfExp):
            break
        test = _eval(node.test, env)
        if test is None:
            return None
        node = node.body if test else node.orelse
    ok, v = literal(node)
    return node if ok and _num(v) else None


def _eval(node: ast.AST, env: dict, depth: int = 0):
    """Arithmetic and comparisons of numbers and the names in `env`; None when it is anything else."""
    if depth > 16:
        return None
    if isinstance(node, ast.Constant):
        return node.value if _num(node.value) else None
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        v = _eval(node.operand, env, depth + 1)
        return None if v is None else (not v) if isinstance(node.op, ast.Not) else -v
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        a, b = _eval(node.left, env, depth + 1), _eval(node.right, env, depth + 1)
        if a is None or b is None or (isinstance(node.op, (ast.Mod, ast.FloorDiv)) and b == 0):
            return None
        return _BIN[type(node.op)](a, b)
    if isinstance(node, ast.Compare) and all(type(o) in _CMP for o in node.ops):
        left = _eval(node.left, env, depth + 1)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, env, depth + 1)
            if left is None or right is None:
                return None
            if not _CMP[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, env, depth + 1) for v in node.values]
        if any(v is None for v in values):
            return None
        return all(values) if isinstance(node.op, ast.And) else any(values)
    return None
