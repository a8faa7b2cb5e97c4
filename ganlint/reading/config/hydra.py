"""Hydra / OmegaConf trees: a YAML whose top level has a ``defaults:`` list, composed from group folders.

``conf/config.yaml`` with ``defaults: [_self_, {model: wgan}, {optimizer: adam}]`` reads
``conf/model/wgan.yaml`` under the key prefix ``model.`` (its package), ``conf/optimizer/adam.yaml`` under
``optimizer.``; ``# @package _global_`` (or ``# @package a.b``) in a group file's header, and
``{group@pkg: option}`` in the list, change the package. Group files' own defaults lists are followed
(relative to their group, ``/abs`` from the config root). ``_self_`` sets where the file's own values
sit in the order (Hydra >= 1.1: at the end when absent); later values override earlier ones and only the
winner of each key is reported. Every value keeps its own file and line (the group file's).

``${a.b}`` interpolations that point at a literal are resolved (the setting then points at the line
where the literal is written). Missing group files are skipped (Hydra would fail; ganlint only reads).
Group files are read through their primary config: ``read_config_file`` on a group file that a nearby
primary config includes returns nothing, so the same line is never reported twice.
"""
from __future__ import annotations

import os
import re
from dataclasses import replace
from functools import lru_cache
from yaml.nodes import MappingNode, Node, SequenceNode

from ganlint.core.errors import InputError
from ganlint.core.types import Setting
from ganlint.reading.config.values import finite_number
from ganlint.reading.config.yaml_reader import compose_documents, mapping_pairs, plain_value, settings_from_node, _Walk

MAX_INCLUDE_DEPTH = 8
MAX_FILES = 64
_INTERP = re.compile(r"\$\{\s*([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)\s*\}")
_PACKAGE = re.compile(r"^#\s*@package\s+(\S+)", re.M)


def defaults_node(path: str, text: str, doc: Node) -> Node | None:
    if not isinstance(doc, MappingNode):
        return None
    walk = _Walk(path, text, "yaml")
    for key, value in mapping_pairs(doc, walk, 0):
        if key == "defaults" and isinstance(value, SequenceNode):
            return value
    return None


def _read(path: str) -> str | None:
    try:
        if os.path.getsize(path) > 5 * 1024 * 1024:
            return None
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read()
    except (OSError, UnicodeError):
        return None


def _find(root: str, rel: str) -> str | None:
    for suffix in (".yaml", ".yml"):
        candidate = os.path.join(root, *rel.split("/")) + suffix
        if os.path.isfile(candidate):
            return candidate
    return None


def _entries(path: str, text: str, node: Node) -> list[tuple[str, str | None, str | None]]:
    """The defaults list as (group, option, package-override); ('_self_', None, None) for _self_."""
    out: list[tuple[str, str | None, str | None]] = []
    items = plain_value(path, text, node)
    if not isinstance(items, list):
        return out
    for item in items:
        if isinstance(item, str):
            if item == "_self_":
                out.append(("_self_", None, None))
            elif "/" in item.strip("/"):
                group, option = item.strip().rsplit("/", 1)
                out.append((group, option, None))
            else:
                out.append(("", item.strip(), None))
        elif isinstance(item, dict) and len(item) == 1:
            (key, option), = item.items()
            key = str(key).strip()
            for word in ("override ", "optional "):
                if key.startswith(word):
                    key = key[len(word):].strip()
            package = None
            if "@" in key:
                key, package = key.split("@", 1)
            if option is None or option == "???":
                continue
            options = option if isinstance(option, list) else [option]
            for opt in options:
                if isinstance(opt, str) or finite_number(opt):
                    out.append((key, str(opt), package))
    return out


class _Composer:
    def __init__(self, root: str):
        self.root = root
        self.files = 0
        self.included: list[str] = []

    def compose(self, path: str, text: str, doc: Node, group: str, package: list[str], depth: int) -> list[Setting]:
        """Settings of one config file and what its defaults list pulls in, in override order."""
        own = settings_from_node(path, text, doc, package, style="hydra", skip_keys=frozenset({"defaults"}))
        node = defaults_node(path, text, doc)
        if node is None:
            return own
        entries = _entries(path, text, node)
        if not any(e[0] == "_self_" for e in entries):
            entries.append(("_self_", None, None))
        out: list[Setting] = []
        for grp, option, pkg in entries:
            if grp == "_self_":
                out.extend(own)
                continue
            if depth >= MAX_INCLUDE_DEPTH or self.files >= MAX_FILES:
                continue
            if grp.startswith("/"):
                full_group = grp.strip("/")
            else:
                full_group = "/".join(x for x in (group, grp) if x)
            rel = "/".join(x for x in (full_group, option) if x)
            child = _find(self.root, rel)
            if child is None or child in self.included:
                continue
            child_text = _read(child)
            if child_text is None:
                continue
            self.files += 1
            self.included.append(child)
            child_package = self.package(child_text, full_group, pkg)
            for child_doc in compose_documents(child, child_text)[:1]:
                out.extend(self.compose(child, child_text, child_doc, full_group, child_package, depth + 1))
        return out

    @staticmethod
    def package(text: str, group: str, override: str | None) -> list[str]:
        if override is not None:
            spec = override
        else:
            m = _PACKAGE.search("\n".join(text.splitlines()[:20]))
            spec = m.group(1) if m else "_group_"
        if spec == "_global_":
            return []
        if spec.startswith("_global_."):
            spec = spec[len("_global_."):]
        spec = spec.replace("_group_", group.replace("/", "."))
        return [p for p in spec.split(".") if p]


def winners(settings: list[Setting]) -> list[Setting]:
    """The last value of each key, in the order keys first appeared."""
    last: dict[str, Setting] = {}
    order: list[str] = []
    for s in settings:
        if s.key not in last:
            order.append(s.key)
        last[s.key] = s
    return [last[k] for k in order]


def resolve_interpolations(settings: list[Setting]) -> list[Setting]:
    """``${a.b}`` that names a literal -> that literal, pointing at where it is written."""
    by_key = {s.key: s for s in settings}
    out = []
    for s in settings:
        target = s
        for _ in range(10):
            if not isinstance(target.value, str):
                break
            m = _INTERP.fullmatch(target.value.strip())
            if not m or m.group(1) not in by_key:
                break
            target = by_key[m.group(1)]
        if target is not s and not (isinstance(target.value, str) and "${" in target.value):
            s = replace(s, value=target.value, location=target.location, raw=target.raw,
                        value_style=target.value_style)
        out.append(s)
    return out


def compose_hydra(path: str, text: str, doc: Node) -> list[Setting]:
    composer = _Composer(os.path.dirname(path) or ".")
    composer.included.append(os.path.normpath(path))
    return winners(composer.compose(path, text, doc, "", [], 0))


def included_by_primary(path: str) -> bool:
    """True when a primary config up to three folders above `path` includes it through its defaults."""
    target = os.path.normcase(os.path.abspath(path))
    folder = os.path.dirname(target)
    for _ in range(3):
        parent = os.path.dirname(folder)
        if not parent or parent == folder:
            break
        folder = parent
        try:
            stamp = os.stat(folder).st_mtime_ns
        except OSError:
            break
        if target in _included_from(folder, stamp):
            return True
    return False


@lru_cache(maxsize=256)
def _included_from(folder: str, stamp: int) -> frozenset[str]:  # noqa: ARG001 - stamp: part of the cache key
    """Every file the primary configs in `folder` pull in (cached per folder and folder mtime)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return frozenset()
    found: set[str] = set()
    for name in [n for n in names if n.endswith((".yaml", ".yml"))][:32]:
        primary = os.path.join(folder, name)
        text = _read(primary)
        if not text or "defaults" not in text:
            continue
        try:
            docs = compose_documents(primary, text)
            if not docs or defaults_node(primary, text, docs[0]) is None:
                continue
            composer = _Composer(folder)
            composer.included.append(os.path.normpath(primary))
            composer.compose(primary, text, docs[0], "", [], 0)
        except InputError:
            continue
        found.update(os.path.normcase(os.path.abspath(p)) for p in composer.included[1:])
    return frozenset(found)


def has_interpolation(text: str) -> bool:
    return "${" in text


__all__ = ["compose_hydra", "defaults_node", "included_by_primary", "resolve_interpolations", "winners"]
