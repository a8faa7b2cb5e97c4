"""What the walk records per function, for the passes that run when the function ends."""
from __future__ import annotations

import ast
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
    has_critic_call: bool = False
    has_kl_expr: bool = False
    returns_sigmoid: ast.Call | None = None  # the sigmoid call its return value is
    returns_fake: bool = False  # returns G(z) with its graph (a sampling helper)

    def value_before(self, name: str, line: int) -> tuple[ast.AST | None, bool, int] | None:
        """The value last assigned to `name` before `line`: (value, under no_grad, its line)."""
        hist = [h for h in self.assigns.get(name, []) if h[0] < line]
        if not hist:
            return None
        ln, val, ng = hist[-1]
        return val, ng, ln
