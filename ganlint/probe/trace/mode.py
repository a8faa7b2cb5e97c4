"""Which mode a file gets: a training program (run it) or model code (build + recipe). Reads, never imports.

A file is a training program when an optimizer-style `.step()` call (or a Lightning `Trainer(...).fit(...)`)
is reached from module level: in a module-level statement (a loop at the top of the file), or in a function
of the same file that module-level code calls (`main()` under `if __name__ == "__main__":`), followed through
calls to the file's own functions.
"""
from __future__ import annotations

import ast

_LOOP_CALLS = ("step", "fit")


def _calls(node: ast.AST):
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            yield n


def _is_loop_call(call: ast.Call) -> bool:
    f = call.func
    return isinstance(f, ast.Attribute) and f.attr in _LOOP_CALLS


def _called_name(call: ast.Call) -> str | None:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    return None


def has_training_loop(path: str) -> bool:
    """True when the file (Python) reaches an optimizer `.step()` or a `.fit(` from module level."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return False
    funcs: dict[str, ast.AST] = {}
    top: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            funcs[stmt.name] = stmt
        elif not isinstance(stmt, ast.ClassDef):
            top.append(stmt)
    seen: set[str] = set()
    todo: list[ast.AST] = list(top)
    while todo:
        node = todo.pop()
        for call in _calls(node):
            if _is_loop_call(call):
                return True
            name = _called_name(call)
            if name in funcs and name not in seen:
                seen.add(name)
                todo.append(funcs[name])
    return False
