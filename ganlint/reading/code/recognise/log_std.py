"""A log-standard-deviation under a name that does not say so, read from what the code does with it:

    def loss_function(recon_x, x, mean, std):
        var = torch.pow(torch.exp(std), 2)
        KLD = -0.5 * torch.sum(1 + torch.log(var) - torch.pow(mean, 2) - var)

exp(std) squared is a variance, and the statement after it is the Gaussian KL of that variance (log(var) with
the mean squared): `std` is the encoder's log-std, exponentiated unclamped like any log-variance.
"""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import dotted, literal

_LATER = 8  # statements after the squaring that may hold the KL
_BOUNDS = {"clamp", "clip", "clamp_", "clip_", "tanh", "hardtanh", "softplus", "sigmoid"}


def squared_into_kl(r, stmt: ast.stmt | None, exp_call: ast.Call, is_mu) -> bool:
    """`stmt` is `v = exp(x) ** 2` (torch.pow(exp(x), 2), exp(x).pow(2), torch.square(exp(x))) and one of the
    next statements of the function is a Gaussian KL of `v`: log(v) beside a mean squared (`is_mu` names)."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return False
    if not _squares(stmt.value, exp_call):
        return False
    target = stmt.targets[0].id
    fn = r.funcs[-1]
    arg = exp_call.args[0] if exp_call.args else getattr(exp_call.func, "value", None)
    if isinstance(arg, ast.Name):
        prev = fn.value_before(arg.id, stmt.lineno)
        if prev is not None and prev[0] is not None and any(
                isinstance(m, ast.Call) and (dotted(m.func) or "").rsplit(".", 1)[-1] in _BOUNDS for m in walk(prev[0])):
            return False  # `std = torch.clamp(std, -5, 5)` first: bounded
    body = getattr(fn.node, "body", None) or []
    later = [s for top in body for s in walk(top) if isinstance(s, ast.stmt) and s.lineno > (stmt.end_lineno or stmt.lineno)]
    for st in sorted(later, key=lambda s: s.lineno)[:_LATER]:
        value = getattr(st, "value", None)
        if isinstance(value, ast.AST) and _log_of(value, target) and _mean_squared(value, is_mu):
            return True
    return False


def _two(node: ast.AST) -> bool:
    ok, v = literal(node)
    return ok and not isinstance(v, bool) and v == 2


def _squares(value: ast.AST, inner: ast.Call) -> bool:
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Pow):
        return value.left is inner and _two(value.right)
    if not isinstance(value, ast.Call):
        return False
    f = value.func
    name = dotted(f) or ""
    if name in ("torch.pow", "pow") and len(value.args) == 2:
        return value.args[0] is inner and _two(value.args[1])
    if name in ("torch.square", "square") and len(value.args) == 1:
        return value.args[0] is inner
    if isinstance(f, ast.Attribute) and f.value is inner:
        return (f.attr == "pow" and len(value.args) == 1 and _two(value.args[0])) or (f.attr == "square" and not value.args)
    return False


def _log_of(value: ast.AST, name: str) -> bool:
    for m in walk(value):
        if not isinstance(m, ast.Call):
            continue
        f = m.func
        if (dotted(f) or "") in ("torch.log", "log") and m.args and isinstance(m.args[0], ast.Name) and m.args[0].id == name:
            return True
        if isinstance(f, ast.Attribute) and f.attr == "log" and isinstance(f.value, ast.Name) and f.value.id == name:
            return True
    return False


def _mean_squared(value: ast.AST, is_mu) -> bool:
    for m in walk(value):
        base = None
        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Pow) and _two(m.right):
            base = m.left
        elif isinstance(m, ast.Call) and (dotted(m.func) or "") in ("torch.pow", "pow") and len(m.args) == 2 and _two(m.args[1]):
            base = m.args[0]
        elif isinstance(m, ast.Call) and isinstance(m.func, ast.Attribute) and m.func.attr in ("pow", "square"):
            base = m.func.value
        if isinstance(base, ast.Name) and is_mu(base.id) or isinstance(base, ast.Attribute) and is_mu(base.attr):
            return True
    return False
