"""Error recovery for a file that fails to parse at a statement written for an older Python.

Each parse that fails names a line; when the statement there carries a mark of old Python (`async` or
`await` used as a name, `<>`, `ur''`, backticks, a parenthesised parameter list, a Python 2 `print`/`exec`),
that one statement is neutralised in place and the file is parsed again, at most MAX_TRIES times (so the
cost stays linear in the file). Every line keeps its number. A statement with no such mark is a real
syntax error: recovery gives up and the caller reports it as before.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize

MAX_TRIES = 8
MAX_STATEMENT_LINES = 30  # a "statement" longer than this is an unclosed bracket, not one bad line

# `async`/`await` as a name: a keyword argument, an attribute, an assignment target, an imported name
_AS_NAME = re.compile(r"(?:(?<=\.)|(?<=import )|(?<=def ))\b(async|await)\b|\b(async|await)\b(?=\s*(?:=(?!=)|[,)]))")
_OLD_MARKS = re.compile(
    r"<>|\bur['\"]|`|^\s*(?:print|exec)\b(?!\s*\()|\bdef\s+\w+\s*\([^)]*\(|\blambda\s*\(|"
    r"^\s*except\s+[\w.]+\s*,|^\s*raise\s+[\w.]+\s*,", re.M)
_HEADER_WORD = re.compile(r"^(\s*)(\w+)")


def _statements(text: str) -> dict[int, tuple[int, int]]:
    """Line -> (first, last) line of the logical statement holding it, from the tokenizer (which, unlike
    the parser, reads old syntax); lines after a tokenizer error are left out (each is its own statement)."""
    spans: dict[int, tuple[int, int]] = {}
    first = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            if first is None:
                first = tok.start[0]
            if tok.type == tokenize.NEWLINE:
                for line in range(first, tok.start[0] + 1):
                    spans[line] = (first, tok.start[0])
                first = None
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return spans


def _is_header(lines: list[str], first: int, last: int) -> bool:
    """The statement opens a block: the next code line is indented deeper than its first line."""
    indent = len(lines[first]) - len(lines[first].lstrip())
    for line in lines[last + 1:]:
        if line.strip() and not line.lstrip().startswith("#"):
            return len(line) - len(line.lstrip()) > indent
    return False


def _neutral(lines: list[str], first: int, last: int) -> list[str]:
    """The statement as `pass` (or, when it opens a block, a header that keeps its body parseable), its
    continuation lines blank."""
    m = _HEADER_WORD.match(lines[first])
    indent, word = (m.group(1), m.group(2)) if m else ("", "")
    if not _is_header(lines, first, last):
        head = f"{indent}pass"
    elif word == "def":
        name = re.match(r"\s*def\s+(\w+)", lines[first])
        head = f"{indent}def {name.group(1) if name else '_'}(*_args, **_kwargs):"
    elif word in ("elif", "except"):
        head = f"{indent}{word} {'True' if word == 'elif' else 'Exception'}:"
    else:
        head = f"{indent}if True:"
    return [head] + [""] * (last - first)


def neutralise_until_parsed(path: str, original: str, lines: list[str]):
    """(tree, text, skipped first lines, renamed lines) once the file parses, or None when a statement
    that fails has no mark of old Python, or MAX_TRIES neutralisations were not enough.

    `lines` is the file after the Python 2 line rewrites; `original` is the file as written (its
    statements are found by the tokenizer, its marks looked for there)."""
    lines = list(lines)
    spans = None
    skipped: list[int] = []
    renamed: list[int] = []
    for _ in range(MAX_TRIES + 1):
        text = "\n".join(lines) + "\n"
        try:
            return ast.parse(text, filename=path), text, sorted(skipped), sorted(renamed)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            at = getattr(exc, "lineno", None)
        if not at or at > len(lines) or len(skipped) + len(renamed) >= MAX_TRIES:
            return None
        if spans is None:
            spans = _statements(original)
        first, last = spans.get(at, (at, at))
        if last - first >= MAX_STATEMENT_LINES:
            return None
        src = "\n".join(original.splitlines()[first - 1:last])
        old_as_name = [i for i in range(first - 1, last) if _AS_NAME.search(lines[i])]
        if old_as_name and not any(i + 1 in renamed for i in old_as_name):
            for i in old_as_name:  # same length: the columns of everything after stay right
                lines[i] = _AS_NAME.sub(lambda m: "_sync" if "async" in m.group(0) else "_wait", lines[i])
                renamed.append(i + 1)
            continue
        if (first in skipped) or not _OLD_MARKS.search(src):
            return None
        lines[first - 1:last] = _neutral(lines, first - 1, last - 1)
        skipped.append(first)
    return None
