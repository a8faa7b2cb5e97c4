"""Model and training code -> CodeFacts (syntax tree only)."""
from __future__ import annotations

import ast

from ganlint.reading.code.facts import CodeFacts


def read_code(path: str, tree: ast.Module, text: str) -> CodeFacts:
    """PLACEHOLDER: the code reader fills CodeFacts from the tree."""
    return CodeFacts()
