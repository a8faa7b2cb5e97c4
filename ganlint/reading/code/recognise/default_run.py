"""What the default run skips: the arms of `if args.wass:` when `--wass` is a store_true flag (default
False) that nothing in the default run turns on. Weight clipping written only there (inline, or in a helper
every call of which is there) does not make the project a WGAN: its default run trains a standard GAN.

An arm is skipped only when its test is decided by such flags (`args.wass`, `not args.gan`, `args.wass or
args.ali`); a flag some statement sets outside skipped arms (`args.wass = True` after parsing) is not
decided, and neither is any other test: unknown runs (precision first).
"""
from __future__ import annotations

import ast
import re

from ganlint.reading.code.astutil import Source, dotted

_MAX_FLAG_PASSES = 4
_REWRITTEN = re.compile(r"setattr\(|__dict__\.update\(|vars\([^()]*\)\.update\(|\.set_defaults\(")


def off_flags(r) -> frozenset[str]:
    """The file's flags whose default is False and that no statement outside a skipped arm sets."""
    got = r.__dict__.get("_off_flags")
    if got is not None:
        return got
    flags = r.act_tables.globals.get("__flags__") or {}
    off = {dest for dest, v in flags.items() if v is False}
    if off and _REWRITTEN.search(r.src.text):
        off = set()  # vars(args).update(cfg), setattr(args, k, v): any flag may be set by data
    if off and r.module_tree is not None:
        sets = _flag_sets(r.module_tree.body, off)
        for _ in range(_MAX_FLAG_PASSES):
            keep = {f for f in off if all(any(_arm_skipped(t, arm, off) for t, arm in arms) for arms in sets.get(f, ()))}
            if keep == off:
                break
            off = keep
    r._off_flags = got = frozenset(off)
    return got


def arm_skipped(r, test: ast.AST, arm: bool) -> bool:
    off = off_flags(r)
    return bool(off) and _arm_skipped(test, arm, off)


def _arm_skipped(test: ast.AST, arm: bool, off: set[str] | frozenset[str]) -> bool:
    v = _value(test, off)
    return v is not None and v is not arm


def _value(test: ast.AST, off) -> bool | None:
    """The test's value in the default run, when only off flags decide it."""
    if isinstance(test, ast.Attribute) and isinstance(test.value, ast.Name) and test.attr in off:
        return False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        v = _value(test.operand, off)
        return None if v is None else not v
    if isinstance(test, ast.BoolOp):
        vs = [_value(v, off) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in vs else True if all(v is True for v in vs) else None
        return True if True in vs else False if all(v is False for v in vs) else None
    return None


def _flag_sets(body: list[ast.stmt], off: set[str]) -> dict[str, list[list[tuple[ast.AST, bool]]]]:
    """flag -> the enclosing if arms of each statement assigning `<ns>.<flag> = value` (a False literal
    keeps the default and does not count)."""
    out: dict[str, list] = {}
    stack = [(st, ()) for st in reversed(body)]
    while stack:
        st, arms = stack.pop()
        if isinstance(st, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            value = st.value
            for t in targets:
                for e in (t.elts if isinstance(t, ast.Tuple) else [t]):
                    if isinstance(e, ast.Attribute) and e.attr in off and not (
                            isinstance(value, ast.Constant) and value.value is False):
                        out.setdefault(e.attr, []).append(list(arms))
            continue
        if isinstance(st, ast.If):
            stack.extend((s, (*arms, (st.test, False))) for s in reversed(st.orelse))
            stack.extend((s, (*arms, (st.test, True))) for s in reversed(st.body))
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(st, field, None)
            if inner:
                stack.extend((s, arms) for s in reversed(inner))
    return out


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    if r.skipped_arms and ln:  # clip_discriminator(D) under `if args.wass:`
        r.f.skipped_calls[ln] = r.f.skipped_calls.get(ln, 0) + 1
    return False


def clips_off_by_default(facts) -> None:
    """A clip in a helper whose every call in the project (counted in the text) sits in a skipped arm is not
    in the default run either."""
    code = facts.code
    if not code.skipped_calls:
        return
    texts = [t for f, t in facts.texts.items() if f.endswith(".py")]
    for clip in code.weight_clips:
        name = (clip.function or "").rsplit(".", 1)[-1]
        if clip.skipped or not name or name == "<module>" or not code.skipped_calls.get(name):
            continue
        written = sum(len(re.findall(rf"(?<![\w]){re.escape(name)}\s*\(", t)) for t in texts)
        written -= sum(len(re.findall(rf"\bdef\s+{re.escape(name)}\s*\(", t)) for t in texts)
        clip.skipped = written > 0 and code.skipped_calls[name] == written


__all__ = ["arm_skipped", "clips_off_by_default", "off_flags", "on_call"]


def branch_entry(src: Source, st: ast.If, arm: bool) -> tuple:
    """One arm of an if statement: (line, column, arm, subject, values). `if args.model == 'WGAN':` has
    subject "args.model" and values {'WGAN'} (`in ('a', 'b')`: both); any other test has neither (None, None)."""
    subject, values = None, None
    test = st.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right, op = test.left, test.comparators[0], test.ops[0]
        if isinstance(op, ast.Eq) and isinstance(left, ast.Constant) and not isinstance(right, ast.Constant):
            left, right = right, left
        if isinstance(op, ast.Eq) and isinstance(right, ast.Constant) and not isinstance(left, ast.Constant):
            values = frozenset([right.value])
        elif isinstance(op, ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)) and right.elts \
                and all(isinstance(e, ast.Constant) for e in right.elts):
            values = frozenset(e.value for e in right.elts)
        if values is not None and dotted(left):
            subject = dotted(left)
        else:
            values = None
    return (st.lineno, st.col_offset, arm, subject, values)
