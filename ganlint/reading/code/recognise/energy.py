"""Energy-model facts: InfoNCE written as cross_entropy over -E / tau."""
from __future__ import annotations

import ast

from ganlint.reading.code.facts import Marker


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    if ln == "cross_entropy" and n.args:
        fn = r.funcs[-1]
        logits = n.args[0]
        if isinstance(logits, ast.Name):
            prev = fn.value_before(logits.id, n.lineno + 1)
            logits = prev[0] if prev and prev[0] is not None else logits
        if _neg_over_tau(logits):
            r.f.infonce.append(Marker("infonce", r.src.loc(n), r.src.seg(n), r.scope()))
    return False


def _neg_over_tau(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return isinstance(node.operand, ast.BinOp) and isinstance(node.operand.op, ast.Div)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        l = node.left
        return (isinstance(l, ast.UnaryOp) and isinstance(l.op, ast.USub)) or (
            isinstance(l, ast.Call) and isinstance(l.func, ast.Attribute) and l.func.attr == "neg")
    return False
