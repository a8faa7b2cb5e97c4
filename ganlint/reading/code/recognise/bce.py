"""Functional sigmoid + BCE on a discriminator's output (scripts without nn.Module classes).

`F.binary_cross_entropy(torch.sigmoid(D(x)), y)`, `prob = torch.sigmoid(D(x)); criterion(prob, y)` with
`criterion = nn.BCELoss()`, and `def D(x): ... return torch.sigmoid(h)` called as `bce(D(x), y)`.
Only a discriminator's output counts (by the called name's role): BCE on another classifier stays silent.
"""
from __future__ import annotations

import ast

from ganlint.reading.code.astutil import call_name, dotted, last
from ganlint.reading.code.facts import Marker, SigmoidBCE

_SIGMOIDS = {"torch.sigmoid", "F.sigmoid", "nn.functional.sigmoid", "torch.nn.functional.sigmoid", "sigmoid",
             "nn.sigmoid", "functional.sigmoid"}
_PASS = ("view", "squeeze", "reshape", "flatten", "unsqueeze", "float", "to", "mean")
_BCE_FUNCS = ("binary_cross_entropy",)


def _is_sigmoid(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = call_name(node) or ""
    if name in _SIGMOIDS and node.args:
        return True
    return isinstance(node.func, ast.Attribute) and node.func.attr == "sigmoid" and not node.args \
        and dotted(node.func.value) not in ("torch", "F", "nn")


def _sigmoid_arg(node: ast.Call) -> ast.AST:
    return node.args[0] if node.args else node.func.value


def _trace(fn, node: ast.AST, line: int) -> ast.AST:
    """Through names assigned earlier in the function and shape-only calls."""
    for _ in range(6):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _PASS:
            node = node.func.value
        elif isinstance(node, ast.Name):
            prev = fn.value_before(node.id, line)
            if prev is None or prev[0] is None:
                return node
            node, line = prev[0], prev[2]
        else:
            return node
    return node


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    is_bce = ln in _BCE_FUNCS or ln == "binary_cross_entropy_with_logits" or (
        name is not None and r.var_class.get(name) in ("BCELoss", "BCEWithLogitsLoss"))
    if not is_bce or not n.args:
        return False
    fn = r.funcs[-1]
    probs = _trace(fn, n.args[0], n.lineno + 1)
    if _is_sigmoid(probs) and ln != "binary_cross_entropy_with_logits" and r.var_class.get(name or "") != "BCEWithLogitsLoss":
        logits = _trace(fn, _sigmoid_arg(probs), probs.lineno + 1)
        if isinstance(logits, ast.Call) and r.role_of_callee(logits) == "critic":
            _add(r, probs, n, dotted(logits.func) or "D")
            r.f.critic_bces.append(Marker("bce", r.src.loc(n), r.src.seg(n), r.scope()))
    elif isinstance(probs, ast.Call) and r.role_of_callee(probs) == "critic":
        r.f.critic_bces.append(Marker("bce", r.src.loc(n), r.src.seg(n), r.scope()))
        r.pending_bce.append((last(call_name(probs)), n))  # D may be a function defined further down
    return False


def _add(r, sig: ast.Call, bce: ast.Call, network: str) -> None:
    loc = r.src.loc(sig)
    if any(s.location == loc for s in r.f.sigmoid_bces):
        return
    arg = _sigmoid_arg(sig)
    r.f.sigmoid_bces.append(SigmoidBCE(loc, r.src.seg(sig), r.src.seg(arg), r.src.loc(bce), r.src.seg(bce), network))


def end_function(r, fn) -> None:
    """A function whose returned value is a sigmoid; at the module's end, the BCE calls on such functions."""
    for st, _targets, _ng in fn.stmts:
        if isinstance(st, ast.Return) and st.value is not None:
            ret = _trace(fn, st.value, st.lineno)
            if _is_sigmoid(ret):
                fn.returns_sigmoid = ret
    if fn.name != "<module>":
        return
    for callee, bce in r.pending_bce:
        helper = r.all_funcs.get(callee)
        if helper is not None and helper.returns_sigmoid is not None:
            _add(r, helper.returns_sigmoid, bce, callee)
