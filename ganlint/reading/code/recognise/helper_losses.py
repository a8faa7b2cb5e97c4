"""The saturating generator loss written through a multi-output loss helper (VAE-GAN style):

    def loss(...):                                   # the helper, maybe in another file
        bce_dis_real = -torch.log(d_real + 1e-3)
        bce_dis_fake = -torch.log(1 - d_fake + 1e-3)  # the discriminator's term on fakes
        return mse, kl, bce_dis_real, bce_dis_fake
    mse, kl, b_real, b_fake = Model.loss(...)        # the caller
    loss_discriminator = torch.sum(b_real) + torch.sum(b_fake)
    loss_decoder = torch.sum(lam * mse) - (1 - lam) * loss_discriminator

The decoder minimises -(-log(1 - D(G(z)))) = log(1 - D(G(z))): the minimax form, saturating (document 002
§3(2)). Read per file (the helpers' returned terms; the callers' generator/decoder losses and the sign with
which each unpacked output enters them, through sums and positive weights only) and joined once every file
is read (`resolve_helper_terms`), the helper found through the caller's imports. Anything else (a product
of two losses, an unknown call around a term) is not followed: silent.
"""
from __future__ import annotations

import ast

from ganlint.core.roles import role_from_name
from ganlint.reading.code.astutil import call_name, dotted, last
from ganlint.reading.code.facts import LossCall

_REDUCE = ("sum", "mean")
_MAX_DEPTH = 6


def read_helper_terms(r) -> None:
    """Every module-level function or method returning a tuple: the positions that hold -log(1 - p) or
    log(1 - p) (sign, p's source)."""
    if r.module_tree is None or "log" not in r.src.text:
        return
    for st in r.module_tree.body:
        defs = [(None, st)] if isinstance(st, ast.FunctionDef) else [
            (st.name, s) for s in st.body if isinstance(s, ast.FunctionDef)] if isinstance(st, ast.ClassDef) else []
        for cls, fn in defs:
            rets = [s for s in fn.body if isinstance(s, ast.Return)]
            if len(rets) != 1 or not isinstance(rets[0].value, ast.Tuple):
                continue
            assigned = {s.targets[0].id: s.value for s in fn.body if isinstance(s, ast.Assign)
                        and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)}
            for i, elt in enumerate(rets[0].value.elts):
                term = log_one_minus(assigned.get(elt.id) if isinstance(elt, ast.Name) else elt)
                if term is not None and len(r.f.helper_terms) < 256:
                    qual = f"{cls}.{fn.name}" if cls else fn.name
                    r.f.helper_terms.append((r.src.path, qual, i, term[0], r.src.seg(term[1])))


def log_one_minus(node: ast.AST | None) -> tuple[int, ast.AST] | None:
    """`-torch.log(1 - p + eps)`, `torch.log(1. - p).mean()` -> (sign, p)."""
    sign = 1
    for _ in range(_MAX_DEPTH):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            sign, node = -sign, node.operand
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _REDUCE \
                and not node.args:
            node = node.func.value
        elif isinstance(node, ast.Call) and last(call_name(node)) in _REDUCE and len(node.args) == 1:
            node = node.args[0]
        else:
            break
    if not (isinstance(node, ast.Call) and last(call_name(node)) == "log" and len(node.args) == 1):
        return None
    inner = node.args[0]
    if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Add) and _small(inner.right):
        inner = inner.left  # + 1e-3 against log(0)
    if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub) and isinstance(inner.left, ast.Constant) \
            and inner.left.value in (1, 1.0) and not isinstance(inner.left.value, bool):
        return sign, inner.right
    return None


def _small(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, float) and 0 < node.value < 0.1


def generator_loss_assignments(fn):
    """The function's assignments of a generator's or decoder's loss to one name (`g_loss = ...`,
    `self.loss_decoder = ...`), in source order."""
    for st, targets, _ng in fn.stmts:
        if isinstance(st, ast.Assign) and len(targets) == 1 and targets[0]:
            name = targets[0].rsplit(".", 1)[-1]
            if role_from_name(name) in ("generator", "decoder") and "loss" in name.lower():
                yield st


def end_function(r, fn) -> None:
    """A generator's or decoder's loss (`loss_decoder = ...`) built from outputs a call unpacked: the
    callee, each output's position and the sign it enters with, kept until every file is read."""
    if not fn.unpacked:
        return
    for st in generator_loss_assignments(fn):
        uses: dict[tuple[str, int], set[int]] = {}
        _signs(fn, st.value, st.lineno, 1, uses, 0)
        for (callee, index), signs in uses.items():
            if len(signs) == 1 and len(r.f.helper_term_uses) < 256:
                r.f.helper_term_uses.append((r.src.path, _origin(r, callee, fn), callee, index, signs.pop(),
                                             r.src.loc(st), r.src.seg(st)))


def _signs(fn, node: ast.AST, line: int, sign: int, out: dict, depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        _signs(fn, node.left, line, sign, out, depth + 1)
        _signs(fn, node.right, line, -sign if isinstance(node.op, ast.Sub) else sign, out, depth + 1)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
        # a weight times a loss: the weight's own terms are not followed (a positive coefficient assumed,
        # a negative literal flips)
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(node.op, ast.Div) and side is node.right:
                continue
            flip = isinstance(other, ast.UnaryOp) and isinstance(other.op, ast.USub) or (
                isinstance(other, ast.Constant) and isinstance(other.value, (int, float)) and other.value < 0)
            _signs(fn, side, line, -sign if flip else sign, out, depth + 1)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _signs(fn, node.operand, line, -sign, out, depth + 1)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _REDUCE \
            and not node.args:
        _signs(fn, node.func.value, line, sign, out, depth + 1)
    elif isinstance(node, ast.Call) and last(call_name(node)) in _REDUCE and len(node.args) == 1:
        _signs(fn, node.args[0], line, sign, out, depth + 1)
    elif isinstance(node, ast.Name):
        prev = fn.value_before(node.id, line)
        if prev is None:
            return
        got = fn.unpacked_from(node.id, prev[2])
        if got is not None:
            callee = dotted(got[0].func) if isinstance(got[0], ast.Call) else None
            if callee:
                out.setdefault((callee, got[1]), set()).add(sign)
        elif prev[0] is not None:
            _signs(fn, prev[0], prev[2], sign, out, depth + 1)


def _origin(r, callee: str, fn) -> tuple[str, str, int] | None:
    """(module, qualified name, level) of the helper: `VaeGan.loss` with VaeGan imported from network;
    None: this file's own (`self.loss` -> the enclosing class's)."""
    base, _, attr = callee.rpartition(".")
    head = (base or callee).split(".")[0]
    for st in r.module_tree.body if r.module_tree is not None else ():
        if isinstance(st, ast.ImportFrom):
            for a in st.names:
                if (a.asname or a.name) == head:
                    qual = f"{a.name}.{attr}" if base else a.name
                    return st.module or "", qual, st.level
    return None


def resolve_helper_terms(facts) -> None:
    code = facts.code
    if not code.helper_terms or not code.helper_term_uses:
        return
    from ganlint.reading.code.construct.imports import module_index, module_scope

    terms: dict[tuple[str, str], dict[int, tuple[int, str]]] = {}
    for path, qual, index, sign, inner in code.helper_terms:
        terms.setdefault((path.replace("\\", "/"), qual), {})[index] = (sign, inner)
    paths = sorted({p for p, _ in terms})
    by_path, by_tail = module_index(paths)
    seen = {l.location for l in code.losses if l.kind == "saturating"}
    for path, origin, callee, index, sign, loc, src in code.helper_term_uses:
        here = path.replace("\\", "/")
        if origin is not None:
            home, qual = module_scope(by_path, by_tail, here, origin[0], origin[2]), origin[1]
        else:
            home, qual = here, callee
        term = terms.get((home, qual), {}).get(index) if home else None
        # the generator minimises +log(1 - D(G(z))): the term's sign times the one it enters with
        if term is not None and term[0] * sign == 1 and loc not in seen:
            seen.add(loc)
            code.losses.append(LossCall("saturating", loc, src, term[1]))
    code.helper_term_uses.clear()


__all__ = ["end_function", "log_one_minus", "read_helper_terms", "resolve_helper_terms"]
