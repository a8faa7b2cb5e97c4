"""The LibCST parse of a Python file for the editors (settings in .py files, the code transforms), within
budgets: a file's size and one expression's operator chain."""
from __future__ import annotations

import ast
from typing import Any

from ganlint.fix.edits.base import EditError

_PARSED: dict[str, Any] = {}  # text -> its LibCST module, the last two (see parse_cst)


def parse_cst(path: str, text: str):
    """The LibCST module of `text`. Modules are immutable (a transform returns a new one), and a plan parses
    one text once per rule that weighs a transform, so the last two parses are kept: a LibCST parse of a
    250 KB file is seconds."""
    import libcst as cst

    hit = _PARSED.get(text)
    if hit is not None:
        return hit
    if len(text) > MAX_CST_CHARS:
        raise EditError(f"{len(text) // 1024} KB of Python: too large to edit through LibCST (at most "
                        f"{MAX_CST_CHARS // 1024} KB; its parse and every transform pass cost about a second per "
                        "100 KB, and a plan makes dozens); edit it by hand", path)
    _operator_budget(path, text)
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise EditError(f"syntax error: {exc.message}", path, exc.raw_line) from None
    except RecursionError:
        from ganlint.core.errors import nesting_line

        raise EditError("too deeply nested to edit", path, nesting_line(text)) from None
    if len(_PARSED) >= 2:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[text] = module
    return module


# The largest Python file edited through LibCST. Real training scripts are far smaller (the largest of the
# public GAN/VAE repositories read for the fixtures is under 24 KB); a fuzzed script pasted 24 times (250 KB)
# took 17-60 s of fix. A bigger file gets the rules' textual edits only (checked by CPython's parser).
MAX_CST_CHARS = 32 * 1024
MAX_CHAIN = 1000  # operands of one binary-operator chain LibCST is given (its parse is quadratic in them)


def _operator_budget(path: str, text: str) -> None:
    """EditError when one expression chains more than MAX_CHAIN operands (`lr = 1 + 1 + ... + 1`, 20,000
    of them): LibCST's parser takes 1.5 s for 2,000 and 17 s for 5,000 (fuzz input 7660 ran for minutes)."""
    if len(text) < 4 * MAX_CHAIN:
        return
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:  # Python's verdict first: LibCST may take minutes to reach its own
        raise EditError(f"syntax error: {exc.msg}", path, exc.lineno) from None
    except ValueError:
        return  # LibCST's own error
    except (RecursionError, MemoryError):
        from ganlint.core.errors import nesting_line

        raise EditError("too deeply nested to edit", path, nesting_line(text)) from None
    nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.BinOp, ast.BoolOp, ast.Compare))]
    inner = {id(n.left) for n in nodes if isinstance(n, ast.BinOp)}
    for n in nodes:
        if isinstance(n, ast.BoolOp):
            count = len(n.values)
        elif isinstance(n, ast.Compare):
            count = len(n.ops) + 1
        elif id(n) in inner:
            continue
        else:
            count, cur = 1, n
            while isinstance(cur, ast.BinOp):
                count, cur = count + 1, cur.left
        if count > MAX_CHAIN:
            raise EditError(f"an expression of {count} operands: too long to edit (LibCST's parser is quadratic "
                            f"in them; at most {MAX_CHAIN})", path, n.lineno)
