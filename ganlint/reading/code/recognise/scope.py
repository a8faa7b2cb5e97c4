"""What the walk records per function, for the passes that run when the function ends."""
from __future__ import annotations

import ast
from bisect import bisect_left
from dataclasses import dataclass, field

from ganlint.reading.code.facts import GradCall


@dataclass
class Func:
    name: str
    cls: str | None
    node: ast.AST | None
    assigns: dict[str, list[tuple[int, ast.AST | None, bool]]] = field(default_factory=dict)
    stmts: list[tuple[ast.stmt, list[str], bool]] = field(default_factory=list)  # (statement, targets, no_grad)
    grad_calls: list[tuple[GradCall, str | None]] = field(default_factory=list)
    kl_vars: set[str] = field(default_factory=set)
    loops: list[ast.stmt] = field(default_factory=list)
    unpacked: dict[tuple[str, int], tuple[ast.AST, int]] = field(default_factory=dict)  # (name, line) -> (value, index): `fake, aux = G(z)`
    has_critic_call: bool = False
    step_calls: int = 0  # `x.step()` calls without arguments (optimizer steps, maybe): none, and no loop balances
    has_kl_expr: bool = False
    returns_sigmoid: ast.Call | None = None  # the sigmoid call its return value is
    returns_fake: bool = False  # returns G(z) with its graph (a sampling helper)
    _ordered_upto: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def value_before(self, name: str, line: int) -> tuple[ast.AST | None, bool, int] | None:
        """The value last assigned to `name` before `line`: (value, under no_grad, its line)."""
        hist = self.assigns.get(name)
        if not hist:
            return None
        if self._in_line_order(name, hist):  # the walk appends in source order: bisect, not a scan per query
            i = bisect_left(hist, line, key=_line)
            if i == 0:
                return None
            ln, val, ng = hist[i - 1]
            return val, ng, ln
        before = [h for h in hist if h[0] < line]
        if not before:
            return None
        ln, val, ng = before[-1]
        return val, ng, ln

    def _in_line_order(self, name: str, hist: list) -> bool:
        """Whether `hist`'s lines never decrease; checked once per appended entry (the lists only grow)."""
        done = self._ordered_upto.get(name, 1)
        if done < 0:
            return False
        for k in range(done, len(hist)):
            if hist[k][0] < hist[k - 1][0]:
                self._ordered_upto[name] = -1
                return False
        self._ordered_upto[name] = len(hist)
        return True


    def unpacked_from(self, name: str, line: int) -> tuple[ast.AST, int] | None:
        """(the unpacked value, the name's position in it) when `name` got its value at `line` from a tuple
        assignment of one value: `fake, _, _ = self.G(z)` -> (self.G(z), 0)."""
        return self.unpacked.get((name, line))


def _line(entry: tuple) -> int:
    return entry[0]


def class_node(r, name: str | None) -> ast.ClassDef | None:
    """The module-level class `name` (one lookup table per file)."""
    table = r.__dict__.get("_class_nodes")
    if table is None:
        table = r._class_nodes = {st.name: st for st in (r.module_tree.body if r.module_tree else ())
                                  if isinstance(st, ast.ClassDef)}
    return table.get(name) if name else None
