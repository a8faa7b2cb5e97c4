"""Whether an edited Python text still parses, in work proportional to what changed: a plan applies one fix
per finding, and a file pasted many times holds hundreds of findings; CPython's parse of the whole file per
fix made the plan quadratic (420 KB, 300 fixes: minutes, fuzz input 6315).

The last few texts that parsed keep the line spans of their top-level statements. An edit of such a text
only touches the top-level statements around its changes; if those lines parse on their own, the file
parses (the lines before and after are the same complete statements; ast.parse checks syntax only, no
placement rules). Anything else, and every doubt, is CPython's parse of the whole text, with its error.
"""
from __future__ import annotations

import ast
import re

_SPANS: dict[str, list[tuple[int, int]]] = {}  # text -> (first, last) line of each top-level statement
_ODD_BREAKS = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # where str.splitlines and Python's lines differ


def parses(new: str, before: str | None = None, changes: list[tuple[int, int]] = ()) -> SyntaxError | None:
    """None when `new` parses, else CPython's SyntaxError. `changes`: the (start, end) offsets in `before`
    that the edits replaced (everything else of `new` is `before`'s text)."""
    spans = _SPANS.get(before) if before is not None and changes else None
    if spans is not None:
        new_spans = _region_parses(before, new, spans, changes)
        if new_spans is not None:
            _remember(new, new_spans)
            return None
    tree = ast.parse(new)  # SyntaxError, RecursionError, MemoryError, ValueError: the caller's to report
    _remember(new, _top_spans(tree, 0))
    return None


def _top_spans(tree: ast.Module, shift: int) -> list[tuple[int, int]]:
    out = []
    for n in tree.body:
        first = min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", ())])
        out.append((first + shift, (n.end_lineno or n.lineno) + shift))
    return out


def _remember(text: str, spans: list[tuple[int, int]]) -> None:
    if _ODD_BREAKS.search(text):
        return  # its line numbers are not str.splitlines' ones: always parsed whole
    if len(_SPANS) >= 4:
        _SPANS.pop(next(iter(_SPANS)))
    _SPANS[text] = spans


def _region_parses(old: str, new: str, spans: list[tuple[int, int]], changes) -> list[tuple[int, int]] | None:
    """The new text's top-level spans when the lines around `changes` parse alone; None when unsure."""
    if _ODD_BREAKS.search(new):
        return None
    lo = min(old.count("\n", 0, s) + 1 for s, _ in changes)
    hi = max(old.count("\n", 0, e) + 1 for _, e in changes)  # the line holding the first kept character
    for a, b in spans:  # widened to whole top-level statements
        if a <= hi and b >= lo:
            lo, hi = min(lo, a), max(hi, b)
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    hi = min(hi, len(old_lines))
    delta = len(new_lines) - len(old_lines)
    if hi + delta < lo - 1 or old_lines[:lo - 1] != new_lines[:lo - 1] or old_lines[hi:] != new_lines[hi + delta:]:
        return None  # the changes reach past the lines found: parse it all
    try:
        tree = ast.parse("".join(new_lines[lo - 1:hi + delta]))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return ([s for s in spans if s[1] < lo] + _top_spans(tree, lo - 1)
            + [(a + delta, b + delta) for a, b in spans if a > hi])
