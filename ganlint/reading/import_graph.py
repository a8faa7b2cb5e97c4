"""Which project files import which: read from the import lines of the texts, never by importing."""
from __future__ import annotations

import re

_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\(?([\w., \t]+)|import[ \t]+([\w., \t]+))", re.M)


def imported_names(text: str) -> list[str]:
    """Dotted names the file's import statements name: `import a.b as c` -> a.b; `from .m import x, y` -> m,
    m.x, m.y (a module or a name in it: both are looked up as files)."""
    out = []
    for m in _IMPORT.finditer(text):
        if m.group(3) is not None:
            out += [p.split(" as ")[0].strip() for p in m.group(3).split(",")]
            continue
        mod = m.group(1).lstrip(".")
        names = [p.split(" as ")[0].strip() for p in m.group(2).split(",")]
        out += ([mod] if mod else []) + [f"{mod}.{n}" if mod else n for n in names if n]
    return [n for n in out if n]


def import_graph(facts) -> dict[str, set[str]]:
    """Project Python file -> the project files importing it (one pass over the import lines, cached on the
    facts; a module path matches a file by its trailing parts)."""
    cached = facts.__dict__.get("_import_graph")
    if cached is not None:
        return cached
    by_suffix: dict[str, list[str]] = {}
    files = [f for f in facts.files if f.endswith(".py")]
    for f in files:
        parts = f[:-3].replace("\\", "/").split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for i in range(len(parts)):
            by_suffix.setdefault(".".join(parts[i:]), []).append(f)
    importers: dict[str, set[str]] = {}
    for f in files:
        for name in imported_names(facts.texts.get(f, "")):
            for target in by_suffix.get(name, ()):
                if target != f:
                    importers.setdefault(target, set()).add(f)
    facts.__dict__["_import_graph"] = importers
    return importers


def importers_of(facts, targets: set[str]) -> set[str]:
    """The project's Python files that import one of `targets`, directly or through other project files
    (one pass over the import lines; a module path matches a file by its trailing parts)."""
    importers = import_graph(facts)
    seen: set[str] = set()
    for t in targets:
        seen |= reach(importers, t)
    return seen - targets


def imports_of(facts) -> dict[str, set[str]]:
    """Project Python file -> the project files it imports (import_graph turned round, cached on the facts)."""
    cached = facts.__dict__.get("_imports_of")
    if cached is None:
        cached = {}
        for target, users in import_graph(facts).items():
            for u in users:
                cached.setdefault(u, set()).add(target)
        facts.__dict__["_imports_of"] = cached
    return cached


def reach(graph: dict[str, set[str]], start: str) -> set[str]:
    """`start` and every node reachable from it in `graph`."""
    seen, todo = {start}, [start]
    while todo:
        for g in graph.get(todo.pop(), ()):
            if g not in seen:
                seen.add(g)
                todo.append(g)
    return seen
