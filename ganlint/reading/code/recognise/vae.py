"""VAE facts: exp of a log-variance and its clamps, KL terms and their weights, KL annealing, reparameterisation."""
from __future__ import annotations

import ast
import re
from functools import lru_cache

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, dotted, last, literal, names_in, tokens
from ganlint.reading.code.facts import ExpUse, KLWeight, Marker, norm_var
from ganlint.reading.code.recognise.frameworks import torch_names
from ganlint.reading.code.recognise.log_std import squared_into_kl

# logv (a log-variance head `hidden2logv`'s output) only as the whole name's end: log_values, logvol are not
_LOGVAR = re.compile(r"log(var|sigma|std|variance|s2|sig)|^lv$|logv$")
_KL_VAR = re.compile(r"^(loss)?(kl|kld|kldiv|kldivergence|kldloss|klloss|klterm|kldterm|latentloss)(loss)?$")
_ANNEAL_WORDS = ("step", "epoch", "iter", "anneal", "warm", "cycl", "schedul", "progress", "ramp")
_CLAMPS = ("clamp", "clip", "clamp_", "clip_")
CALL_NAMES = frozenset({"kl_divergence", "kl_div", "exp", "exp_", *_CLAMPS, "hardtanh", "rsample"})  # all on_call reads


def is_logvar(name: str | None) -> bool:
    """log_var, logsigma, logv; and `lv` as a word of the name (q_lv, p_lv: the posterior's and the prior's)."""
    return bool(name) and (bool(_LOGVAR.search(norm_var(name))) or "lv" in tokens(name))



def base_name(node: ast.AST) -> str | None:
    """log_var -> log_var; self.log_var -> log_var; self.log_var(h) -> log_var; 0.5 * log_var -> log_var."""
    for _ in range(6):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            ln, rn = literal(node.left)[0], literal(node.right)[0]
            node = node.right if ln else node.left if rn else node
            if not (ln or rn):
                return None
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "mul", "div", "mul_", "div_", *_CLAMPS):
            node = node.func.value
            continue
        if isinstance(node, ast.Call) and last(dotted(node.func)) in ("clamp", "clip") and node.args:
            node = node.args[0]
            continue
        break
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return last(dotted(node.func))
    return None


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    f = r.f
    if ln in ("kl_divergence", "kl_div", "exp", "exp_"):
        r.funcs[-1].has_kl_expr = True
    if ln in (*_CLAMPS, "hardtanh"):
        method_on_tensor = isinstance(n.func, ast.Attribute) and n.func.attr in _CLAMPS \
            and dotted(n.func.value) not in ("np", "numpy", *torch_names(r))
        arg = n.args[0] if (n.args and not method_on_tensor) else (n.func.value if isinstance(n.func, ast.Attribute) else None)
        if arg is not None:
            b = base_name(arg)
            if is_logvar(b):
                f.clamped_logvars.add(norm_var(b))
            for m in walk(arg):
                if isinstance(m, ast.Call) and last(call_name(m)) in ("exp", "exp_"):
                    r.clamped_exp.add(id(m))
    if ln in ("exp", "exp_") and (name in ("torch.exp", "exp", "np.exp", "numpy.exp", "math.exp") or (
            isinstance(n.func, ast.Attribute) and not n.args) or (name and name[:-4] in torch_names(r))):
        arg = n.args[0] if n.args else n.func.value
        b = base_name(arg)
        stmt = r.current_stmt
        log_std = not is_logvar(b) and b and stmt is not None and squared_into_kl(r, stmt, n, _mu_like)
        if is_logvar(b) or log_std or (b and stmt is not None and _logvar_by_use(stmt, n, b)):
            if stmt is not None and (_only_a_statistic(stmt, n) or _in_fstring(stmt, n)):
                return False  # logvar.exp().mean(0).data logged for a plot, f"std_{np.exp(log_std):.4f}" a name
            inline = id(n) in r.clamped_exp or any(
                isinstance(m, ast.Call) and last(call_name(m)) in _CLAMPS for m in walk(arg))
            var_node = arg
            for m in walk(arg):
                if isinstance(m, (ast.Name, ast.Attribute)) and (m.id if isinstance(m, ast.Name) else m.attr) == b:
                    var_node = m
                    break
            f.logvar_exps.append(ExpUse(b, r.src.loc(n), r.src.loc(var_node), inline, r.src.seg(n), r.scope(),
                                        holds="log-std" if log_std else None, in_kl=_a_kl_term(stmt, n, b)))
    if isinstance(n.func, ast.Attribute) and n.func.attr == "rsample" and not r.no_grad:
        # (under no_grad a sample passes no gradient: a flow's samples drawn for a plot train nothing)
        f.reparameterisations.append(Marker("reparam", r.src.loc(n), r.src.seg(n), r.scope()))
    return False


_MU = ("mu", "mean", "z_mu", "z_mean", "m", "loc")


def _mu_like(name: str) -> bool:
    low = name.lower()
    return low.startswith("mu") or low.endswith("_mu") or low in _MU or low.endswith("_mean")


def _logvar_by_use(stmt: ast.stmt, exp_call: ast.Call, name: str) -> bool:
    """`name` is a log-variance by what the statement does with it, whatever it is called (z_var, std):

    - the Gaussian KL: exp(v) together with v itself and mu squared, `exp(z_var) + z_mu**2 - 1. - z_var`;
    - a reparameterisation: mu + exp(0.5 * v) * eps."""
    value = getattr(stmt, "value", None)
    if value is None:
        return False
    inside = {id(m) for m in walk(exp_call)}
    outside_v = any(isinstance(m, ast.Name) and m.id == name and id(m) not in inside for m in walk(value))
    squared_mu = any(
        (isinstance(m, ast.BinOp) and isinstance(m.op, ast.Pow) and isinstance(m.left, (ast.Name, ast.Attribute))
         and _mu_like(m.left.id if isinstance(m.left, ast.Name) else m.left.attr))
        or (isinstance(m, ast.Call) and isinstance(m.func, ast.Attribute) and m.func.attr in ("pow", "square")
            and isinstance(m.func.value, ast.Name) and _mu_like(m.func.value.id))
        for m in walk(value))
    if outside_v and squared_mu:
        return True
    for m in walk(value):  # mu + exp(0.5 * v) * eps
        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Add):
            for prod, other in ((m.left, m.right), (m.right, m.left)):
                if isinstance(prod, ast.BinOp) and isinstance(prod.op, ast.Mult) and id(exp_call) in {id(x) for x in walk(prod)} \
                        and any(_mu_like(x) for x in names_in(other)) \
                        and any("eps" in x.lower() or x in ("randn", "randn_like", "normal") for x in names_in(prod)):
                    return True
    return False


def _a_kl_term(stmt: ast.stmt | None, exp_call: ast.Call, name: str) -> bool:
    """The exp's statement computes a KL term: assigned to a KL name (`kld = ...`), or the Gaussian KL's shape,
    exp(v) beside v itself and the mean (`logvar - mu.pow(2) - logvar.exp() + 1`); a sampling
    `std = exp(0.5 * v)` / `mu + exp(0.5 * v) * eps` has no v outside the exp."""
    if stmt is None or getattr(stmt, "value", None) is None:
        return False
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
    if any(isinstance(t, (ast.Name, ast.Attribute)) and _KL_VAR.match(norm_var(t.id if isinstance(t, ast.Name) else t.attr))
           for t in targets):
        return True
    inside = {id(m) for m in walk(exp_call)}
    value = stmt.value
    outside_v = any(isinstance(m, (ast.Name, ast.Attribute)) and id(m) not in inside
                    and (m.id if isinstance(m, ast.Name) else m.attr) == name for m in walk(value))
    return outside_v and any(_mu_like(x) for x in names_in(value))


def _in_fstring(stmt: ast.stmt, exp_call: ast.Call) -> bool:
    """The exp is formatted into a string (a log folder's name, a printed value)."""
    return any(isinstance(m, ast.JoinedStr) and any(x is exp_call for x in walk(m)) for m in walk(stmt))


def _only_a_statistic(stmt: ast.stmt, exp_call: ast.Call) -> bool:
    """The exp's value only leaves the graph: `.data`, `.item()`, `.cpu()`, `.numpy()`, `.tolist()`."""
    value = getattr(stmt, "value", None)
    if value is None:
        return False
    for m in walk(value):
        node = m.value if isinstance(m, ast.Attribute) and m.attr == "data" else \
            m.func.value if isinstance(m, ast.Call) and isinstance(m.func, ast.Attribute) and m.func.attr in (
                "item", "cpu", "numpy", "tolist") else None
        if node is not None and id(exp_call) in {id(x) for x in walk(node)}:
            return True
    return False


def on_binop(r, n: ast.BinOp) -> None:
    if not isinstance(n.op, ast.Add):
        return
    # mu + std * eps
    for m, other in ((n.left, n.right), (n.right, n.left)):
        if not (isinstance(m, ast.BinOp) and isinstance(m.op, ast.Mult)):
            continue
        if not any(x.lower().startswith("mu") or x.lower() in ("mean", "z_mean", "loc", "z_mu", "m") for x in names_in(other)):
            continue
        if any(isinstance(c, ast.Call) and last(call_name(c)) in ("randn_like", "randn", "normal_", "normal")
               for c in walk(m)) or any("eps" in x.lower() for x in names_in(m)):
            r.f.reparameterisations.append(Marker("reparam", r.src.loc(n), r.src.seg(n), r.scope()))


@lru_cache(maxsize=4096)
def _target_words(short: str) -> tuple[bool, str, bool, bool]:
    """What an assigned name says (the same few names are assigned again and again): (a log-variance, its
    normalised form, a KL weight's name (not `kl` alone: self.win_kld = viz.line(...)), a KL term's name)."""
    low = norm_var(short)
    weight_like = bool(set(tokens(short)) & {"w", "scale"}) or any(
        w in low for w in ("beta", "weight", "alpha", "anneal", "coef", "lambda"))
    return is_logvar(short), low, weight_like and "temp" not in low and "tau" not in low, bool(_KL_VAR.match(low))


def on_assign(r, target: ast.AST, tname: str | None, value: ast.AST, st: ast.stmt) -> None:
    if not tname:
        return
    short = tname.rsplit(".", 1)[-1]
    logvar, low, weight_like, kl_name = _target_words(short)
    # clamps on a log-variance: log_var = torch.clamp(..., -10, 10)
    if logvar and isinstance(value, ast.Call) and last(call_name(value)) in (
            *_CLAMPS, "tanh", "softplus", "hardtanh"):
        r.f.clamped_logvars.add(low)
    if logvar and tname.startswith("self.") and isinstance(value, ast.Call) and last(call_name(value)) == "Parameter":
        r.f.parameter_logvars.add((r.src.path, low))
    # annealed KL weights written anywhere: self.beta = min(1.0, step / T)
    computed = not isinstance(value, (ast.Name, ast.Attribute, ast.Constant))  # self.anneal_rate = anneal_rate: a copy
    if computed and weight_like and annealed(value):
        r.f.kl_annealing.append(Marker("kl-anneal", r.src.loc(st), short))
    if (kl_name and not _no_posterior_kl(value)) or (r.funcs[-1].has_kl_expr and _is_kl_expr(value)
                                                      and not _LIKELIHOOD.search(low)) \
            or _gaussian_kl_call(short, value):
        r.funcs[-1].kl_vars.add(tname)
        r.f.kl_terms.append(Marker("kl", r.src.loc(st), short, r.scope()))


# a Gaussian's negative log-likelihood or energy, (x - mean)^2 / (2 exp(2 log_std)) + log_std, is no KL term
_LIKELIHOOD = re.compile(r"energy|nll|likelihood|logp|logprob|logdensity|logpdf")
_LOSS_WORDS = {"loss", "criterion", "kl", "kld", "regularization", "regularizer", "reg", "divergence"}


def _gaussian_kl_call(target: str, value: ast.AST) -> bool:
    """`reg_loss = reg_criterion(mean, log_var)`: a loss of exactly the posterior's mean and log-variance is
    its KL to the prior, whatever the function is called (a sampler `z = reparam(mu, logvar)` is no loss)."""
    if not (isinstance(value, ast.Call) and len(value.args) == 2 and not value.keywords):
        return False
    names = [base_name(a) for a in value.args]
    if not (names[0] and _mu_like(names[0]) and is_logvar(names[1])):
        return False
    words = set(tokens(target)) | set(tokens(last(call_name(value)) or ""))
    return bool(words & _LOSS_WORDS)


# PyTorch's KL of log-probabilities to target probabilities (F.kl_div, nn.KLDivLoss) and ignite's metric:
# distillation, label smoothing, a classifier's metric; a VAE's KL is its posterior's to the prior
_CATEGORICAL = frozenset({"kl_div", "KLDivLoss", "KLDivergence"})


def _no_posterior_kl(value: ast.AST) -> bool:
    """A KL-named value that is no VAE's KL term: a categorical KL (`kl = F.kl_div(F.log_softmax(s / T), p)`),
    a loss or metric object built with no input (`kl_div = KLDivergence()`), or a matrix product
    (`KL = K @ L`, two kernel matrices)."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.MatMult):
        return True
    if isinstance(value, ast.Call) and not value.args and (last(call_name(value)) or "a")[:1].isupper():
        return True
    return any(isinstance(n, ast.Call) and last(call_name(n)) in _CATEGORICAL for n in walk(value))


def _is_kl_expr(value: ast.AST) -> bool:
    has_exp = has_mu = False
    for n in walk(value):
        if isinstance(n, ast.Call):
            cn = n.func.attr if isinstance(n.func, ast.Attribute) else last(call_name(n))  # logvar.clamp(..).exp()
            if cn == "kl_divergence":  # torch.distributions' KL(q || p); F.kl_div is a categorical one
                return True
            if cn in ("exp", "exp_") and is_logvar(base_name(n.args[0] if n.args else n.func.value if isinstance(n.func, ast.Attribute) else n)):
                has_exp = True
        if isinstance(n, (ast.Name, ast.Attribute)):
            nm = n.id if isinstance(n, ast.Name) else n.attr
            if nm.lower().startswith("mu") or nm.lower() in ("mean", "z_mean", "m"):
                has_mu = True
    return has_exp and has_mu


def annealed(value: ast.AST | None) -> bool:
    if value is None:
        return False
    for n in walk(value):
        nm = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else None
        if nm and any(w in nm.lower() for w in _ANNEAL_WORDS):
            return True
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and any(w in n.value.lower() for w in ("anneal", "warm")):
            return True
    return False


def end_function(r, fn) -> None:
    """KL weights: the factor multiplying a KL variable in a later statement."""
    if not fn.kl_vars:
        return
    kl_short = {k.rsplit(".", 1)[-1] for k in fn.kl_vars}
    for st, targets, _ng in fn.stmts:
        value = st.value
        if value is None or any(t in fn.kl_vars for t in targets):
            continue
        for node in walk(value):
            if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
                continue
            for a, w in ((node.left, node.right), (node.right, node.left)):
                an = a.id if isinstance(a, ast.Name) else a.attr if isinstance(a, ast.Attribute) else None
                if an not in kl_short:
                    continue
                r.f.kl_weights.append(_kl_weight(r, fn, st, w))
                break


def _kl_weight(r, fn, st: ast.stmt, w: ast.AST) -> KLWeight:
    loc = r.src.loc(st)
    src = r.src.seg(w)
    fixed = _fixed_kl_weight(r, loc, src, w)
    if fixed is not None:
        return fixed
    is_annealed = annealed(w)
    attr = None
    if isinstance(w, (ast.Name, ast.Attribute)):
        key = w.id if isinstance(w, ast.Name) else dotted(w)
        prev = fn.value_before(key or "", st.lineno) if key else None
        if prev is not None and prev[0] is not None:
            pv = prev[0]
            is_annealed = is_annealed or annealed(pv)
            if not is_annealed:
                fixed = _fixed_kl_weight(r, loc, src, pv, fn, prev[2])
                if fixed is not None:
                    return fixed
        attr = (w.id if isinstance(w, ast.Name) else w.attr)
        if prev is None and isinstance(w, ast.Name) and isinstance(fn.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            param = _parameter(r, fn, w.id)
            if param is not None:
                index, default = param
                return KLWeight(loc, src, is_annealed, attr=attr, param_of=fn.name, param_index=index, default=default)
        if prev is None and not is_annealed and fn.cls and isinstance(w, ast.Attribute) and dotted(w.value) == "self":
            init = _init_parameter(r, fn.cls, w.attr)
            if init is not None:  # self.beta = beta in __init__(self, ..., beta=1): the class's calls decide
                index, default = init
                return KLWeight(loc, src, False, attr=attr, param_of=fn.cls, param_index=index, default=default)
    elif isinstance(w, ast.Call):
        is_annealed = is_annealed or any(x in (call_name(w) or "").lower() for x in ("anneal", "schedul", "beta", "weight", "kl"))
    return KLWeight(loc, src, is_annealed, attr=attr)


def _init_parameter(r, cls_name: str, attr: str):
    """(index, default) of the `__init__` parameter that `self.<attr> = <param>` stores, when the class (at the
    module's top level) assigns `self.<attr>` nowhere else: a constructor argument, fixed for the whole run."""
    tree = r.module_tree
    cls = next((st for st in (tree.body if tree else []) if isinstance(st, ast.ClassDef) and st.name == cls_name), None)
    init = next((st for st in (cls.body if cls else []) if isinstance(st, ast.FunctionDef) and st.name == "__init__"), None)
    if init is None:
        return None
    param = None
    for m in walk(cls):
        targets = m.targets if isinstance(m, ast.Assign) else [m.target] if isinstance(m, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            if isinstance(t, ast.Attribute) and t.attr == attr and dotted(t.value) == "self":
                if param is not None or not isinstance(m, ast.Assign) or not isinstance(m.value, ast.Name):
                    return None  # set twice, or to something computed: maybe a schedule
                param = (m.value.id, m)
    if param is None or not any(m is param[1] for m in walk(init)):
        return None
    fake = type("F", (), {"node": init, "cls": cls_name})()
    return _parameter(r, fake, param[0])


def _parameter(r, fn, name: str):
    """(position among the positional parameters, self left out, or None for a keyword-only one; its default
    as an Arg or None) when `name` is a parameter of the function `fn`, else None."""
    a = fn.node.args
    positional = [*a.posonlyargs, *a.args]
    if fn.cls is not None and positional and not any(
            isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.node.decorator_list):
        positional = positional[1:]  # self / cls
    defaults = dict(zip([p.arg for p in positional[max(0, len(positional) - len(a.defaults)):]], a.defaults)) if a.defaults else {}
    for i, p in enumerate(positional):
        if p.arg == name:
            d = defaults.get(name)
            return i, (r.src.arg(d) if d is not None else None)
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        if p.arg == name:
            return None, (r.src.arg(d) if d is not None else None)
    return None


def _fixed_kl_weight(r, loc, src: str, value: ast.AST, fn=None, line: int = 0) -> KLWeight | None:
    """The weight when `value` is a config reference or a number (neither is annealed), else None."""
    ref = r.src.config_ref(value)
    if ref is not None:
        if fn is not None:
            ref.key = _section_of(r, fn, value, line) + ref.key
        return KLWeight(loc, src, False, ref=ref)
    ok, val = literal(value)
    if ok and isinstance(val, (int, float)):
        return KLWeight(loc, src, False, literal=float(val))
    return None


def _section_of(r, fn, value: ast.AST, line: int) -> str:
    """`train_cfg["alpha"]` after `train_cfg = cfg["train"]`: "train." (the section the key is read from,
    so that a `model.alpha` beside it is not taken for it); "" when the base is no config section."""
    base = value
    while isinstance(base, (ast.Subscript, ast.Attribute)):
        base = base.value
    if not isinstance(base, ast.Name) or base is value:
        return ""
    prev = fn.value_before(base.id, line)
    key = r.src.config_key(prev[0]) if prev is not None and prev[0] is not None else None
    return f"{key}." if key else ""
