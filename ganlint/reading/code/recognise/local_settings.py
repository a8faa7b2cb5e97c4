"""Numbers written as locals of a script's function and handed to a network it builds there:

    def main():
        z_size = 512
        vae = VAE(zsize=z_size, layer_count=5)

`z_size` is the model's latent size as surely as a module constant would be; the config reader sees module
level only, so these become Settings here (style "code": the fix replaces the literal where it is written).
Only locals assigned once, to a plain number, at the function's own level, and only arguments of a call
that builds a network (its result's `.parameters()` are read in the function, or its class name says a
role): a loop bound or a loader's size stays out.
"""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, last
from ganlint.reading.code.facts import role_from_name


def _number(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _built(value: ast.AST) -> ast.Call | None:
    """The constructor call of `VAE(...)`, `VAE(...).cuda()`, `Generator(nz).to(device)`."""
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Call):
        value = value.func.value
    if isinstance(value, ast.Call) and last(call_name(value))[:1].isupper():
        return value
    return None


def end_function(r, fn) -> None:
    if fn.cls is not None or fn.name == "<module>" or not isinstance(fn.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    top = {id(st) for st in fn.node.body}
    params_of: set[str] = set()  # names whose .parameters() the function reads (what it trains)
    for st, _targets, _ng in fn.stmts:
        for node in walk(st):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parameters" \
                    and isinstance(node.func.value, ast.Name):
                params_of.add(node.func.value.id)
    from ganlint.reading.config.values import make_setting

    seen: set[str] = set()
    for st, targets, _ng in fn.stmts:
        if not isinstance(st, ast.Assign) or len(targets) != 1 or not targets[0]:
            continue
        call = _built(st.value)
        if call is None:
            continue
        cls = last(call_name(call))
        if targets[0] not in params_of and role_from_name(cls) is None:
            continue
        args = [(None, a) for a in call.args] + [(k.arg, k.value) for k in call.keywords if k.arg]
        for kw, a in args:
            if not isinstance(a, ast.Name) or a.id in seen:
                continue
            hist = fn.assigns.get(a.id, [])
            if len(hist) != 1 or not _number(hist[0][1]):
                continue
            value_node = hist[0][1]
            owner = next((s for s, t, _ in fn.stmts if s.lineno == hist[0][0] and a.id in t), None)
            if owner is None or id(owner) not in top or not isinstance(owner, ast.Assign):
                continue
            loc = r.src.loc(value_node)
            for key in (a.id, kw):
                if not key:
                    continue
                s = make_setting([key], value_node.value, loc.file, loc.line, loc.column, loc.end_line,
                                 loc.end_column, style="code", raw=r.src.seg(value_node))
                if s.canonical is not None:
                    seen.add(a.id)
                    r.f.local_settings.append(s)
                    break
