"""Model and training code -> CodeFacts (syntax tree only: never imports or executes the user's code)."""
from __future__ import annotations

import ast

from ganlint.reading.code.facts import CodeFacts


def read_code(path: str, tree: ast.Module, text: str) -> CodeFacts:
    """Facts of one parsed Python file; ProjectFacts merges the files' facts."""
    from ganlint.reading.code.reader import read_module

    return read_module(path, tree, text)
