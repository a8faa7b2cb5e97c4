"""Where the project calls one of its own functions: `elbo_loss(out, x, mu, logvar)` in a trainer, for a
loss defined in another file.

Asked for a few names only (a loss whose KL weight is a parameter), so the calls are found in the Python
texts by name and only each call's own text is parsed: one scan of the texts per name asked, never a
second parse of a whole file. A name also used as a value (`criterion = elbo_loss`, `partial(elbo_loss,
...)`, a string naming it for getattr) has callers this cannot see: `FunctionCalls.passed` says so.
"""
from __future__ import annotations

import ast
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any, Iterable

from ganlint.core.types import Location
from ganlint.reading.code.facts import Arg

_MAX_CALL = 4000  # characters of one call's text; a longer one is not read (counted as unknown)


@dataclass(eq=False, repr=False)
class CallArg:
    node: ast.expr  # parsed from the call's own text: read its shape, not its positions
    location: Location
    src: str


@dataclass(eq=False, repr=False)
class CallSite:
    location: Location  # the callee's name
    positional: list[CallArg] = field(default_factory=list)
    keywords: dict[str, CallArg] = field(default_factory=dict)
    splat: bool = False  # *args / **kwargs, or a call whose text could not be read: it may pass anything

    def passed(self, param: str, index: int | None) -> CallArg | None:
        """The argument given for `param` (by keyword, or at `index` among the positional ones)."""
        if param in self.keywords:
            return self.keywords[param]
        if index is not None and index < len(self.positional):
            return self.positional[index]
        return None


@dataclass(eq=False, repr=False)
class FunctionCalls:
    calls: list[CallSite] = field(default_factory=list)
    passed: bool = False  # the name is also used as a value: some callers are not seen
    definitions: int = 0  # `def name(` in the project: more than one, and a call may be any of them


def parameter_values(facts, function: str, param: str, index: int | None, default: Arg | None,
                     batch: Iterable[str] = ()) -> list[tuple[str, float, Location, Any]]:
    """The constant values `param` of `function` takes at its calls: ("literal", number, where a call passes
    it), ("setting", value, the setting's location, Setting) for `beta=args.beta`, and ("default", number, the
    default) when some call passes nothing (or no call is seen). Empty when the callers cannot all be seen
    (the function passed around, defined twice, a *args/**kwargs call) or a call passes a computed value
    (`beta=min(1, step / 1000)`: not a constant, maybe annealed)."""
    from ganlint.reading.code.astutil import Source, literal
    from ganlint.reading.code.links import numeric, setting_for_key

    found = function_calls(facts, function, batch)
    if found.passed or found.definitions > 1:
        return []
    out: list[tuple[str, float, Location, Any]] = []
    default_used = not found.calls
    if not found.calls:  # built by a config instead: Hydra `_target_: model.VAE` beside `beta: 0.1`
        configured = _configured_values(facts, function, param)
        if configured is None:
            return []
        out, built, omitted = configured
        default_used = not built or omitted
    for call in found.calls:
        arg = call.passed(param, index)
        if arg is None:
            if call.splat:
                return []  # *args / **kwargs may carry it
            default_used = True
            continue
        ok, value = literal(arg.node)
        if ok and numeric(value):
            out.append(("literal", float(value), arg.location, None))
            continue
        key = Source(arg.location.file, "").config_key(arg.node)
        s = setting_for_key(facts, key) if key is not None else None
        if s is None or not numeric(s.value):
            return []
        out.append(("setting", s.value, s.location, s))
    if default_used:
        if default is None or not (default.has_literal and numeric(default.literal)):
            return []
        out.append(("default", float(default.literal), default.location, None))
    return out


def _configured_values(facts, function: str, param: str):
    """The constructions of class `function` a config writes: a Hydra `_target_: model.VAE` (a Lightning
    `class_path:`) node passes its sibling keys (`init_args:`) as keyword arguments. (values of `param` as
    ("setting", ...) sources, how many such nodes, whether one leaves `param` out); None when one passes a
    value that is no number."""
    from ganlint.reading.code.links import numeric
    from ganlint.reading.vocabulary import TARGET_KEYS

    out: list[tuple[str, float, Location, Any]] = []
    built = omitted = 0
    for s in facts.settings:
        leaf = s.key.rsplit(".", 1)[-1]
        if leaf not in TARGET_KEYS or not isinstance(s.value, str) or re.split(r"[.:]", s.value)[-1] != function:
            continue
        built += 1
        prefix = s.key[:-len(leaf)]
        keys = (prefix + param, prefix + "init_args." + param)
        given = [x for x in facts.settings if x.key in keys]
        arg = next((x for x in given if x.location.file == s.location.file), given[0] if given else None)
        if arg is None:
            omitted += 1
        elif not numeric(arg.value):
            return None
        else:
            out.append(("setting", arg.value, arg.location, arg))
    return out, built, omitted


def function_calls(facts, name: str, batch: Iterable[str] = ()) -> FunctionCalls:
    """Every `name(...)` / `obj.name(...)` call in the project's Python files (definitions and imports left
    out), cached per name on the facts. `batch`: other names to find in the same pass over the texts (one
    pass for all the names a rule asks about, not one per name)."""
    cache = facts.__dict__.setdefault("_function_calls", {})
    if name not in cache:
        wanted = {name, *batch} - set(cache)
        cache.update(_find(facts.texts, wanted))
    return cache[name]


_WORD = re.compile(r"[A-Za-z_]\w*")


def _find(texts: dict[str, str], names: set[str]) -> dict[str, FunctionCalls]:
    out = {n: FunctionCalls() for n in names}
    for path, text in texts.items():
        if not path.endswith(".py"):
            continue
        line, counted = 1, 0  # lines counted up to `counted`: one pass over the text, however many hits
        quotes = None
        for m in _WORD.finditer(text):
            found = out.get(m.group())
            if found is None:
                continue
            start = text.rfind("\n", 0, m.start()) + 1
            prefix = text[start:m.start()]
            stripped = prefix.strip()
            if stripped in ("def", "async def", "class"):  # `class BetaVAE(nn.Module):` names its bases, calls nothing
                found.definitions += 1
                continue
            if quotes is None:  # docstrings: where each triple quote opens or closes, once per file
                quotes = [q.start() for q in re.finditer(r"\"\"\"|\'\'\'", text)]
            if bisect_left(quotes, m.start()) % 2:
                continue  # inside a docstring: `elbo_loss(...)` as an example, not a call
            if stripped.startswith(("from ", "import ")) or (not stripped and _in_import(text, start)):
                continue
            if "#" in prefix:
                continue  # a comment
            if stripped.startswith("class ") or prefix.endswith("super("):
                continue  # a base in a class header (`class DFCVAE(BetaVAE):`), `super(BetaVAE, self)`: no value
            after = m.end()
            while after < len(text) and text[after] in " \t":
                after += 1
            if after >= len(text) or text[after] != "(" or _in_string(prefix):
                found.passed = True  # used as a value (or named in a string): callers unknown
                continue
            line += text.count("\n", counted, m.start())
            counted = m.start()
            found.calls.append(_call_site(path, text, line, start, m.start(), m.end(), after))
    return out


def _in_import(text: str, line_start: int) -> bool:
    """The line continues a parenthesised `from x import (` list."""
    before = text.rfind("import (", max(0, line_start - 2000), line_start)
    return before >= 0 and ")" not in text[before:line_start]


def _in_string(prefix: str) -> bool:
    return (prefix.count("'") - prefix.count("\\'")) % 2 == 1 or (prefix.count('"') - prefix.count('\\"')) % 2 == 1


def _call_site(path: str, text: str, line: int, line_start: int, name_start: int, name_end: int,
               paren: int) -> CallSite:
    col = name_start - line_start
    site = CallSite(Location(path, line, col + 1, line, col + 1 + (name_end - name_start)))
    close = _closing(text, paren)
    if close is None:
        site.splat = True
        return site
    # the call's own text in parentheses, its first line padded so that its columns are the file's
    shift = 1 if col == 0 else 0  # the opening "(" takes column 0: the first line moves right by one
    snippet = "(" + " " * max(col - 1, 0) + text[name_start:close + 1] + ")"
    try:
        call = ast.parse(snippet, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        site.splat = True
        return site
    if not isinstance(call, ast.Call):
        site.splat = True
        return site
    lines = snippet.split("\n")
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        site.splat = True

    def arg(node: ast.expr) -> CallArg:
        l1, l2 = node.lineno, node.end_lineno or node.lineno
        c1 = _chars(lines[l1 - 1], node.col_offset)
        c2 = _chars(lines[l2 - 1], node.end_col_offset or 0)
        loc = Location(path, line + l1 - 1, c1 + 1 - (shift if l1 == 1 else 0), line + l2 - 1,
                       c2 + 1 - (shift if l2 == 1 else 0))
        if l1 == l2:
            src = lines[l1 - 1][c1:c2]
        else:
            src = "\n".join([lines[l1 - 1][c1:], *lines[l1:l2 - 1], lines[l2 - 1][:c2]])
        return CallArg(node, loc, src)

    site.positional = [arg(a) for a in call.args if not isinstance(a, ast.Starred)]
    site.keywords = {k.arg: arg(k.value) for k in call.keywords if k.arg}
    return site


def _chars(line: str, byte_col: int) -> int:
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace")) if not line.isascii() else byte_col


def _closing(text: str, paren: int) -> int | None:
    """The index of the parenthesis closing the one at `paren` (strings and comments skipped), or None."""
    depth = 0
    i, end = paren, min(len(text), paren + _MAX_CALL)
    quote = None
    while i < end:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif c in "'\"":
            quote = text[i:i + 3] if text[i:i + 3] in ("'''", '"""') else c
            i += len(quote)
            continue
        elif c == "#":
            nl = text.find("\n", i, end)
            if nl < 0:
                return None
            i = nl
            continue
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None
