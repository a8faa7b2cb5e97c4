"""GAN losses: BCE calls, and per function the D step vs the G step (undetached fakes, saturating losses)."""
from __future__ import annotations

import ast
import re
from bisect import bisect_left

from ganlint.reading.astwalk import walk, walk_code
from ganlint.reading.code.astutil import call_name, dotted, last, literal, names_in, tokens
from ganlint.reading.code.facts import LossCall, UndetachedFake, role_from_name
from ganlint.reading.code.words import WordCounts
from ganlint.reading.code.recognise.fake_sources import (
    is_generator_class, returns_own_output, step_helpers, through_names,
)
from ganlint.reading.code.recognise.critic_helpers import critic_inputs, passes_critic
from ganlint.reading.code.recognise.fake_state import fake_state
from ganlint.reading.code.recognise.fake_sources import forward_returns, forward_uses, keep_first_inputs, later_fake
from ganlint.reading.code.recognise.lightning import optimizers_toggled
from ganlint.reading.code.recognise.frozen import generator_frozen
from ganlint.reading.code.recognise.frameworks import pytorch_file

_LOSS_TOKENS = {"loss", "err", "l", "cost", "objective", "obj"}
_D_TOKENS = {"d", "disc", "discriminator", "critic", "netd", "dis"}
_G_TOKENS = {"g", "gen", "generator", "netg"}


def is_d_loss_name(name: str) -> bool:
    toks = tokens(name)
    return bool(set(toks) & _D_TOKENS) and bool(set(toks) & _LOSS_TOKENS | {"lossd", "errd", "dloss"} & set(toks))


def is_g_loss_name(name: str) -> bool:
    toks = set(tokens(name))
    return bool(toks & _G_TOKENS) and bool(toks & _LOSS_TOKENS)


def _is_epsilon(node: ast.AST) -> bool:
    """1e-8, eps, self.eps, EPSILON: the small constant added inside a log so that log(0) is never taken."""
    ok, v = literal(node)
    if ok and isinstance(v, float) and 0 < v <= 1e-3:
        return True
    name = dotted(node)
    return bool(name) and last(name).lower() in ("eps", "epsilon", "_eps", "tiny")


def _without_epsilon(node: ast.AST) -> tuple[ast.AST, ast.AST | None]:
    """log((1 - D(G(z))) + 1e-8) reads as log(1 - D(G(z))): the epsilon (returned second, for the fix to
    keep) only keeps the log finite."""
    eps = None
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        if _is_epsilon(node.right):
            node, eps = node.left, node.right
        elif _is_epsilon(node.left):
            node, eps = node.right, node.left
        else:
            break
    return node, eps


def _saturating_arg(r, fn, lc: ast.Call) -> tuple[ast.Call | None, str]:
    """log(1 - D(x)), log1p(-D(x)) -> (D(x), "saturating"); log(D(x)) -> (D(x), "nonsaturating").

    D(x) may be held in a name first: `prob = D(G(z)); torch.mean(torch.log(1. - prob))`."""
    inner = _without_epsilon(lc.args[0] if lc.args else lc.func.value)[0]
    dcall = None
    if last(call_name(lc)) == "log1p":
        if isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.USub):
            dcall = inner.operand
    elif isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub) and literal(inner.left)[1] in (1, 1.0) \
            and literal(inner.left)[0]:
        dcall = inner.right
    form = "saturating"
    if dcall is None:
        dcall, form = inner, "nonsaturating"
    line = lc.lineno
    for _ in range(4):
        if isinstance(dcall, ast.Call) and isinstance(dcall.func, ast.Attribute) and dcall.func.attr in ("view", "squeeze", "reshape", "mean"):
            dcall = dcall.func.value
        elif isinstance(dcall, ast.Name):
            prev = fn.value_before(dcall.id, line)
            if prev is None or prev[0] is None:
                break
            dcall, line = prev[0], prev[2]
        else:
            break
    ok = isinstance(dcall, ast.Call) and dcall.args and r.role_of_callee(dcall) == "critic"
    return (dcall, form) if ok else (None, form)


_LOSS_CALLS = frozenset({"BCELoss", "binary_cross_entropy", "BCEWithLogitsLoss", "binary_cross_entropy_with_logits"})


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    if ln not in _LOSS_CALLS:
        return False
    var = tname if ln[:1].isupper() and tname and r.stmt_target == tname else None  # `criterion = nn.BCELoss()`
    if ln in ("BCELoss", "binary_cross_entropy"):
        r.f.losses.append(LossCall("bce", r.src.loc(n), r.src.seg(n), var=var))
    elif ln in ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits"):
        r.f.losses.append(LossCall("bce_logits", r.src.loc(n), r.src.seg(n), var=var))
    return False


def drop_unused_loss_objects(facts) -> None:
    """A BCE loss object the project never names again is not the loss it computes: `gan_loss =
    nn.BCELoss()` left in a WGAN script says nothing about its family. Any other mention in any file (a call,
    an argument, an import, even a comment) keeps it: only a name written once in the whole project is unused."""
    losses = facts.code.losses
    if not any(l.var for l in losses):
        return
    counts: dict[str, int] = {}
    words = WordCounts([t for f, t in facts.texts.items() if f.endswith(".py")], len({l.var for l in losses if l.var}))
    keep = []
    for l in losses:
        if l.var:
            short = l.var.rsplit(".", 1)[-1]
            pattern = rf"(?<![\w.]){re.escape(short)}\b" if "." not in l.var else rf"\.{re.escape(short)}\b"
            if pattern not in counts:
                counts[pattern] = words.count(short, "." in l.var, pattern)
            if counts[pattern] <= 1:
                continue
        keep.append(l)
    losses[:] = keep


def _optimizer_role(r, name: str) -> str | None:
    named = r.optimizers_named(name)
    if named:
        if named[0].role:
            return named[0].role
        if {"generator", "critic"} <= set(named[0].trains):
            return "joint"  # InfoGAN's info step: one optimizer over G and D (Q shares D's trunk)
    return role_from_name(name.rsplit(".", 1)[-1])


def _step_losses(r, fn, uses: list) -> tuple[set[int], set[int]]:
    """Statements (ids) computing a loss whose backward() is followed by the critic's optimizer step, and
    those followed by the generator's; `uses` gets (backward, statement id -> the names it was reached by) per D step.

    `loss.backward(); opt_d.step()` makes `loss` (and every statement it was computed from in this
    function, back to the last assignment of each name) the D step's, whatever it is called; the
    optimizer's role comes from what it optimises or from its name (opt_d, optimizerD, D_solver)."""
    by_name: dict[str, list[ast.stmt]] = {}
    for st, targets, _ng in fn.stmts:
        for t in targets:
            if t:
                by_name.setdefault(t, []).append(st)
    # each name's statement lines, where they never decrease (the walk's source order): _mark bisects them
    lines: dict[str, list[int]] = {}
    for t, sts in by_name.items():
        lns = [st.lineno for st in sts]
        if all(a <= b for a, b in zip(lns, lns[1:])):
            lines[t] = lns
    steps = {"critic": set(), "generator": set(), "joint": set()}
    pending: list[tuple[str, int, ast.stmt]] = []  # backward-ed names waiting for their optimizer step
    for st, _targets, _ng in fn.stmts:
        value = getattr(st, "value", None)
        if not isinstance(st, ast.Expr) or not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
            continue
        attr, recv = value.func.attr, value.func.value
        if attr == "backward":
            if isinstance(recv, ast.Call) and recv.args:  # scaler.scale(loss).backward()
                recv = recv.args[0]
            name = recv.id if isinstance(recv, ast.Name) else dotted(recv)
            if name:
                pending.append((name, st.lineno, st))
        elif attr == "step" and not value.args and pending:
            opt = dotted(recv)
            role = _optimizer_role(r, opt) if opt else None
            if role in steps:
                for name, line, back in pending:
                    via = {} if role == "critic" else None
                    _mark(by_name, lines, name, line, steps[role], via)
                    uses += [(back, via)] if via else []
            pending = []
    # a loss stepped by an optimizer over both players is no D step, whatever its name (`disc_loss` of
    # InfoGAN's discrete code): it counts as the generator's side here
    return steps["critic"] - steps["generator"] - steps["joint"], (steps["generator"] | steps["joint"]) - steps["critic"]


def _mark(by_name: dict[str, list[ast.stmt]], lines: dict[str, list[int]], name: str, line: int, out: set[int],
          via: dict[int, set[str]] | None = None) -> None:
    work, seen = [(name, line)], set() if via is not None else out  # a fresh walk per loss when `via` is asked
    for _ in range(200):  # bounded: a loss is a handful of statements
        if not work:
            return
        name, line = work.pop()
        sts = by_name.get(name, ())
        if name in lines:
            i = bisect_left(lines[name], line)
            st = sts[i - 1] if i else None
        else:
            before = [s for s in sts if s.lineno < line]
            st = before[-1] if before else None
        if st is not None and via is not None:
            via.setdefault(id(st), set()).add(name)  # which of its targets the loss reads
        if st is None or id(st) in seen:
            continue
        seen.add(id(st))
        out.add(id(st))
        work.extend((n, st.lineno) for n in _grad_names(st.value) if n in by_name)


_SHAPE_ATTRS = {"shape", "ndim", "device", "dtype", "is_cuda"}
_SHAPE_CALLS = {"size", "dim", "numel", "nelement"}


def _grad_names(node: ast.AST | None) -> set[str]:
    """names_in(node) less the names read only for their shape: `torch.FloatTensor(pred.size()).fill_(1)`
    builds a label tensor from `pred`'s size, and no gradient flows from it into `pred`."""
    out: set[str] = set()
    todo = [node] if node is not None else []
    while todo:
        n = todo.pop()
        if isinstance(n, ast.Attribute) and n.attr in _SHAPE_ATTRS:
            continue
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _SHAPE_CALLS:
            todo.extend(n.args)  # `x.size(dim)`: the dimension's name may matter, the receiver does not
            continue
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "len":
            continue
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        todo.extend(ast.iter_child_nodes(n))
    return out


def _alone(value: ast.AST, lc: ast.Call) -> bool:
    """log(1 - D(G(z))) is the loss itself (averaged, summed, scaled), not a part of another form such as
    BGAN's (log D - log(1 - D))^2."""
    path: list[ast.AST] = []

    def find(node: ast.AST) -> bool:
        if node is lc:
            return True
        for child in ast.iter_child_nodes(node):
            if find(child):
                path.append(node)
                return True
        return False

    if not find(value):
        return False
    for node in path:
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return False
            if isinstance(node.op, ast.Sub) and any(
                    isinstance(m, ast.Call) and m is not lc and last(call_name(m)) in ("log", "log1p") for m in walk(node)):
                return False
    return True


def end_function(r, fn) -> None:
    _steps(r, fn)
    if fn.name == "<module>" and r.f.undetached_fakes and not pytorch_file(r.module_tree):
        r.f.undetached_fakes.clear()  # TensorFlow's minimize(var_list=...) never reaches the generator


def _steps(r, fn) -> None:
    own_output = is_generator_class(r, fn.cls) and fn.name not in ("forward", "__init__")
    for st, _targets, ng in fn.stmts:  # a helper that returns G(z): sample(z) is a generated batch too
        if isinstance(st, ast.Return) and st.value is not None and not ng:
            if own_output and returns_own_output(through_names(fn, st.value, st.lineno)):
                fn.returns_fake = True  # Generator.sample(self, n): return self(z)
                r.f.fake_methods.add(fn.name)
            elif fake_state(r, fn, st.value, st.lineno + 1, ng)[0] == "live":
                fn.returns_fake = True
    if not fn.has_critic_call and not any(
            isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and isinstance(st.value.func, ast.Attribute)
            and st.value.func.attr == "backward" for st, _t, _ng in fn.stmts):
        return
    uses: list = []
    d_step, g_step = _step_losses(r, fn, uses)  # without a D call here: a loop stepping losses helpers compute
    step_helpers(r, fn, d_step, r.f.d_step_helpers)
    step_helpers(r, fn, g_step, r.f.g_step_helpers)
    forward_uses(r, fn, uses)
    if not fn.has_critic_call and not passes_critic(r, fn):
        return
    # a function returning a loss it does not step itself (`def c_loss(self, x, z)`): not a network's forward
    loss_helper = (fn.name not in ("<module>", "forward", "__call__") and not d_step and not g_step
                   and (fn.cls is None or role_from_name(fn.cls) not in ("generator", "critic")))
    tags: dict[str, dict] = {}
    saturating: list[tuple[list[str], LossCall]] = []
    reported: set[int] = set()  # one finding per D(fake) call, however many losses it flows into
    start = len(r.f.undetached_fakes)
    d_names = tuple(sorted({t.rsplit(".", 1)[-1] for st, targets, _ in fn.stmts if id(st) in d_step
                            for t in targets if t}))
    toggled = optimizers_toggled(r, fn)
    for st, targets, ng in fn.stmts:
        value = st.value
        if value is None:
            continue
        real = False
        live: list[tuple[ast.Call, ast.AST | None, ast.AST]] = []  # (the D call, where G made it, the fake argument)
        zeros_live = []
        log_calls = []
        grad_names = None  # the names this statement reads other than for their shape (found when needed)
        for node in walk_code(value):  # names and calls only: the marker leaves are left out
            if isinstance(node, ast.Name) and node.id in tags:
                grad_names = _grad_names(value) if grad_names is None else grad_names
                if node.id not in grad_names:
                    continue  # `torch.FloatTensor(d_fake.size()).fill_(1)`: a label tensor, no fake in it
                t = tags[node.id]
                real = real or t["real"]
                live.extend(t["live"])
            if not isinstance(node, ast.Call):
                continue
            cn = call_name(node)
            if node.args and r.role_of_callee(node) == "critic":
                state, where = fake_state(r, fn, node.args[0], st.lineno, ng)
                arg = node.args[0]
                if state is None:  # a two-input discriminator D(real, fake) (a VAE-GAN's, pix2pix's)
                    real = True
                    state, where, arg = later_fake(r, fn, node, st.lineno, ng)
                r.f.judged_fakes += [r.src.loc(node)] if state is not None else []
                if state is not None and isinstance(where, ast.Call) and dotted(where.func):
                    r.f.fake_makers.add((r.src.path, dotted(where.func)))  # a VAE-GAN's `vae.decoder`
                if state == "live":
                    live.append((node, where, arg))
            elif node.func.__class__ is ast.Name and (batches := critic_inputs(r, node)):
                for arg in batches:  # wasserstein_distance(real, fake, f=self.D): the helper applies D to fake
                    state, where = fake_state(r, fn, arg, st.lineno, ng)
                    if state == "live":
                        live.append((node, where, arg))
            if len(node.args) >= 2 and isinstance(node.args[0], ast.Call) and r.role_of_callee(node.args[0]) == "critic":
                lab = node.args[1]
                lab_names = {x.lower() for x in names_in(lab)}
                if node.args[0].args and any("zero" in x or x in ("fake_label", "fake_labels", "label_fake") for x in lab_names):
                    state, where = fake_state(r, fn, node.args[0].args[0], st.lineno, ng)
                    if state == "live":
                        zeros_live.append((node.args[0], where, node.args[0].args[0]))
            if last(cn) in ("log", "log1p", "log_") or (isinstance(node.func, ast.Attribute) and node.func.attr == "log" and not node.args):
                log_calls.append(node)
        for t in targets:
            if t:
                tags[t.rsplit(".", 1)[-1] if "." not in t else t] = {"real": real, "live": list(live)}
        if ng:
            continue
        if isinstance(st, ast.Return) and fn.name == "forward" and live:
            forward_returns(r, fn, st, tags, live)  # a module whose forward returns D(G(z)): its caller's D step decides
        short = [t.rsplit(".", 1)[-1] for t in targets if t]
        in_g_step = id(st) in g_step
        d_named = id(st) in d_step or (not in_g_step and any(is_d_loss_name(t) for t in short))
        report = (zeros_live if not in_g_step else []) or (live if d_named else [])
        helper = not report and isinstance(st, ast.Return) and loss_helper
        for call, where, arg in (live if helper else report):
            if toggled or generator_frozen(r, fn, where):
                continue  # Lightning (or requires_grad(G, False)) freezes the generator's parameters in the D step
            if id(call) in reported:
                continue
            reported.add(id(call))
            fake = UndetachedFake(r.src.loc(call), r.src.seg(arg), r.src.loc(arg), r.src.loc(where) if where is not None
                                  else None, (fn.name,) if helper else d_names, later_input=not call.args or arg is not call.args[0])
            if helper:  # def c_loss(self, x, z): ... return -(D(x) - D(G(z))): the caller's step decides
                r.f.helper_fakes.append((fn.name, fake))
            elif where is not None and id(where) in r.pending_methods:
                r.f.method_fakes.append((r.pending_methods[id(where)], fake))
            else:
                r.f.undetached_fakes.append(fake)
        # saturating generator loss: log(1 - D(G(z)))
        if d_named or real:
            continue
        for lc in log_calls:
            dcall, form = _saturating_arg(r, fn, lc)
            if dcall is None:
                continue
            if form == "nonsaturating":
                if fake_state(r, fn, dcall.args[0], st.lineno, ng)[0] == "live":
                    r.f.losses.append(LossCall("nonsaturating", r.src.loc(lc), r.src.seg(lc)))
                continue
            if fake_state(r, fn, dcall.args[0], st.lineno, ng)[0] == "live" and _alone(value, lc):
                eps = _without_epsilon(lc.args[0] if lc.args else lc.func.value)[1]
                arg = r.src.seg(dcall) + (f" + {r.src.seg(eps)}" if eps is not None else "")  # -log(D + eps)
                saturating.append((targets, LossCall("saturating", r.src.loc(lc), r.src.seg(lc), arg)))
    keep_first_inputs(r.f.undetached_fakes, start)

    if saturating:
        # a term that flows into the discriminator's loss is the D step's log(1 - D(G(z))), not G's loss
        d_vars: set[str] = {t for st, targets, _ng in fn.stmts if id(st) in d_step for t in targets}
        for st, targets, _ng in reversed(fn.stmts):
            if st.value is None:
                continue
            if any(is_d_loss_name(t.rsplit(".", 1)[-1]) for t in targets if t) or set(targets) & d_vars:
                d_vars |= names_in(st.value)
        for targets, loss in saturating:
            if not set(targets) & d_vars:
                r.f.losses.append(loss)
