"""YAML -> Settings, with the line and column of every value (PyYAML's composer, C loader when present).

- Nested mappings give dotted keys (``data.std``); every document of a multi-document stream is read.
- A sequence of scalars (or of sequences of scalars) is one list value. A sequence that holds mappings
  gives indexed keys for those mappings (``optimizers.0.lr``); other items of such a mixed sequence are
  skipped.
- Numeric-looking strings become numbers (PyYAML reads ``1e-3`` as a string), ``"[256,256]"`` becomes
  ``[256, 256]`` with value_style "string-list".
- Aliases are followed (an aliased value keeps the line where its anchor wrote it) under a budget of node
  visits, so a "billion laughs" document is refused fast; merge keys (``<<: *base``) are honoured.
"""
from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ganlint.core.errors import InputError, nesting_line
from ganlint.core.types import Setting
from ganlint.reading.config.values import Unreadable, coerce_string, make_setting

try:  # libyaml: much faster, same node marks
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_VISITS = 100_000  # node visits while walking, plus one per 2 characters (aliases re-visit their anchor's subtree)
MAX_DEPTH = 200
MAX_NUMBER_CHARS = 1000  # a plain int/float scalar longer than this is refused (int() stops at 4300 digits)
MERGE_TAG = "tag:yaml.org,2002:merge"
_constructor: Any = None


def compose_documents(path: str, text: str) -> list[Node]:
    """Every document's root node; malformed YAML -> InputError with the line."""
    try:
        return [doc for doc in yaml.compose_all(text, Loader=_Loader) if doc is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed"
        raise InputError(f"invalid YAML: {problem}", path, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else 'malformed'}", path) from None
    except RecursionError:
        raise InputError("YAML nested too deeply", path, nesting_line(text)) from None
    except (ValueError, TypeError, MemoryError, UnicodeError, OverflowError, AttributeError) as exc:
        raise InputError(f"invalid YAML: {exc.__class__.__name__}", path) from None


class _Walk:
    def __init__(self, path: str, text: str, style: str):
        self.path = path
        self.text = text
        self.style = style
        self.visits = 0
        # a node is at least two characters of text unless an alias repeats it: a long flow list of a big
        # file is read (its size is bounded already), what only aliases can make is refused
        self.budget = MAX_VISITS + len(text) // 2
        self.stack: set[int] = set()
        self.containers: set[int] = set()  # container nodes walked once: a second walk is an alias expansion
        self.expansions = 0
        self.prev_line: int | None = None  # the line of the node walked last (an alias's key or list item)
        self.first_alias_line: int | None = None  # where a container was first walked again: an alias's use
        self.out: list[Setting] = []

    def tick(self, node: Node, depth: int) -> None:
        self.visits += 1
        if not isinstance(node, ScalarNode):
            if id(node) in self.containers:
                if not self.expansions:
                    self.first_alias_line = self.prev_line
                self.expansions += 1
            else:
                self.containers.add(id(node))
        line = node.start_mark.line + 1 if node.start_mark else None
        if self.visits > self.budget:
            if self.expansions:  # the node's own mark is its anchor's: name where the aliases start repeating it
                line = self.first_alias_line or line
                msg = f"YAML expands to more than {self.budget} nodes through aliases (alias bomb?); refusing to read it"
            else:
                msg = f"YAML has more than {self.budget} nodes, too large for a configuration; refusing to read it"
            raise InputError(msg, self.path, line)
        self.prev_line = line
        if depth > MAX_DEPTH:
            raise InputError("YAML nested too deeply", self.path, node.start_mark.line + 1)


def scalar_value(node: ScalarNode) -> tuple[Any, str | None]:
    """A scalar node's Python value and value_style (numbers from strings, string-lists)."""
    global _constructor
    tag = node.tag or ""
    if tag == "tag:yaml.org,2002:str" or not tag.startswith("tag:yaml.org,2002:"):
        return coerce_string(str(node.value))
    if tag == "tag:yaml.org,2002:null":
        return None, None
    if _constructor is None:
        _constructor = yaml.constructor.SafeConstructor()
    kind = tag.rsplit(":", 1)[-1]
    try:
        if kind == "int":
            if len(node.value) > MAX_NUMBER_CHARS:
                return Unreadable(node.value, "is too long for a number"), None
            return _constructor.construct_yaml_int(node), None
        if kind == "float":
            if len(node.value) > MAX_NUMBER_CHARS:
                return Unreadable(node.value, "is too long for a number"), None
            return _constructor.construct_yaml_float(node), None
        if kind == "bool":
            return _constructor.construct_yaml_bool(node), None
    except (ValueError, TypeError, OverflowError, KeyError, IndexError, yaml.YAMLError):
        # the document says it is a number (`!!int 1.5`, `!!float abc`) and it is not: never read as text
        return Unreadable(node.value, f"is not a valid YAML {kind} (tag !!{kind})"), None
    return str(node.value), None


def _is_scalar_tree(node: Node, walk: _Walk, depth: int) -> bool:
    if isinstance(node, ScalarNode):
        return True
    if isinstance(node, SequenceNode) and depth < 6:
        walk.tick(node, depth)
        return all(_is_scalar_tree(n, walk, depth + 1) for n in node.value)
    return False


def _plain(node: Node, walk: _Walk, depth: int = 0) -> Any:
    walk.tick(node, depth)
    if isinstance(node, ScalarNode):
        return scalar_value(node)[0]
    if isinstance(node, SequenceNode):
        return [_plain(n, walk, depth + 1) for n in node.value]
    return None


def mapping_pairs(node: MappingNode, walk: _Walk, depth: int) -> list[tuple[str, Node]]:
    """(key, value node) pairs of a mapping, merge keys expanded, later keys winning."""
    merged: list[tuple[str, Node]] = []
    explicit: list[tuple[str, Node]] = []
    for key_node, value_node in node.value:
        walk.tick(key_node, depth)
        if key_node.tag == MERGE_TAG:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for src in sources:
                if isinstance(src, MappingNode):
                    if id(src) in walk.stack:
                        raise InputError("recursive YAML merge", walk.path, src.start_mark.line + 1)
                    walk.stack.add(id(src))
                    try:
                        merged.extend(mapping_pairs(src, walk, depth + 1))
                    finally:
                        walk.stack.discard(id(src))
            continue
        if not isinstance(key_node, ScalarNode):
            continue  # complex keys carry no setting name
        explicit.append((str(key_node.value), value_node))
    seen: dict[str, int] = {}
    pairs: list[tuple[str, Node]] = []
    for key, value_node in merged + explicit:
        if key in seen:
            pairs[seen[key]] = (key, value_node)
        else:
            seen[key] = len(pairs)
            pairs.append((key, value_node))
    return pairs


def _leaf(walk: _Walk, parts: list[Any], node: Node, value: Any, value_style: str | None) -> None:
    start, end = node.start_mark, node.end_mark
    raw = walk.text[start.index:end.index] if start is not None and end is not None else None
    walk.out.append(
        make_setting(
            parts, value, walk.path, start.line + 1, start.column + 1, end.line + 1, end.column + 1,
            style=walk.style, raw=raw, value_style=value_style,
        )
    )


def _walk(walk: _Walk, node: Node, parts: list[Any], depth: int) -> None:
    walk.tick(node, depth)
    if id(node) in walk.stack:
        raise InputError("recursive YAML alias", walk.path, node.start_mark.line + 1)
    if isinstance(node, ScalarNode):
        if parts:
            value, value_style = scalar_value(node)
            _leaf(walk, parts, node, value, value_style)
        return
    walk.stack.add(id(node))
    try:
        if isinstance(node, MappingNode):
            for key, value_node in mapping_pairs(node, walk, depth):
                _walk(walk, value_node, [*parts, key], depth + 1)
        elif isinstance(node, SequenceNode):
            if _is_scalar_tree(node, walk, depth):
                if parts:
                    _leaf(walk, parts, node, _plain(node, walk, depth), None)
                return
            for i, item in enumerate(node.value):
                if isinstance(item, MappingNode):
                    _walk(walk, item, [*parts, i], depth + 1)
    finally:
        walk.stack.discard(id(node))


def settings_from_node(
    path: str, text: str, node: Node, prefix: list[Any] | None = None, style: str = "yaml",
    skip_keys: frozenset[str] = frozenset(),
) -> list[Setting]:
    """Settings of one composed document (keys under `prefix`), without the context post-pass."""
    walk = _Walk(path, text, style)
    try:
        if isinstance(node, MappingNode) and skip_keys:
            walk.stack.add(id(node))
            for key, value_node in mapping_pairs(node, walk, 0):
                if key not in skip_keys:
                    _walk(walk, value_node, [*(prefix or []), key], 1)
        else:
            _walk(walk, node, list(prefix or []), 0)
    except RecursionError:
        raise InputError("YAML nested too deeply", path, nesting_line(text)) from None
    return walk.out


def plain_value(path: str, text: str, node: Node) -> Any:
    """A node as plain Python (mappings as dicts), under the same budget; for small structures (defaults)."""
    walk = _Walk(path, text, "yaml")

    def conv(n: Node, depth: int) -> Any:
        walk.tick(n, depth)
        if isinstance(n, ScalarNode):
            return scalar_value(n)[0]
        if isinstance(n, SequenceNode):
            return [conv(x, depth + 1) for x in n.value]
        if isinstance(n, MappingNode):
            return {k: conv(v, depth + 1) for k, v in mapping_pairs(n, walk, depth)}
        return None

    return conv(node, 0)


def read_yaml(path: str, text: str) -> list[Setting]:
    out: list[Setting] = []
    for doc in compose_documents(path, text):
        out.extend(settings_from_node(path, text, doc))
    return out
