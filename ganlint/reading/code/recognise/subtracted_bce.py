"""The saturating generator loss written as a subtracted BCE term against fake labels (VAE-GAN style):

    dis_loss = bce(D(x_tilde), zeros) + bce(D(x_p), zeros) + bce(D(x), ones)   # inline, or a helper's sum
    dec_loss = gamma * rec_loss - dis_loss

BCE(D(G(z)), 0) is -log(1 - D(G(z))); the decoder minimises its negative, log(1 - D(G(z))): the minimax form,
saturating (document 002 §3(2)). Followed within one function through names, sums, positive weights and a
same-file helper that returns a sum of such terms (its parameters mapped to the call's arguments). Silent:
BCE(D(G(z)), 1) added (non-saturating), a term on the real batch only, any loss a name does not give to the
generator or decoder (the discriminator's own), a weight that may be negative, anything not followed.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from ganlint.reading.code.astutil import call_name, last
from ganlint.reading.code.facts import LossCall
from ganlint.reading.code.recognise.fake_state import fake_state
from ganlint.reading.code.recognise.helper_losses import generator_loss_assignments

_MAX_DEPTH = 8
_REDUCE = ("sum", "mean")
_PASS = ("view", "squeeze", "reshape", "flatten", "unsqueeze", "float", "to", "mean", "cuda")
_BCE_CLASSES = ("BCELoss", "BCEWithLogitsLoss")
_ZERO_CALLS = ("zeros", "zeros_like", "new_zeros")
_FAKE_WORDS = ("fake", "zero", "zeros")


@dataclass
class _Ctx:
    fn: object  # scope.Func
    env: dict | None = None  # a helper's parameter -> the caller's argument node
    parent: "_Ctx | None" = None
    line: int = 0  # the caller's line (where the arguments are read)


_MENTIONS_BCE: dict[int, tuple[str, bool]] = {}  # id of a file's text -> (the text, it names a BCE): once per file


def end_function(r, fn) -> None:
    text = r.src.text
    cached = _MENTIONS_BCE.get(id(text))
    if cached is None or cached[0] is not text:
        if len(_MENTIONS_BCE) > 4096:
            _MENTIONS_BCE.clear()
        cached = _MENTIONS_BCE[id(text)] = (text, "binary_cross_entropy" in text or "BCE" in text)
    if not cached[1]:
        return
    seen = None
    for st in generator_loss_assignments(fn):
        terms: list[tuple[int, bool, ast.Call, _Ctx, int]] = []
        _terms(r, _Ctx(fn), st.value, st.lineno, 1, terms, 0)
        hit = next((d for sign, fake_label, d, ctx, line in terms
                    if sign == -1 and fake_label and fake_state(r, ctx.fn, d.args[0], line, False)[0] is not None), None)
        if hit is None:
            continue
        seen = {l.location for l in r.f.losses if l.kind == "saturating"} if seen is None else seen
        loc = r.src.loc(st)
        if loc not in seen:
            seen.add(loc)
            r.f.losses.append(LossCall("saturating", loc, r.src.seg(st), r.src.seg(hit)))


def _resolve(ctx: _Ctx, node: ast.AST, line: int, names: list[str] | None = None) -> tuple[ast.AST, _Ctx, int]:
    """Through names assigned earlier (a helper's parameters to the caller's arguments) and shape-only calls."""
    for _ in range(_MAX_DEPTH):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _PASS \
                and not node.args:
            node = node.func.value
        elif isinstance(node, ast.Call) and last(call_name(node)) == "Variable" and len(node.args) == 1:
            node = node.args[0]
        elif isinstance(node, ast.Name):
            if names is not None:
                names.append(node.id)
            if ctx.env is not None and node.id in ctx.env:
                node, line, ctx = ctx.env[node.id], ctx.line, ctx.parent
                continue
            if ctx.fn.unpacked_from(node.id, (ctx.fn.value_before(node.id, line) or (0, 0, 0))[2]) is not None:
                return node, ctx, line
            prev = ctx.fn.value_before(node.id, line)
            if prev is None or prev[0] is None:
                return node, ctx, line
            node, line = prev[0], prev[2]
        else:
            break
    return node, ctx, line


def _terms(r, ctx: _Ctx, node: ast.AST, line: int, sign: int, out: list, depth: int) -> None:
    if depth > _MAX_DEPTH or len(out) > 32:
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        _terms(r, ctx, node.left, line, sign, out, depth + 1)
        _terms(r, ctx, node.right, line, -sign if isinstance(node.op, ast.Sub) else sign, out, depth + 1)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(node.op, ast.Div) and side is node.right:
                continue
            if _positive_weight(other):  # precision: a weight that may be negative is not followed
                _terms(r, ctx, side, line, sign, out, depth + 1)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _terms(r, ctx, node.operand, line, -sign, out, depth + 1)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _REDUCE \
            and not node.args:
        _terms(r, ctx, node.func.value, line, sign, out, depth + 1)
    elif isinstance(node, ast.Call) and last(call_name(node)) in _REDUCE and len(node.args) == 1:
        _terms(r, ctx, node.args[0], line, sign, out, depth + 1)
    elif isinstance(node, ast.Name):
        got, gctx, gline = _resolve(ctx, node, line)
        if got is not node:
            _terms(r, gctx, got, gline, sign, out, depth + 1)
    elif isinstance(node, ast.Call):
        if _is_bce(r, node):
            _bce_term(r, ctx, node, line, sign, out)
        else:
            _helper(r, ctx, node, line, sign, out, depth)


def _positive_weight(node: ast.AST) -> bool:
    """A literal > 0, a name (a constant or hyper-parameter), `1 - gamma`: no call, no minus sign in front."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool) and node.value > 0
    if isinstance(node, (ast.Name, ast.Attribute)):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and isinstance(node.left, ast.Constant):
        return isinstance(node.right, (ast.Name, ast.Attribute, ast.Constant)) and _positive_weight(node.left)
    return False


def _is_bce(r, node: ast.Call) -> bool:
    ln = last(call_name(node))
    if ln in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        return True
    name = call_name(node)
    return name is not None and r.var_class.get(name) in _BCE_CLASSES


def _bce_term(r, ctx: _Ctx, node: ast.Call, line: int, sign: int, out: list) -> None:
    target = node.args[1] if len(node.args) >= 2 else next((k.value for k in node.keywords if k.arg == "target"), None)
    if not node.args or target is None:
        return
    probs, pctx, pline = _resolve(ctx, node.args[0], line)
    if isinstance(probs, ast.Call) and last(call_name(probs)) == "sigmoid" and probs.args:
        probs, pctx, pline = _resolve(pctx, probs.args[0], pline)
    if not (isinstance(probs, ast.Call) and probs.args and r.role_of_callee(probs) == "critic"):
        return
    names: list[str] = []
    label, _lctx, _ = _resolve(ctx, target, line, names)
    out.append((sign, _fake_label(label, names), probs, pctx, pline))


def _fake_label(node: ast.AST, names: list[str]) -> bool:
    """torch.zeros(n), torch.zeros_like(d), x.new_zeros(n), torch.full(s, 0.0), or a name saying fake/zero."""
    if isinstance(node, ast.Call):
        ln = last(call_name(node))
        if ln in _ZERO_CALLS:
            return True
        if ln in ("full", "full_like", "fill_") and node.args and isinstance(node.args[-1], ast.Constant):
            return node.args[-1].value == 0
        if ln in ("ones", "ones_like", "new_ones", "full", "full_like", "fill_"):
            return False
    low = [n.lower() for n in names]
    return any(w in n.split("_") or n.startswith("fake") for n in low for w in _FAKE_WORDS)


def _helper(r, ctx: _Ctx, node: ast.Call, line: int, sign: int, out: list, depth: int) -> None:
    """A same-file function returning a sum of terms: `discriminator_loss(d_rec, d_p, d_x, ones, zeros)`."""
    if not isinstance(node.func, ast.Name) or any(isinstance(a, ast.Starred) for a in node.args):
        return
    helper = r.all_funcs.get(node.func.id)
    fdef = getattr(helper, "node", None)
    if not isinstance(fdef, ast.FunctionDef) or helper is ctx.fn:
        return
    rets = [s for s in fdef.body if isinstance(s, ast.Return)]
    if len(rets) != 1 or rets[0].value is None:
        return
    params = [p.arg for p in (*fdef.args.posonlyargs, *fdef.args.args)]
    env = dict(zip(params, node.args))
    env.update({k.arg: k.value for k in node.keywords if k.arg in params})
    _terms(r, _Ctx(helper, env, ctx, line), rets[0].value, rets[0].lineno, sign, out, depth + 1)


__all__ = ["end_function"]
