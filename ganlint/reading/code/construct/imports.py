"""Names one file imports from another of the project: `from utils.constants import LATENT_DIM` (a plain
value) and `from .blocks import dense_block` (a module-level helper), linked once every file is read."""
from __future__ import annotations

import ast
from typing import Any

from ganlint.reading.code.construct.values import Func, KeyStr, UserClass


def link_constants(scopes: list) -> list:
    """`from utils.constants import LATENT_DIM` takes the value the project's constants module gives it (a
    plain value), `from .blocks import dense_block` the helper function, from the one file the import
    names; the scopes that got one are returned."""
    if not any(sc.constant_imports or sc.class_imports for sc in scopes):
        return []
    by_path, by_tail = module_index([sc.src.path for sc in scopes], scopes)
    linked = []
    for sc in scopes:
        for local, (module, name, level) in sc.class_imports.items():
            home = module_scope(by_path, by_tail, sc.src.path.replace("\\", "/"), module, level)
            node = home.classes.get(name) if home is not None and home is not sc else None
            if node is None or local in sc.classes or local in sc.globals:
                continue
            sc.globals[local] = UserClass(name, node, home)  # built inside a network: run in its own file
            if sc not in linked:
                linked.append(sc)
    for sc in scopes:
        for local, (module, name, level) in sc.constant_imports.items():
            home = module_scope(by_path, by_tail, sc.src.path.replace("\\", "/"), module, level)
            value = home.globals.get(name) if home is not None and home is not sc else None
            if local in sc.classes or not (_plain_constant(value) or isinstance(value, Func) and isinstance(
                    value.node, ast.FunctionDef) and value.self_obj is None):
                continue
            sc.globals[local] = value
            if sc not in linked:
                linked.append(sc)
    return linked


def module_index(paths: list[str], values: list | None = None) -> tuple[dict[str, Any], dict[str, list]]:
    """(module stem -> value, every path suffix -> values) of the project's Python files (a value per path,
    the path itself by default): what `module_scope` resolves an import against, linear in path depth."""
    by_path: dict[str, Any] = {}
    by_tail: dict[str, list] = {}  # every path suffix (`utils/constants`, `constants`)
    for path, value in zip(paths, values if values is not None else paths):
        path = path.replace("\\", "/")
        stem = path[:-3] if path.endswith(".py") else path
        stem = stem[:-9] if stem.endswith("/__init__") else stem
        by_path[stem] = value
        parts = stem.split("/")
        for i in range(len(parts)):
            by_tail.setdefault("/".join(parts[i:]), []).append(value)
    return by_path, by_tail


def module_scope(by_path: dict[str, Any], by_tail: dict[str, list], importer: str, module: str,
                  level: int) -> Any:
    tail = module.replace(".", "/")
    if level:
        base = importer.rsplit("/", level)[0] if importer.count("/") >= level else ""
        stem = f"{base}/{tail}" if base and tail else base or tail
        return by_path.get(stem)
    found = by_tail.get(tail, []) if tail else []
    return found[0] if len(found) == 1 else None


def _plain_constant(v: Any) -> bool:
    if isinstance(v, tuple):
        return all(_plain_constant(x) for x in v)
    return isinstance(v, (int, float, str)) and not isinstance(v, KeyStr)
