"""GAN losses: BCE calls, and per function the D step vs the G step (undetached fakes, saturating losses)."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, last, literal, names_in, tokens
from ganlint.reading.code.facts import LossCall, UndetachedFake

_LOSS_TOKENS = {"loss", "err", "l", "cost", "objective", "obj"}
_D_TOKENS = {"d", "disc", "discriminator", "critic", "netd", "dis"}
_G_TOKENS = {"g", "gen", "generator", "netg"}


def is_d_loss_name(name: str) -> bool:
    toks = tokens(name)
    return bool(set(toks) & _D_TOKENS) and bool(set(toks) & _LOSS_TOKENS | {"lossd", "errd", "dloss"} & set(toks))


def is_g_loss_name(name: str) -> bool:
    toks = set(tokens(name))
    return bool(toks & _G_TOKENS) and bool(toks & _LOSS_TOKENS)


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    if ln in ("BCELoss", "binary_cross_entropy"):
        r.f.losses.append(LossCall("bce", r.src.loc(n), r.src.seg(n)))
    elif ln in ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits"):
        r.f.losses.append(LossCall("bce_logits", r.src.loc(n), r.src.seg(n)))
    return False


def fake_state(r, fn, node: ast.AST, line: int, ng: bool, depth: int = 0) -> tuple[str | None, ast.AST | None]:
    """None (not a generated batch), "live" (G(z) carrying gradients) or "detached"."""
    if depth > 8 or node is None:
        return None, None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in ("detach", "detach_"):
            st, where = fake_state(r, fn, node.func.value, line, ng, depth + 1)
            return ("detached", where) if st else (None, None)
        if node.func.attr in ("view", "reshape", "squeeze", "unsqueeze", "to", "float", "requires_grad_"):
            return fake_state(r, fn, node.func.value, line, ng, depth + 1)
    if isinstance(node, ast.Call) and r.role_of_callee(node) == "generator":
        return ("detached" if ng else "live"), node
    if isinstance(node, ast.Name):
        prev = fn.value_before(node.id, line)
        if prev is None or prev[0] is None:
            return None, None
        val, png, pln = prev
        st, where = fake_state(r, fn, val, pln, png, depth + 1)
        if st == "live" and png:
            st = "detached"
        return st, where
    return None, None


def end_function(r, fn) -> None:
    if not fn.has_critic_call:
        return
    tags: dict[str, dict] = {}
    saturating: list[tuple[list[str], LossCall]] = []
    for st, targets, ng in fn.stmts:
        value = st.value
        if value is None:
            continue
        real = False
        live: list[tuple[ast.Call, ast.AST | None]] = []
        zeros_live = []
        log_calls = []
        for node in walk(value):
            if isinstance(node, ast.Name) and node.id in tags:
                t = tags[node.id]
                real = real or t["real"]
                live.extend(t["live"])
            if not isinstance(node, ast.Call):
                continue
            cn = call_name(node)
            if node.args and r.role_of_callee(node) == "critic":
                state, where = fake_state(r, fn, node.args[0], st.lineno, ng)
                if state is None:
                    real = True
                elif state == "live":
                    live.append((node, where))
            if len(node.args) >= 2 and isinstance(node.args[0], ast.Call) and r.role_of_callee(node.args[0]) == "critic":
                lab = node.args[1]
                lab_names = {x.lower() for x in names_in(lab)}
                if node.args[0].args and any("zero" in x or x in ("fake_label", "fake_labels", "label_fake") for x in lab_names):
                    state, where = fake_state(r, fn, node.args[0].args[0], st.lineno, ng)
                    if state == "live":
                        zeros_live.append((node.args[0], where))
            if last(cn) in ("log", "log1p", "log_") or (isinstance(node.func, ast.Attribute) and node.func.attr == "log" and not node.args):
                log_calls.append(node)
        for t in targets:
            if t:
                tags[t.rsplit(".", 1)[-1] if "." not in t else t] = {"real": real, "live": list(live)}
        if ng:
            continue
        d_named = any(is_d_loss_name(t.rsplit(".", 1)[-1]) for t in targets if t)
        report = zeros_live or (live if d_named else [])
        seen = set()
        for call, where in report:
            if id(call) in seen:
                continue
            seen.add(id(call))
            arg = call.args[0]
            r.f.undetached_fakes.append(UndetachedFake(r.src.loc(call), r.src.seg(arg), r.src.loc(arg),
                                                       r.src.loc(where) if where is not None else None))
        # saturating generator loss: log(1 - D(G(z)))
        if d_named or real:
            continue
        for lc in log_calls:
            inner = lc.args[0] if lc.args else lc.func.value
            dcall = None
            if last(call_name(lc)) == "log1p":
                if isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.USub):
                    dcall = inner.operand
            elif isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub) and literal(inner.left) == (True, 1):
                dcall = inner.right
            elif isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub) and literal(inner.left)[1] in (1.0,):
                dcall = inner.right
            if dcall is None:
                # non-saturating: log(D(G(z)))
                if isinstance(inner, ast.Call) and r.role_of_callee(inner) == "critic" and inner.args:
                    if fake_state(r, fn, inner.args[0], st.lineno, ng)[0] == "live":
                        r.f.losses.append(LossCall("nonsaturating", r.src.loc(lc), r.src.seg(lc)))
                continue
            for _ in range(3):
                if isinstance(dcall, ast.Call) and isinstance(dcall.func, ast.Attribute) and dcall.func.attr in ("view", "squeeze", "reshape", "mean"):
                    dcall = dcall.func.value
            if isinstance(dcall, ast.Call) and r.role_of_callee(dcall) == "critic" and dcall.args:
                if fake_state(r, fn, dcall.args[0], st.lineno, ng)[0] == "live":
                    saturating.append((targets, LossCall("saturating", r.src.loc(lc), r.src.seg(lc), r.src.seg(dcall))))

    if saturating:
        # a term that flows into the discriminator's loss is the D step's log(1 - D(G(z))), not G's loss
        d_vars: set[str] = set()
        for st, targets, _ng in reversed(fn.stmts):
            if st.value is None:
                continue
            if any(is_d_loss_name(t.rsplit(".", 1)[-1]) for t in targets if t) or set(targets) & d_vars:
                d_vars |= names_in(st.value)
        for targets, loss in saturating:
            if not set(targets) & d_vars:
                r.f.losses.append(loss)
