"""Syntax-tree walks shared by the readers: ast.walk's order and results, without its per-node generators.

`ast.walk` calls `ast.iter_child_nodes` (a generator over `ast.iter_fields`, another generator) for every
node; on real files that overhead is most of a reader's time. These walks read each class's `_fields` once
and skip the fields that only ever hold plain values (names, numbers, flags).
"""
from __future__ import annotations

import ast
from bisect import bisect_left
from typing import Iterator

# fields that hold str/int/None only, never a node: no child can be missed by skipping them ("name" is not
# one: 3.12's TypeAlias.name is a Name node)
_VALUE_FIELDS = frozenset({"id", "attr", "arg", "module", "level", "kind", "type_comment", "conversion", "simple",
                           "is_async"})
# the fields that hold only leaf markers (Load/Store/Del, operators, comparison operators): no name, call
# or statement is ever under them
_MARKER_FIELDS = _VALUE_FIELDS | {"ctx", "op", "ops"}
# the fields that never hold a call either (contexts, operators, names): the call scan skips them too
_NO_CALL_FIELDS = _MARKER_FIELDS | {"names", "name"}
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}
_CODE_FIELDS: dict[type, tuple[str, ...]] = {}
_CALL_FIELDS: dict[type, tuple[str, ...]] = {ast.Name: (), ast.Constant: ()}
_AST = ast.AST


def node_fields(cls: type) -> tuple[str, ...]:
    """The fields of `cls` that may hold nodes (a node or a list of them)."""
    fields = _NODE_FIELDS.get(cls)
    if fields is None:
        fields = _NODE_FIELDS[cls] = tuple(f for f in cls._fields if f not in _VALUE_FIELDS)
    return fields


def _breadth_first(node: ast.AST, fields_of: dict[type, tuple[str, ...]], skip: frozenset[str]) -> Iterator[ast.AST]:
    """The nodes under `node` (itself included) in ast.walk's order, entering only the fields not in `skip`
    (`fields_of` caches them per class)."""
    todo = [node]
    push = todo.append
    cached = fields_of.get
    for n in todo:  # the list grows while it is read: breadth-first
        cls = n.__class__
        fields = cached(cls)
        if fields is None:
            fields = fields_of[cls] = tuple(f for f in cls._fields if f not in skip)
        for name in fields:
            value = getattr(n, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, _AST):
                        push(item)
            elif isinstance(value, _AST):
                push(value)
        yield n


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under `node` (itself included), breadth-first: exactly ast.walk's sequence."""
    return _breadth_first(node, _NODE_FIELDS, _VALUE_FIELDS)


def walk_code(node: ast.AST) -> Iterator[ast.AST]:
    """walk(node) less the marker leaves (Load/Store/Del, operators): every other node, in the same order.
    The markers have no children, so leaving them out moves nothing else; about a quarter fewer nodes for
    the passes that look only at names, attributes, calls, operations and statements."""
    return _breadth_first(node, _CODE_FIELDS, _MARKER_FIELDS)


def code_children(node: ast.AST) -> list[ast.AST]:
    """ast.iter_child_nodes(node) less the marker leaves (Load/Store/Del, operators), in the same order, as a
    list: without iter_child_nodes' two generators per node."""
    fields = _CODE_FIELDS.get(node.__class__)
    if fields is None:
        fields = _CODE_FIELDS[node.__class__] = tuple(f for f in node.__class__._fields if f not in _MARKER_FIELDS)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            out.extend(item for item in value if isinstance(item, _AST))
        elif isinstance(value, _AST):
            out.append(value)
    return out


def calls_in(tree: ast.AST) -> list[ast.Call]:
    """Every Call under `tree`, in ast.walk's order (the nodes that cannot hold a call are not entered)."""
    call = ast.Call
    return [n for n in _breadth_first(tree, _CALL_FIELDS, _NO_CALL_FIELDS) if n.__class__ is call]


def calls_on_lines(tree: ast.AST, lines: list[int]) -> list[ast.Call]:
    """calls_in(tree) less the calls inside statements that span none of `lines` (sorted line numbers), in
    the same order: for a reader that acts only on calls written on those lines, without walking the
    statements (whole function bodies, whole classes) that cannot hold one. Leaving out whole subtrees moves
    none of the other nodes in the breadth-first order."""
    out: list[ast.Call] = []
    todo = [tree]
    push, found = todo.append, out.append
    fields_of, call, stmt, n_lines = _CALL_FIELDS, ast.Call, ast.stmt, len(lines)
    for n in todo:
        cls = n.__class__
        if cls is call:
            found(n)
        fields = fields_of.get(cls)
        if fields is None:
            fields = fields_of[cls] = tuple(f for f in cls._fields if f not in _NO_CALL_FIELDS)
        for name in fields:
            value = getattr(n, name, None)
            if value.__class__ is list:  # statements only ever sit in lists (bodies)
                for item in value:
                    if isinstance(item, stmt):  # (a def's or class's lineno is after its decorators)
                        decorators = getattr(item, "decorator_list", None)
                        i = bisect_left(lines, decorators[0].lineno if decorators else item.lineno)
                        if i < n_lines and lines[i] <= item.end_lineno:
                            push(item)
                    elif isinstance(item, _AST):
                        push(item)
            elif isinstance(value, _AST):
                push(value)
    return out


_STMT_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")  # where statements (and handlers/cases) sit


def statements_in(node: ast.AST) -> list[ast.stmt]:
    """Every statement under `node` (itself included when it is one), in ast.walk's order, without entering
    any expression: a statement only ever sits in a body, an else, a finally, an except handler's body or
    a match case's body, so the walk follows those fields only (no expression holds a statement)."""
    out: list[ast.stmt] = []
    todo = [node]
    push, found, stmt = todo.append, out.append, ast.stmt
    for n in todo:
        if isinstance(n, stmt):
            found(n)
        for name in _STMT_FIELDS:
            value = getattr(n, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, _AST):
                        push(item)
    return out
