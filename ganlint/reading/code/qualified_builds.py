"""Which module a qualified construction builds its class from: `wgan.Discriminator(nc)` after
`import models.wgan_model as wgan` builds the Discriminator of models/wgan_model.py, not that of
models/dcgan_model.py, though both classes share the name (a repository of one model module per GAN)."""
from __future__ import annotations

import ast
import re

from ganlint.reading.code.links import segment


def _module_aliases(text: str) -> dict[str, str]:
    """Name in the file -> the dotted module it stands for (`import a.b as c`, `import a.b`, `from a import b`)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _files_of(module: str, homes: set[str]) -> set[str]:
    """The files among `homes` whose path ends in the module's dotted parts."""
    mod = module.split(".")
    out = set()
    for f in homes:
        parts = f[:-3].replace("\\", "/").split("/") if f.endswith(".py") else []
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and len(mod) <= len(parts) and parts[-len(mod):] == mod:
            out.add(f)
    return out


def builds_another(facts, file: str, cls: str, net_file: str, homes: set[str]) -> bool:
    """Every construction of `cls` in `file` is qualified by an imported module that resolves to other
    files defining a class of that name, none of them `net_file`: the file trains another class."""
    cache = facts.__dict__.setdefault("_qualified_builds", {})
    key = (file, cls, net_file)
    if key not in cache:
        cache[key] = _builds_another(facts, file, cls, net_file, homes)
    return cache[key]


def _builds_another(facts, file: str, cls: str, net_file: str, homes: set[str]) -> bool:
    calls = [c for c in facts.code.constructions if c.cls == cls and c.location.file == file]
    if not calls:
        return False
    head = re.compile(rf"^\s*([A-Za-z_][\w.]*)\.{re.escape(cls)}\s*\(")
    aliases = None
    for c in calls:
        m = head.match(segment(facts.texts, c.location) or "")
        if not m:
            return False  # `Discriminator(...)` unqualified: imported by name, whichever module
        if aliases is None:
            aliases = _module_aliases(facts.texts.get(file, ""))
        module = aliases.get(m.group(1))
        found = _files_of(module, homes) if module else set()
        if not found or net_file in found:
            return False
    return True
