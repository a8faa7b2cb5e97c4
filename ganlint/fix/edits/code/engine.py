"""The engine's entry points for code: the rules' textual edits (`replace-code`, `insert-code`, located by
line/column, checked to still parse) and the named LibCST transforms (`transform-code`)."""
from __future__ import annotations

from ganlint.core.types import Edit, Location
from ganlint.fix.edits.base import EditError
from ganlint.fix.edits.code.cst_util import TRANSFORMS
from ganlint.fix.edits.cst_parse import parse_cst


def _offset(text: str, line: int, col: int) -> int:
    lines = text.splitlines(keepends=True)
    if line < 1 or line > len(lines) + 1:
        raise EditError(f"edit location line {line} is outside the file")
    return sum(len(x) for x in lines[: line - 1]) + max(col - 1, 0)


def _anchor_line(path: str, lines: list[str], line: int, anchor: str | None) -> int:
    """The line to insert after: `line`, or, when earlier fixes moved it, the nearest line holding `anchor`."""
    if not anchor or (0 < line <= len(lines) and anchor in lines[line - 1]):
        return line
    hits = [i + 1 for i, text in enumerate(lines) if anchor in text]
    if not hits:
        raise EditError(f"line to insert after not found: {anchor!r}", path, line)
    return min(hits, key=lambda i: (abs(i - line), i))


def _nearest(text: str, old: str, line: int, taken: list[tuple[int, int, str]] = ()) -> int:
    """Offset of the occurrence of `old` whose line is nearest `line` (earlier fixes moved it by a few lines),
    -1 when there is none. Not simply the next one after `line`: that can be a later statement holding the
    same text (a detach meant for the D step landing in the G step)."""
    best, best_d, at, prev, ln = -1, None, text.find(old), 0, 1
    while at >= 0:
        ln += text.count("\n", prev, at)  # lines counted once over the whole file
        prev = at
        # an occurrence another edit of this fix already claimed is not this one (the same call pasted
        # twice: both edits moved by the lines an earlier fix inserted must not land on one of them)
        free = not any(s < at + len(old) and at < e for s, e, _ in taken)
        if free and (best_d is None or abs(ln - line) < best_d):
            best, best_d = at, abs(ln - line)
        at = text.find(old, at + 1)
    return best


# The largest Python file the rules' textual edits are applied to. A pasted script gets a fix per copy, and
# each fix costs a few passes over the file: 420 KB with hundreds of fixes was 127 s (fuzz input 6315). Real
# training scripts are under 32 KB; `check` still reads files of megabytes.
MAX_EDIT_CHARS = 256 * 1024


def apply_text_edits(path: str, text: str, edits: list[Edit]) -> str:
    """The rules' replace-code / insert-code edits, applied bottom-up, then checked to parse."""
    if len(text) > MAX_EDIT_CHARS:
        raise EditError(f"{len(text) // 1024} KB of Python: too large for fix to edit (at most "
                        f"{MAX_EDIT_CHARS // 1024} KB); edit it by hand", path)
    spans = []
    for e in edits:
        loc = e.location
        if loc is None:
            raise EditError(f"{e.kind} edit without a location", path)
        if e.kind == "replace-code":
            try:
                start = _offset(text, loc.line, loc.column)
                end_line = loc.end_line or loc.line
                if loc.end_column is not None:
                    end = _offset(text, end_line, loc.end_column)
                else:
                    end = start + len(str(e.old)) if e.old is not None else _offset(text, end_line + 1, 1) - 1
            except EditError:
                if e.old is None:
                    raise
                start = end = -1  # past the end now: an earlier fix removed lines; found by its text below
            claimed = start < 0 or any(s < end and start < t for s, t, _ in spans)  # moved lines
            if e.old is not None and (text[start:end] != str(e.old) or claimed):
                # tolerate an inclusive end column, else find the old text on the line
                if not claimed and text[start : end + 1] == str(e.old):
                    end += 1
                else:
                    ls = _offset(text, loc.line, 1) if start >= 0 else len(text)
                    idx = _nearest(text, str(e.old), loc.line, spans)
                    if idx < 0:
                        if str(e.new) and str(e.new) in text[ls : ls + 400]:
                            continue  # already applied
                        raise EditError(f"text to replace not found: {e.old!r}", path, loc.line)
                    start, end = idx, idx + len(str(e.old))
            spans.append((start, end, str(e.new)))
        elif e.kind == "insert-code":
            lines = text.splitlines(keepends=True)
            line_no = _anchor_line(path, lines, loc.line, e.old)
            loc = Location(loc.file, line_no, 1)
            cur = lines[loc.line - 1] if loc.line - 1 < len(lines) else ""
            indent = cur[: len(cur) - len(cur.lstrip())]
            new_lines = "".join(indent + ln + "\n" for ln in str(e.new).splitlines())
            if new_lines.strip() and new_lines.strip() in text:
                continue  # idempotent
            at = _offset(text, loc.line + 1, 1) if loc.line < len(lines) else len(text)
            if at == len(text) and text and not text.endswith("\n"):
                new_lines = "\n" + new_lines
            spans.append((at, at, new_lines))
    before = text
    for start, end, new in sorted(spans, key=lambda s: (s[0], s[1]), reverse=True):
        text = text[:start] + new + text[end:]
    _check_parses(path, text, before, [(s, e) for s, e, _ in spans])
    return text


def _check_parses(path: str, text: str, before: str | None = None, changes: list[tuple[int, int]] = ()) -> None:
    """The edited text is still Python, by CPython's own parser: a LibCST parse per fix was a second per
    30 KB, and a file with a finding per pasted copy gets a fix each (fuzz input 2745: 67 fixes, 19 s);
    only the top-level statements around the changes when the text before them parsed (parse_check)."""
    from ganlint.fix.edits.code.parse_check import parses

    try:
        parses(text, before, changes)
    except SyntaxError as exc:
        raise EditError(f"syntax error: {exc.msg}", path, exc.lineno) from None
    except (RecursionError, MemoryError, ValueError):  # nested too deeply, a NUL: LibCST's verdict and error
        parse_cst(path, text)


_DONE: dict[tuple, str] = {}  # (path, text, transforms) -> result, the last few (see apply_transforms)


def apply_transforms(path: str, text: str, edits: list[Edit]) -> str:
    """The named transforms applied in turn. A transform is a pure function of the text and its parameters,
    and one is asked for several times per plan (a rule weighs it against its textual edits, then the fixer
    applies it): each LibCST pass over a big file is seconds, so the last few results are kept."""
    key = (path, text, repr([(e.target, e.new) for e in edits]))
    done = _DONE.get(key)
    if done is not None:
        return done
    try:
        new = _apply_transforms(path, text, edits)
    except RecursionError:  # LibCST's visitors recurse once per node level
        from ganlint.core.errors import nesting_line

        raise EditError("too deeply nested to edit (past Python's recursion limit)", path, nesting_line(text)) from None
    if len(_DONE) >= 8:
        _DONE.pop(next(iter(_DONE)))
    _DONE[key] = new
    return new


def _apply_transforms(path: str, text: str, edits: list[Edit]) -> str:
    module = parse_cst(path, text)
    for e in edits:
        fn = TRANSFORMS.get(e.target or "")
        if fn is None:
            raise EditError(f"unknown code transform {e.target!r}", path)
        try:
            module = fn(module, dict(e.new or {}))
        except EditError as exc:
            if exc.file is None:
                exc.file = path
            raise
    return module.code
