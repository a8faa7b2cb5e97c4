"""Whether a hand-written learning-rate assignment only lowers the rate: a step decay, never a warm-up."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import dotted, tokens

_DECAY_WORDS = frozenset({"decay", "gamma"})


def _fraction(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and 0 < node.value < 1


def _decay_name(node: ast.AST) -> bool:
    name = dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
    return bool(name) and bool(_DECAY_WORDS & set(tokens(name.rsplit(".", 1)[-1])))


def _lowering_factor(node: ast.AST, fraction: bool = True) -> bool:
    """`decay_rate`, `0.1 ** (epoch // 30)`, `opt.lr_decay_rate ** steps`, and 0.1 where it scales the current
    rate (`fraction`; `0.001 * min(1.0, step / 500)` writes a base rate, not a factor): a factor below one."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _fraction(node.left) or _decay_name(node.left)
    return (fraction and _fraction(node)) or _decay_name(node)


def lowers_lr(r, st: ast.stmt) -> bool:
    """`g['lr'] *= 0.1`, `g['lr'] = g['lr'] * 0.1`, `param_group['lr'] = new_lr` with `new_lr = opt.learning_rate *
    (opt.lr_decay_rate ** steps)` a line above: a later decay. A rate built with a warm-up in sight is none."""
    if isinstance(st, ast.AugAssign):
        v = st.value
        return (isinstance(st.op, ast.Mult) and _lowering_factor(v)) or (
            isinstance(st.op, ast.Div) and isinstance(v, ast.Constant) and type(v.value) in (int, float) and v.value > 1)
    value = getattr(st, "value", None)
    if isinstance(value, ast.Name):
        prev = r.funcs[-1].value_before(value.id, st.lineno)
        value = prev[0] if prev else None
    if not isinstance(value, ast.BinOp) or not isinstance(value.op, ast.Mult):
        return False
    if any(isinstance(m, (ast.Name, ast.Attribute)) and "warm" in (dotted(m) or "").lower() for m in walk(value)):
        return False
    factors, todo = [], [value]
    while todo and len(factors) < 8:
        m = todo.pop()
        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Mult):
            todo += [m.left, m.right]
        else:
            factors.append(m)
    target = ast.unparse(st.targets[0]) if isinstance(st, ast.Assign) and len(st.targets) == 1 else None
    scales_current = any(isinstance(f, ast.Subscript) and ast.unparse(f) == target for f in factors)  # g['lr'] * 0.1
    return any(_lowering_factor(f, scales_current) for f in factors)
