"""A script function's parameters when the file's `__main__` block calls it: `main(parse_args())` passes the
parsed flags (a Namespace), so main is read with them, not with guessed arguments."""
from __future__ import annotations

import ast
from collections import ChainMap
from typing import Any

from ganlint.reading.code.astutil import dotted
from ganlint.reading.code.construct.evaluator import Budget
from ganlint.reading.code.construct.statements import _Break, _Continue, _Return
from ganlint.reading.code.construct.values import Namespace


def main_calls(block: list[ast.stmt]) -> dict[str | None, list[ast.Call]]:
    """Function name -> the calls of it the `__main__` block makes as statements."""
    called: dict[str | None, list[ast.Call]] = {}
    for st in block:
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call):
            called.setdefault(dotted(st.value.func), []).append(st.value)
    return called


def bind_script_params(ev: Any, fn: ast.FunctionDef, calls: list[ast.Call], globals_: dict, local: ChainMap,
                       click_defaults: dict) -> bool:
    """Bind `fn`'s parameters in `local`: to the parsed flags the one `__main__` call passes, else as
    unknowns (its click defaults kept). True when they are guessed."""
    given = _main_arguments(calls, ev, globals_)
    a = fn.args
    if given is not None:
        ev.bind(a, given, {}, local, ChainMap(globals_), None)
        return False
    ev.bind(a, [], click_defaults, local, ChainMap(globals_), None, params_unknown=True)
    return bool(a.posonlyargs or a.args or a.kwonlyargs or a.vararg or a.kwarg)


def _main_arguments(calls: list[ast.Call], ev: Any, globals_: dict) -> list | None:
    """The values of the one call's positional arguments when all are parsed flags (a Namespace)."""
    if len(calls) != 1 or calls[0].keywords or not calls[0].args:
        return None
    if any(isinstance(a, ast.Starred) for a in calls[0].args):
        return None
    try:
        values = [ev.ev(a, ChainMap(globals_)) for a in calls[0].args]
    except (Budget, RecursionError, _Return, _Break, _Continue):
        return None
    return values if all(isinstance(v, Namespace) for v in values) else None
