"""Optimizers, schedulers and warm-ups, gradient and weight clipping, backward/step calls, constructions."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, dotted, last, tokens
from ganlint.reading.code.facts import Construction, GradClip, Marker, Optimizer, WeightClip, role_from_name
from ganlint.reading.code.networks import TORCH_LAYERS
from ganlint.reading.code.recognise.frameworks import other_framework
from ganlint.reading.code.recognise.optim_lookup import factories, imported_functions
from ganlint.reading.code.recognise.optim_lookup import on_call as chosen_optimizer
from ganlint.reading.code.recognise.optim_params import parameter_of

OPTIMIZERS = {"Adam", "AdamW", "RMSprop", "SGD", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "SparseAdam",
              "LBFGS", "ASGD", "Rprop", "Lion", "Adafactor"}
OPT_POSITIONAL = {
    "Adam": ("lr", "betas", "eps", "weight_decay"), "AdamW": ("lr", "betas", "eps", "weight_decay"),
    "RMSprop": ("lr", "alpha", "eps", "weight_decay", "momentum"), "SGD": ("lr", "momentum"),
}
SCHEDULERS = {
    "LambdaLR", "LinearLR", "OneCycleLR", "CosineAnnealingLR", "StepLR", "MultiStepLR", "ExponentialLR",
    "CosineAnnealingWarmRestarts", "SequentialLR", "ReduceLROnPlateau", "CyclicLR", "ChainedScheduler",
    "PolynomialLR", "ConstantLR", "MultiplicativeLR", "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup", "get_constant_schedule_with_warmup", "LinearWarmupCosineAnnealingLR",
    "GradualWarmupScheduler", "create_lr_scheduler_with_warmup",
}


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    f = r.f
    helpers = factories(r)  # found before the walk reaches them (a helper below its first call)
    if not ln or name in helpers or name in imported_functions(r):  # OPTIMIZER[key](...), get_optimizer(D, ...)
        if chosen_optimizer(r, n, name, ln, tname):
            return True
    if isinstance(n.func, ast.Attribute) and n.args and not ln[:1].isupper():
        from ganlint.reading.code.recognise.optim_lookup import stored_class_call

        stored_class_call(r, n, tname)  # generator.optimizer(generator.parameters(), lr=lr): resolved later
    chosen = _class_bound(r, n.func.id) if isinstance(n.func, ast.Name) and n.func.id not in OPTIMIZERS else None
    if chosen is not None:  # `chosen_optim = optim.SGD` / `optim.Adam` by a flag, then chosen_optim(params, lr=lr)
        _optimizer(r, n, chosen, tname)
        return True
    if name and ln in OPTIMIZERS and (name == ln or "optim" in name or name.startswith("torch")) \
            and not other_framework(r, name):
        _optimizer(r, n, ln, tname)
        return True
    if not _acts_on(ln):
        return False  # no scheduler, warm-up, clip, backward or step: nothing below applies
    low = ln.lower()
    if ln in SCHEDULERS:
        f.schedulers.append(Marker("scheduler", r.src.loc(n), ln))
    elif ln and ("warmup" in low or "warm_up" in low):
        f.schedulers.append(Marker("warmup", r.src.loc(n), ln))
    if ln in ("clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"):
        node = n.args[1] if len(n.args) > 1 else None
        for kw in n.keywords:
            if kw.arg in ("max_norm", "clip_value"):
                node = kw.value
        f.grad_clips.append(GradClip("value" if "value" in ln else "norm", r.src.loc(n),
                                     r.src.arg(node) if node is not None else None))
    elif "clip_grad" in low or "clip_gradient" in low:  # a hand-written clip_grad(params, opt)
        f.grad_clips.append(GradClip("custom", r.src.loc(n), None))
    elif ln == "Trainer":
        for kw in n.keywords:
            if kw.arg == "gradient_clip_val":
                f.grad_clips.append(GradClip("trainer", r.src.loc(n), r.src.arg(kw.value)))
    if isinstance(n.func, ast.Attribute) and n.func.attr in ("clamp_", "clip_"):
        recv = n.func.value
        if isinstance(recv, ast.Attribute) and recv.attr == "data":
            recv = recv.value
        if is_param_loop_var(r, recv) or (isinstance(recv, ast.Attribute) and recv.attr in ("weight", "bias")
                                          and _symmetric(n) and _critic_layer_var(r, recv.value)):
            f.weight_clips.append(WeightClip(r.src.loc(n), _clip_arg(r, n), r.src.loc(n), r.branch, r.scope(),
                                             r.skipped_arms > 0))
    if isinstance(n.func, ast.Attribute):
        if n.func.attr == "backward":
            f.backward_calls.append(Marker("backward", r.src.loc(n), r.src.seg(n), r.scope()))
        elif n.func.attr == "step" and not n.args and "opt" in (dotted(n.func.value) or "").lower():
            f.optimizer_steps.append(Marker("step", r.src.loc(n), r.src.seg(n), r.scope()))
    return False


_ACTS_ON: dict[str, bool] = {}


def _acts_on(ln: str) -> bool:
    """Whether on_call's tail (schedulers, warm-ups, clips, backward and step) may act on a call of `ln` (once
    per distinct name: these are the names its tests compare; an attribute call's `ln` is its attribute)."""
    got = _ACTS_ON.get(ln)
    if got is None:
        low = ln.lower()
        got = _ACTS_ON[ln] = (ln in SCHEDULERS or "warmup" in low or "warm_up" in low or "clip_grad" in low
                              or "clip_gradient" in low or ln in ("Trainer", "clamp_", "clip_", "backward", "step"))
    return got


def on_call_late(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    """Constructions of user classes (linking code to config): MLPGenerator(cfg["nn_gen"])."""
    if name and ln[:1].isupper() and ln not in TORCH_LAYERS and not name.startswith(("torch.", "nn.", "optim.")):
        # what each call of a user class passes: a trainer's __init__ default counts only where no call overrides it
        # "kw": a `**kwargs` splat may set any parameter; "pos": a `*args` splat, read as filling the required
        # positional parameters the written ones leave open (`GAN(*dm.size())`), see defaults_not_overridden
        stars = sum(isinstance(a, ast.Starred) for a in n.args)
        splat = "kw" if any(k.arg is None for k in n.keywords) else "pos" if stars else ""
        numbers = tuple((k.arg, k.value.value, r.src.loc(k.value), r.src.seg(k.value)) for k in n.keywords
                        if k.arg and isinstance(k.value, ast.Constant) and type(k.value.value) in (int, float))
        r.f.call_shapes.append((ln, len(n.args) - stars, frozenset(k.arg for k in n.keywords if k.arg), splat, numbers))
    if name and ln[:1].isupper() and ln not in TORCH_LAYERS and name not in r.var_class \
            and not name.startswith(("torch.", "nn.", "optim.")):
        refs = [r.src.config_ref(a) for a in n.args]
        kws = {k.arg: r.src.config_ref(k.value) for k in n.keywords if k.arg}
        if tname or any(refs) or any(kws.values()):
            r.f.constructions.append(Construction(ln, r.src.loc(n), tname, refs, kws, r.scope()))
    return False


def on_assign(r, target: ast.AST, tname: str | None, value: ast.AST, st: ast.stmt) -> None:
    # lr set by hand: g['lr'] = base * scale
    if isinstance(target, ast.Subscript):
        sl = target.slice
        if isinstance(sl, ast.Constant) and sl.value == "lr":
            # the enclosing conditions travel along: `if step < warmup_iters:` says what the assignment is
            from ganlint.reading.code.recognise.lr_decay import lowers_lr

            kind = "lr-decay" if lowers_lr(r, st) else "lr-assign"  # `g['lr'] *= 0.1`: a decay, no warm-up
            r.f.schedulers.append(Marker(kind, r.src.loc(st), r.src.seg(st), " and ".join(r.tests) or None))
    if isinstance(target, ast.Attribute) and target.attr == "data" and isinstance(value, ast.Call):
        if last(call_name(value)) in ("clamp", "clip") and is_param_loop_var(r, target.value):
            r.f.weight_clips.append(WeightClip(r.src.loc(value), _clip_arg(r, value), r.src.loc(st), r.branch,
                                               r.scope(), r.skipped_arms > 0))


def _class_bound(r, name: str) -> str | None:
    """The optimizer class a name holds when every assignment of it (in this function, else at module level)
    is an optimizer class: that class, or "" when the branches pick different ones; None otherwise."""
    for fn in (r.funcs[-1], r.funcs[0]):
        hist = fn.assigns.get(name)
        if hist:
            classes = {last(dotted(value) or "") if value is not None else "" for _line, value, _ng in hist}
            if not classes <= OPTIMIZERS:
                return None
            return classes.pop() if len(classes) == 1 else ""
    return None


def is_param_loop_var(r, node: ast.AST) -> bool:
    if not isinstance(node, ast.Name):
        return False
    for names, it in reversed(r.loops):
        if node.id in names:
            return "parameters" in (dotted(getattr(it, "func", None)) or "") or any(
                isinstance(c, ast.Call) and last(call_name(c)) in ("parameters", "named_parameters")
                for c in walk(it))
    return False


def _symmetric(call: ast.Call) -> bool:
    """clamp_(-c, c), clamp_(min=-0.01, max=0.01): the box [-c, c] of WGAN's weight clipping."""
    kw = {k.arg: k.value for k in call.keywords}
    lo, hi = (call.args + [kw.get("min"), kw.get("max")])[:2] if len(call.args) < 2 else call.args[:2]
    if lo is None or hi is None:
        return False
    if isinstance(lo, ast.UnaryOp) and isinstance(lo.op, ast.USub):
        return ast.dump(lo.operand) == ast.dump(hi)
    return False


def _critic_layer_var(r, node: ast.AST, depth: int = 0) -> bool:
    """A loop variable running over a critic's layers: `for layer in module:` inside `for module in [D.dis,
    D.fc]:`, `for m in netD.modules():`, `for layer in D.main:`."""
    if not isinstance(node, ast.Name) or depth > 3:
        return False
    for names, it in reversed(r.loops):
        if node.id not in names:
            continue
        if isinstance(it, ast.Name) and any(it.id in n for n, _ in r.loops):
            return _critic_layer_var(r, it, depth + 1)
        elts = it.elts if isinstance(it, (ast.List, ast.Tuple)) else [it]
        bases = []
        for e in elts:
            if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr in ("modules", "children") \
                    and not e.args:
                e = e.func.value
            elif isinstance(e, ast.Attribute) and dotted(e):
                e = e.value  # D.dis: a stack of the critic's
            bases.append(e)
        return bool(bases) and all(dotted(b) and r.role_of_callee(ast.Call(b, [], [])) == "critic" for b in bases)
    return False


def _clip_arg(r, call: ast.Call):
    node = call.args[-1] if call.args else None
    for kw in call.keywords:
        if kw.arg in ("max",):
            node = kw.value
    return r.src.arg(node) if node is not None else None


def _optimizer(r, n: ast.Call, cls: str, tname: str | None) -> None:
    params = n.args[0] if n.args else next((k.value for k in n.keywords if k.arg == "params"), None)
    net_vars = _param_owners(params)
    net_var = net_vars[0] if net_vars else None
    kwargs = {}
    for name, a in zip(OPT_POSITIONAL.get(cls, ("lr",)), n.args[1:]):
        kwargs[name] = r.src.arg(a)
    for kw in n.keywords:
        if kw.arg and kw.arg != "params":
            kwargs[kw.arg] = r.src.arg(kw.value)
    params_given = []  # lr=lr with `lr` a parameter of this function: its calls decide (optim_params)
    for name, arg in list(kwargs.items()):  # betas=betas, lr=lr: the literal the name was bound to
        if not arg.has_literal and arg.ref is None and isinstance(_kw_node(n, name, cls), ast.Name):
            bound = _bound_value(r, _kw_node(n, name, cls))
            if bound is not None:
                kwargs[name] = bound
            elif name == "lr" and (param := parameter_of(r.funcs[-1], _kw_node(n, name, cls).id)) is not None:
                params_given.append((name, _kw_node(n, name, cls).id, *param))
            elif name == "lr" and (choice := _bound_choice(r, _kw_node(n, name, cls))) is not None:
                params_given.append((name, choice, None, None))  # `lr_d = 2e-4 if case <= 7 else 1e-3`
    role, roles = optimizer_role(r, net_vars, tname)
    if tname:
        r.optimizer_vars.add(tname)
    # Adam(p, **optim_kwargs): any keyword not written out may be set by the splat, so no default is assumed
    opaque = any(kw.arg is None for kw in n.keywords) or any(isinstance(a, ast.Starred) for a in n.args)
    r.f.optimizers.append(Optimizer(cls, r.src.loc(n), tname, r.src.seg(params) if params is not None else None,
                                    net_var, role, kwargs, r.src.seg(n), tuple(sorted(roles, key=str)), opaque=opaque,
                                    tensors=role is None and not net_vars and _plain_tensors(params)))
    for name, param, index, default in params_given:
        if isinstance(param, ast.IfExp):
            r.pending_choices.append((r.f.optimizers[-1], name, param, r.funcs[-1]))
            continue
        r.pending_param_args.append((r.f.optimizers[-1], name, param, r.funcs[-1], index, default))


def optimizer_role(r, net_vars: list[str], tname: str | None) -> tuple[str | None, set]:
    """(the role of the networks an optimizer trains, the other roles among them)."""
    roles = set()
    for var in net_vars:
        cls_name = r.var_class.get(var)
        roles.add((role_from_name(cls_name) if cls_name else None) or role_from_name(var.rsplit(".", 1)[-1]))
    role = roles.pop() if len(roles) == 1 else "vae" if roles == {"encoder", "decoder"} else None
    if role is None and tname:  # G_solver = Adam(G_params): the optimizer's own name says whose it is
        role = role_from_name(tname.rsplit(".", 1)[-1])
        role = role if role in ("generator", "critic", "encoder", "decoder", "vae", "energy") else None
        for var in net_vars if role in ("generator", "critic") else ():
            r.net_roles.setdefault(var, role)  # chain(Q.parameters(), P.parameters()) in G_solver
    return role, roles  # as the callers used it: less the role popped when there was one


def _param_owners(params: ast.AST | None) -> list[str]:
    """The networks whose parameters an optimizer gets: G.parameters(), list(enc.parameters()) +
    list(dec.parameters()), itertools.chain(a.parameters(), b.parameters())."""
    out: list[str] = []
    work = [params]
    for _ in range(12):
        if not work:
            break
        p = work.pop(0)
        if isinstance(p, ast.BinOp) and isinstance(p.op, ast.Add):
            work += [p.left, p.right]
        elif isinstance(p, ast.Call) and last(call_name(p)) in ("list", "chain") and p.args:
            work += list(p.args)
        elif isinstance(p, ast.Call) and isinstance(p.func, ast.Attribute) and p.func.attr in ("parameters", "named_parameters"):
            var = dotted(p.func.value)
            if var:
                out.append(var)
    return out


def _plain_tensors(params: ast.AST | None) -> bool:
    """`[latent_in] + noises`, `[z]`: a list display of tensors (what a GAN inversion optimises), with no
    call and no name that may hold a network's parameters or weights (`G_params`, `[W1, b1]` of a
    function network go by their optimizer's name, or stay a GAN player's)."""
    work, displays = [params], 0
    for _ in range(32):
        if not work:
            return displays > 0
        p = work.pop()
        if isinstance(p, ast.BinOp) and isinstance(p.op, ast.Add):
            work += [p.left, p.right]
        elif isinstance(p, (ast.List, ast.Tuple)) and p.elts:
            displays += 1
            work += [e.value if isinstance(e, ast.Starred) else e for e in p.elts]
        elif isinstance(p, (ast.Name, ast.Attribute)) and _tensor_name(p.id if isinstance(p, ast.Name) else p.attr):
            continue  # code, self.latent
        else:
            return False
    return False


def _tensor_name(name: str) -> bool:
    return len(name) > 1 and role_from_name(name) is None and not {
        "param", "params", "parameters", "weight", "weights", "w", "b"} & set(tokens(name))


def _kw_node(n: ast.Call, name: str, cls: str) -> ast.AST | None:
    for kw in n.keywords:
        if kw.arg == name:
            return kw.value
    names = OPT_POSITIONAL.get(cls, ("lr",))
    if name in names and names.index(name) + 1 < len(n.args):
        return n.args[names.index(name) + 1]
    return None


def _bound_value(r, node: ast.Name):
    """The literal (or config read) a name was last bound to, in this function or at module level."""
    for fn in (r.funcs[-1], r.funcs[0]):
        prev = fn.value_before(node.id, node.lineno + (0 if fn is r.funcs[-1] else 10**9))
        if prev is None or prev[0] is None:
            continue
        arg = r.src.arg(prev[0])
        return arg if arg.has_literal or arg.ref is not None else None
    return None


def _bound_choice(r, node: ast.Name) -> ast.IfExp | None:
    """`lr_d = 2e-4 if case <= 7 else 1e-3` in this function: the conditional the name was last bound to
    (which of its numbers trains, its function's calls decide: optim_params.resolve_choices)."""
    prev = r.funcs[-1].value_before(node.id, node.lineno)
    return prev[0] if prev is not None and isinstance(prev[0], ast.IfExp) else None
