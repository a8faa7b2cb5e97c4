"""One walk over a module's syntax tree -> CodeFacts (optimizers, losses, penalties, clipping, seeds, data,
VAE and energy facts); classes go to networks.py. Never imports or runs the code it reads."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ganlint.reading.astwalk import node_fields, walk
from ganlint.reading.code.astutil import CONFIG_NAMES, Source, call_name, dotted, last, literal, names_in, tokens
from ganlint.reading.code.facts import (
    CodeFacts, Construction, ExpUse, GradCall, GradClip, KLWeight, LossCall, Marker, Optimizer,
    UndetachedFake, WeightClip, norm_var, role_from_name,
)
from ganlint.reading.code.construct.module import ModuleScope
from ganlint.reading.code.networks import TORCH_LAYERS, module_networks, read_network

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
SEED_FUNCS = {"manual_seed", "manual_seed_all", "seed_everything", "set_seed", "set_random_seed", "seed_all"}
DATA_LOADS = {
    "np.load", "numpy.load", "np.loadtxt", "numpy.loadtxt", "np.genfromtxt", "numpy.genfromtxt", "np.fromfile",
    "pd.read_csv", "pandas.read_csv", "pd.read_parquet", "pd.read_pickle", "pd.read_excel", "pd.read_table",
    "pd.read_json", "pd.read_feather", "h5py.File", "loadmat", "scipy.io.loadmat", "sio.loadmat", "read_csv",
}
NORM_CALLS = {"Normalize", "StandardScaler", "MinMaxScaler", "RobustScaler", "normalize", "scale", "zscore",
              "standardize", "whiten", "MaxAbsScaler", "QuantileTransformer", "PowerTransformer"}
RANDOM_TORCH = {"rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "poisson"}
_DATA_VAR = re.compile(r"data|dataset|samples|points|^x$|^x_|train|real|^X|^ds$|^df|frame|inputs|images|imgs|batch", re.I)
_LOGVAR = re.compile(r"log(var|sigma|std|variance|s2|sig)|^lv$")
_KL_VAR = re.compile(r"^(loss)?(kl|kld|kldiv|kldivergence|kldloss|klloss|klterm|kldterm|latentloss)(loss)?$")
_ANNEAL_WORDS = ("step", "epoch", "iter", "anneal", "warm", "cycl", "schedul", "progress", "ramp")
_LOSS_TOKENS = {"loss", "err", "l", "cost", "objective", "obj"}
_D_TOKENS = {"d", "disc", "discriminator", "critic", "netd", "dis"}
_G_TOKENS = {"g", "gen", "generator", "netg"}
_SKIP = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)  # only ever in ctx/op/ops fields
_EXPR_FIELDS: dict[type, tuple[str, ...]] = {}  # node class -> the fields _expr descends into


@dataclass
class _Func:
    name: str
    cls: str | None
    node: ast.AST | None
    assigns: dict[str, list[tuple[int, ast.AST | None, bool]]] = field(default_factory=dict)
    stmts: list[tuple[ast.stmt, list[str], bool]] = field(default_factory=list)
    grad_calls: list[tuple[GradCall, str | None]] = field(default_factory=list)
    kl_vars: set[str] = field(default_factory=set)
    has_critic_call: bool = False
    has_kl_expr: bool = False

    def value_before(self, name: str, line: int) -> tuple[ast.AST | None, bool, int] | None:
        hist = [h for h in self.assigns.get(name, []) if h[0] < line]
        if not hist:
            return None
        ln, val, ng = hist[-1]
        return val, ng, ln


def _is_logvar(name: str | None) -> bool:
    return bool(name) and bool(_LOGVAR.search(norm_var(name)))


def _base_name(node: ast.AST) -> str | None:
    """log_var -> log_var; self.log_var -> log_var; self.log_var(h) -> log_var; 0.5 * log_var -> log_var."""
    for _ in range(6):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            ln, rn = literal(node.left)[0], literal(node.right)[0]
            node = node.right if ln else node.left if rn else node
            if not (ln or rn):
                return None
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "mul", "div", "mul_", "div_", "clamp", "clip", "clamp_", "clip_"):
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


def _is_d_loss_name(name: str) -> bool:
    toks = tokens(name)
    return bool(set(toks) & _D_TOKENS) and bool(set(toks) & _LOSS_TOKENS | {"lossd", "errd", "dloss"} & set(toks))


def _is_g_loss_name(name: str) -> bool:
    toks = set(tokens(name))
    return bool(toks & _G_TOKENS) and bool(toks & _LOSS_TOKENS)


class CodeReader:
    def __init__(self, path: str, text: str):
        self.src = Source(path, text)
        self.f = CodeFacts()
        self.funcs: list[_Func] = []
        self.classes: list[str] = []
        self.loops: list[tuple[set[str], ast.AST]] = []
        self.no_grad = 0
        self.var_class: dict[str, str] = {}
        self.grad_aliases = {"torch.autograd.grad", "autograd.grad"}
        self.clamped_exp: set[int] = set()
        self.optimizer_vars: set[str] = set()
        self.act_tables: set[str] = set()
        self.stmt_target: str | None = None

    # -- entry ------------------------------------------------------------------------------------
    def read(self, tree: ast.Module) -> CodeFacts:
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module in ("torch.autograd", "torch.autograd.functional"):
                for a in node.names:
                    if a.name == "grad":
                        self.grad_aliases.add(a.asname or "grad")
        self.act_tables = ModuleScope(self.src, tree, self.src.text)  # constants, flags, call sites
        self.funcs.append(_Func("<module>", None, tree))
        self._body(tree.body)
        self._end_func(self.funcs.pop())
        self.f.networks_all.extend(module_networks(self.act_tables, self.f))
        return self.f

    # -- traversal --------------------------------------------------------------------------------
    def _body(self, body: list[ast.stmt]) -> None:
        for st in body:
            self._stmt(st)

    def _stmt(self, st: ast.stmt) -> None:
        if isinstance(st, ast.ClassDef):
            self.f.networks_all.append(read_network(self.src, st, self.act_tables))
            self.classes.append(st.name)
            self._body(st.body)
            self.classes.pop()
            for d in st.decorator_list:
                self._expr(d)
            return
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            low = st.name.lower()
            if "warmup" in low or "warm_up" in low or ("lr" in tokens(st.name) and ("scale" in low or "lambda" in low)):
                self.f.schedulers.append(Marker("warmup", self.src.loc(st), st.name))
            if "anneal" in low and ("kl" in low or "beta" in low):
                self.f.kl_annealing.append(Marker("kl-anneal", self.src.loc(st), st.name))
            if "infonce" in low.replace("_", ""):
                self.f.infonce.append(Marker("infonce", self.src.loc(st), st.name))
            ng = any("no_grad" in (dotted(d) or call_name(d) or "") for d in st.decorator_list)
            fn = _Func(st.name, self.classes[-1] if self.classes else None, st)
            self.funcs.append(fn)
            saved_loops, self.loops = self.loops, []
            saved_ng, self.no_grad = self.no_grad, (1 if ng else 0)
            for d in st.args.defaults + st.args.kw_defaults:
                if d is not None:
                    self._expr(d)
            self._body(st.body)
            self.loops, self.no_grad = saved_loops, saved_ng
            self._end_func(self.funcs.pop())
            return
        fn = self.funcs[-1]
        if isinstance(st, (ast.For, ast.AsyncFor)):
            self._expr(st.iter)
            names = {n.id for n in walk(st.target) if isinstance(n, ast.Name)}
            self._record_assign(st.target, None, st)
            self.loops.append((names, st.iter))
            self._body(st.body)
            self.loops.pop()
            self._body(st.orelse)
            return
        if isinstance(st, (ast.With, ast.AsyncWith)):
            ng = any("no_grad" in (call_name(i.context_expr) or dotted(i.context_expr) or "")
                     or "inference_mode" in (call_name(i.context_expr) or "") for i in st.items)
            for i in st.items:
                self._expr(i.context_expr)
            self.no_grad += ng
            self._body(st.body)
            self.no_grad -= ng
            return
        if isinstance(st, (ast.If, ast.While)):
            self._expr(st.test)
            self._body(st.body)
            self._body(st.orelse)
            return
        if isinstance(st, ast.Try) or type(st).__name__ == "TryStar":
            self._body(st.body)
            for h in st.handlers:
                self._body(h.body)
            self._body(st.orelse)
            self._body(st.finalbody)
            return
        if isinstance(st, ast.Match):
            self._expr(st.subject)
            for c in st.cases:
                self._body(c.body)
            return
        if isinstance(st, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = st.value
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            if value is not None and len(targets) == 1 and isinstance(targets[0], ast.Tuple) \
                    and isinstance(value, ast.Tuple) and len(value.elts) == len(targets[0].elts):
                for t, v in zip(targets[0].elts, value.elts):
                    self._expr(v, target=t)
                    self._record_assign(t, v, st)
                    self._assign_facts(t, v, st)
            elif value is not None:
                t0 = targets[0] if len(targets) == 1 else None
                self.stmt_target = (t0.id if isinstance(t0, ast.Name) else dotted(t0)) if t0 is not None else None
                self._expr(value, target=t0)
                self.stmt_target = None
                for t in targets:
                    self._record_assign(t, value if not isinstance(st, ast.AugAssign) else st, st)
                    self._assign_facts(t, value, st)
            names = [n.id if isinstance(n, ast.Name) else dotted(n) or "" for t in targets for n in
                     (t.elts if isinstance(t, ast.Tuple) else [t])]
            fn.stmts.append((st, names, self.no_grad > 0))
            return
        if isinstance(st, (ast.Expr, ast.Return)):
            if st.value is not None:
                self._expr(st.value)
                fn.stmts.append((st, [], self.no_grad > 0))
            return
        for child in ast.iter_child_nodes(st):
            if isinstance(child, ast.expr):
                self._expr(child)

    def _record_assign(self, target: ast.AST, value: ast.AST | None, st: ast.stmt) -> None:
        fn = self.funcs[-1]
        if isinstance(target, (ast.Tuple, ast.List)):
            for e in target.elts:
                self._record_assign(e, None, st)
            return
        name = target.id if isinstance(target, ast.Name) else dotted(target)
        if name:
            fn.assigns.setdefault(name, []).append((st.lineno, value, self.no_grad > 0))

    def _expr(self, node: ast.AST, target: ast.AST | None = None) -> None:
        """Visit every call/binop inside an expression (pre-order, one pass)."""
        stack = [node]
        pop, push = stack.pop, stack.append
        while stack:
            n = pop()
            cls = type(n)
            if cls is ast.Name or cls is ast.Constant:
                continue
            if cls is ast.Call:
                self._call(n, target if n is node else None)
            elif cls is ast.BinOp:
                self._binop(n)
            elif cls is ast.Subscript:
                if type(n.slice) is ast.Constant:
                    ref = self.src.config_ref(n)
                    if ref is not None:
                        self.f.config_keys.add(ref.key)
            elif cls is ast.Attribute:
                v = n.value
                if (type(v) is ast.Name and v.id in CONFIG_NAMES) or (
                        type(v) is ast.Attribute and v.attr in CONFIG_NAMES and type(v.value) is ast.Name):
                    ref = self.src.config_ref(n)
                    if ref is not None and type(n.ctx) is not ast.Store:
                        self.f.config_keys.add(ref.key)
            fields = _EXPR_FIELDS.get(cls)
            if fields is None:
                fields = _EXPR_FIELDS[cls] = tuple(f for f in node_fields(cls) if f not in ("ctx", "op", "ops"))
            children = []
            for name in fields:  # ast.iter_child_nodes(n) in its order, less the _SKIP kinds (ctx/op/ops)
                value = getattr(n, name, None)
                if value.__class__ is list:
                    for c in value:
                        if isinstance(c, ast.AST):
                            children.append(c)
                elif isinstance(value, ast.AST):
                    children.append(value)
            for c in reversed(children):
                push(c)

    # -- assignments ------------------------------------------------------------------------------
    def _assign_facts(self, target: ast.AST, value: ast.AST, st: ast.stmt) -> None:
        tname = target.id if isinstance(target, ast.Name) else dotted(target)
        # lr set by hand: g['lr'] = base * scale
        if isinstance(target, ast.Subscript):
            sl = target.slice
            if isinstance(sl, ast.Constant) and sl.value == "lr":
                self.f.schedulers.append(Marker("lr-assign", self.src.loc(st), self.src.seg(st)))
        if isinstance(target, ast.Attribute) and target.attr == "data" and isinstance(value, ast.Call):
            if last(call_name(value)) in ("clamp", "clip") and self._is_param_loop_var(target.value):
                self.f.weight_clips.append(WeightClip(self.src.loc(value), self._clip_arg(value), self.src.loc(st)))
        if not tname:
            return
        short = tname.rsplit(".", 1)[-1]
        # clamps on a log-variance: log_var = torch.clamp(..., -10, 10)
        if _is_logvar(short) and isinstance(value, ast.Call) and last(call_name(value)) in (
                "clamp", "clip", "clamp_", "clip_", "tanh", "softplus", "hardtanh"):
            self.f.clamped_logvars.add(norm_var(short))
        # annealed KL weights written anywhere: self.beta = min(1.0, step / T)
        low = norm_var(short)
        if any(w in low for w in ("kl", "beta", "weight", "alpha", "anneal", "coef", "lambda")) and self._annealed(value):
            self.f.kl_annealing.append(Marker("kl-anneal", self.src.loc(st), short))
        # KL terms
        if _KL_VAR.match(low) or (self.funcs[-1].has_kl_expr and self._is_kl_expr(value)):
            self.funcs[-1].kl_vars.add(tname)
            self.f.kl_terms.append(Marker("kl", self.src.loc(st), short, self._scope()))
        # data loads assigned to a data-like name
        if isinstance(value, ast.Call) and call_name(value) == "torch.load" and _DATA_VAR.search(short):
            self.f.data_loads.append(Marker("torch.load", self.src.loc(value), self.src.seg(value), self._scope()))
        # var -> constructed class
        if isinstance(value, ast.Call):
            cname = call_name(value)
            if cname and last(cname)[:1].isupper() and cname not in self.var_class:
                self.var_class[tname] = last(cname)

    def _is_kl_expr(self, value: ast.AST) -> bool:
        has_exp = has_mu = False
        for n in walk(value):
            if isinstance(n, ast.Call):
                cn = last(call_name(n))
                if cn in ("kl_divergence", "kl_div"):
                    return True
                if cn in ("exp", "exp_") and _is_logvar(_base_name(n.args[0] if n.args else n.func.value if isinstance(n.func, ast.Attribute) else n)):
                    has_exp = True
            if isinstance(n, (ast.Name, ast.Attribute)):
                nm = n.id if isinstance(n, ast.Name) else n.attr
                if nm.lower().startswith("mu") or nm.lower() in ("mean", "z_mean", "m"):
                    has_mu = True
        return has_exp and has_mu

    def _annealed(self, value: ast.AST | None) -> bool:
        if value is None:
            return False
        for n in walk(value):
            nm = n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else None
            if nm and any(w in nm.lower() for w in _ANNEAL_WORDS):
                return True
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and any(w in n.value.lower() for w in ("anneal", "warm")):
                return True
        return False

    def _scope(self) -> str | None:
        fn = self.funcs[-1]
        if fn.name == "<module>":
            return None
        return f"{fn.cls}.{fn.name}" if fn.cls else fn.name

    def _is_param_loop_var(self, node: ast.AST) -> bool:
        if not isinstance(node, ast.Name):
            return False
        for names, it in reversed(self.loops):
            if node.id in names:
                return "parameters" in (dotted(getattr(it, "func", None)) or "") or any(
                    isinstance(c, ast.Call) and last(call_name(c)) in ("parameters", "named_parameters")
                    for c in walk(it))
        return False

    def _clip_arg(self, call: ast.Call):
        node = call.args[-1] if call.args else None
        for kw in call.keywords:
            if kw.arg in ("max",):
                node = kw.value
        return self.src.arg(node) if node is not None else None

    # -- binops -----------------------------------------------------------------------------------
    def _binop(self, n: ast.BinOp) -> None:
        if isinstance(n.op, ast.Div):
            left = n.left
            right_names = {x.lower() for x in names_in(n.right)}
            ok, val = literal(n.right)
            if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Sub):
                self.f.normalizations.append(Marker("standardize", self.src.loc(n), self.src.seg(n)))
            elif any("std" in x or "sigma" in x or "scale" in x or x in ("max", "norm") for x in right_names):
                self.f.normalizations.append(Marker("scale", self.src.loc(n), self.src.seg(n)))
            elif ok and val in (255, 255.0, 127.5, 256):
                self.f.normalizations.append(Marker("scale-255", self.src.loc(n), self.src.seg(n)))
        if isinstance(n.op, ast.Add):
            # mu + std * eps
            for m, other in ((n.left, n.right), (n.right, n.left)):
                if not (isinstance(m, ast.BinOp) and isinstance(m.op, ast.Mult)):
                    continue
                if not any(x.lower().startswith("mu") or x.lower() in ("mean", "z_mean", "loc", "z_mu", "m") for x in names_in(other)):
                    continue
                if any(isinstance(c, ast.Call) and last(call_name(c)) in ("randn_like", "randn", "normal_", "normal")
                       for c in walk(m)) or any("eps" in x.lower() for x in names_in(m)):
                    self.f.reparameterisations.append(Marker("reparam", self.src.loc(n), self.src.seg(n), self._scope()))

    # -- calls ------------------------------------------------------------------------------------
    def _call(self, n: ast.Call, target: ast.AST | None) -> None:
        name = dotted(n.func)
        ln = n.func.attr if isinstance(n.func, ast.Attribute) else last(name)
        f = self.f
        fn = self.funcs[-1]
        tname = (target.id if isinstance(target, ast.Name) else dotted(target)) if target is not None else None

        if ln in ("kl_divergence", "kl_div", "exp", "exp_"):
            fn.has_kl_expr = True
        if not fn.has_critic_call and n.args and ln and not ln[:1].isupper() or ln in ("D", "netD"):
            if self._role_of_callee(n) == "critic":
                fn.has_critic_call = True
        # config keys read anywhere
        for a in [*n.args, *(k.value for k in n.keywords)]:
            ref = self.src.config_ref(a)
            if ref is not None:
                f.config_keys.add(ref.key)

        if name and ln in OPTIMIZERS and (name == ln or "optim" in name or name.startswith("torch")):
            self._optimizer(n, ln, tname)
            return
        if ln in SCHEDULERS:
            f.schedulers.append(Marker("scheduler", self.src.loc(n), ln))
        elif ln and ("warmup" in ln.lower() or "warm_up" in ln.lower()):
            f.schedulers.append(Marker("warmup", self.src.loc(n), ln))
        if ln in SEED_FUNCS or (name or "").endswith("random.seed") or (ln in ("default_rng", "RandomState", "Random") and n.args):
            f.seeds.append(Marker("seed", self.src.loc(n), name or ""))
        if name in DATA_LOADS and (self.stmt_target is None or _DATA_VAR.search(self.stmt_target.rsplit(".", 1)[-1])):
            # loaded into a data-like name (or used directly); `weights = np.load(...)` is not data
            f.data_loads.append(Marker(name, self.src.loc(n), self.src.seg(n), self._scope()))
        if name and "datasets." in name and ln[:1].isupper() and ln not in ("Dataset",):
            if any(k.arg in ("transform", "transforms") for k in n.keywords):
                f.normalizations.append(Marker("dataset-transform", self.src.loc(n), ln))
            else:
                f.data_loads.append(Marker(name, self.src.loc(n), self.src.seg(n), self._scope()))
        if ln in NORM_CALLS and ln != "scale" or (name in ("preprocessing.scale", "sklearn.preprocessing.scale")):
            f.normalizations.append(Marker(ln, self.src.loc(n), name or ""))
        if isinstance(n.func, ast.Attribute) and n.func.attr in ("div", "div_") and isinstance(n.func.value, ast.Call) \
                and isinstance(n.func.value.func, ast.Attribute) and n.func.value.func.attr in ("sub", "sub_"):
            f.normalizations.append(Marker("standardize", self.src.loc(n), self.src.seg(n)))
        # random calls inside forward / circuit construction
        if fn.name in ("forward", "__call__") or "circuit" in fn.name.lower() or (self.classes and "circuit" in self.classes[-1].lower()):
            rnd = None
            if name and (name.startswith("random.") or ".random." in f".{name}" and name.split(".")[0] in ("np", "numpy")):
                rnd = name
            elif name and name.startswith("torch.") and ln in RANDOM_TORCH:
                rnd = name
            if rnd:
                cls = self.classes[-1] if self.classes else None
                f.random_calls.append(Marker(rnd, self.src.loc(n), self.src.seg(n), self._scope(), role_from_name(cls) if cls else None))
        # losses
        if ln in ("BCELoss", "binary_cross_entropy"):
            f.losses.append(LossCall("bce", self.src.loc(n), self.src.seg(n)))
        elif ln in ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits"):
            f.losses.append(LossCall("bce_logits", self.src.loc(n), self.src.seg(n)))
        # gradient penalty
        if name in self.grad_aliases:
            self._grad(n, tname)
        # clipping
        if ln in ("clip_grad_norm_", "clip_grad_norm", "clip_grad_value_"):
            node = n.args[1] if len(n.args) > 1 else None
            for kw in n.keywords:
                if kw.arg in ("max_norm", "clip_value"):
                    node = kw.value
            f.grad_clips.append(GradClip("value" if "value" in ln else "norm", self.src.loc(n),
                                         self.src.arg(node) if node is not None else None))
        elif ln == "Trainer":
            for kw in n.keywords:
                if kw.arg == "gradient_clip_val":
                    f.grad_clips.append(GradClip("trainer", self.src.loc(n), self.src.arg(kw.value)))
        if isinstance(n.func, ast.Attribute) and n.func.attr in ("clamp_", "clip_"):
            recv = n.func.value
            if isinstance(recv, ast.Attribute) and recv.attr == "data":
                recv = recv.value
            if self._is_param_loop_var(recv):
                f.weight_clips.append(WeightClip(self.src.loc(n), self._clip_arg(n), self.src.loc(n)))
        # exp of a log-variance, clamps
        if ln in ("clamp", "clip", "clamp_", "clip_", "hardtanh"):
            arg = n.args[0] if (n.args and not (isinstance(n.func, ast.Attribute) and n.func.attr in ("clamp", "clip", "clamp_", "clip_") and dotted(n.func.value) not in ("torch", "np", "numpy"))) else (n.func.value if isinstance(n.func, ast.Attribute) else None)
            if arg is not None:
                b = _base_name(arg)
                if _is_logvar(b):
                    f.clamped_logvars.add(norm_var(b))
                for m in walk(arg):
                    if isinstance(m, ast.Call) and last(call_name(m)) in ("exp", "exp_"):
                        self.clamped_exp.add(id(m))
        if ln in ("exp", "exp_") and (name in ("torch.exp", "exp", "np.exp", "numpy.exp", "math.exp") or (isinstance(n.func, ast.Attribute) and not n.args)):
            arg = n.args[0] if n.args else n.func.value
            b = _base_name(arg)
            if _is_logvar(b):
                inline = id(n) in self.clamped_exp or any(
                    isinstance(m, ast.Call) and last(call_name(m)) in ("clamp", "clip", "clamp_", "clip_") for m in walk(arg))
                var_node = arg
                for m in walk(arg):
                    if isinstance(m, (ast.Name, ast.Attribute)) and (m.id if isinstance(m, ast.Name) else m.attr) == b:
                        var_node = m
                        break
                f.logvar_exps.append(ExpUse(b, self.src.loc(n), self.src.loc(var_node), inline, self.src.seg(n), self._scope()))
        # InfoNCE: cross_entropy over -E / tau
        if ln == "cross_entropy" and n.args:
            logits = n.args[0]
            if isinstance(logits, ast.Name):
                prev = fn.value_before(logits.id, n.lineno + 1)
                logits = prev[0] if prev and prev[0] is not None else logits
            if self._neg_over_tau(logits):
                f.infonce.append(Marker("infonce", self.src.loc(n), self.src.seg(n), self._scope()))
        if isinstance(n.func, ast.Attribute):
            if n.func.attr == "backward":
                f.backward_calls.append(Marker("backward", self.src.loc(n), self.src.seg(n), self._scope()))
            elif n.func.attr == "step" and not n.args and "opt" in (dotted(n.func.value) or "").lower():
                f.optimizer_steps.append(Marker("step", self.src.loc(n), self.src.seg(n), self._scope()))
            elif n.func.attr == "rsample":
                f.reparameterisations.append(Marker("reparam", self.src.loc(n), self.src.seg(n), self._scope()))
        # constructions of user classes (linking code to config)
        if name and ln[:1].isupper() and ln not in TORCH_LAYERS and name not in self.var_class \
                and not name.startswith(("torch.", "nn.", "optim.")):
            refs = [self.src.config_ref(a) for a in n.args]
            kws = {k.arg: self.src.config_ref(k.value) for k in n.keywords if k.arg}
            if tname or any(refs) or any(kws.values()):
                f.constructions.append(Construction(ln, self.src.loc(n), tname, refs, kws))

    def _neg_over_tau(self, node: ast.AST) -> bool:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return isinstance(node.operand, ast.BinOp) and isinstance(node.operand.op, ast.Div)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            l = node.left
            return (isinstance(l, ast.UnaryOp) and isinstance(l.op, ast.USub)) or (
                isinstance(l, ast.Call) and isinstance(l.func, ast.Attribute) and l.func.attr == "neg")
        return False

    def _optimizer(self, n: ast.Call, cls: str, tname: str | None) -> None:
        params = n.args[0] if n.args else next((k.value for k in n.keywords if k.arg == "params"), None)
        net_var = None
        p = params
        for _ in range(3):
            if isinstance(p, ast.Call) and last(call_name(p)) in ("list", "chain") and p.args:
                p = p.args[0]
            elif isinstance(p, ast.Call) and isinstance(p.func, ast.Attribute) and p.func.attr in ("parameters", "named_parameters"):
                net_var = dotted(p.func.value)
                break
            else:
                break
        kwargs = {}
        for name, a in zip(OPT_POSITIONAL.get(cls, ("lr",)), n.args[1:]):
            kwargs[name] = self.src.arg(a)
        for kw in n.keywords:
            if kw.arg and kw.arg != "params":
                kwargs[kw.arg] = self.src.arg(kw.value)
        role = None
        if net_var:
            cls_name = self.var_class.get(net_var)
            role = role_from_name(cls_name) if cls_name else None
            role = role or role_from_name(net_var.rsplit(".", 1)[-1])
        if tname:
            self.optimizer_vars.add(tname)
        self.f.optimizers.append(Optimizer(cls, self.src.loc(n), tname, self.src.seg(params) if params is not None else None,
                                           net_var, role, kwargs, self.src.seg(n)))

    def _grad(self, n: ast.Call, tname: str | None) -> None:
        fn = self.funcs[-1]
        cg = None
        given = False
        for kw in n.keywords:
            if kw.arg == "create_graph":
                given = True
                ok, val = literal(kw.value)
                cg = bool(val) if ok else True  # a variable: assume the user knows
        inputs = n.args[1] if len(n.args) > 1 else next((k.value for k in n.keywords if k.arg == "inputs"), None)
        if isinstance(inputs, (ast.List, ast.Tuple)) and inputs.elts:
            inputs = inputs.elts[0]
        interp = None
        if inputs is not None:
            interp = self._interpolated(inputs, n.lineno + 1, 0)
        g = GradCall(self.src.loc(n), cg, given, self.src.seg(inputs) if inputs is not None else None, interp,
                     False, False, fn.name, self.src.seg(n))
        self.f.grad_calls.append(g)
        fn.grad_calls.append((g, tname))

    def _interpolated(self, node: ast.AST, line: int, depth: int) -> bool | None:
        if depth > 6:
            return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                "requires_grad_", "detach", "clone", "to", "float", "view", "reshape", "cuda"):
            return self._interpolated(node.func.value, line, depth + 1)
        if isinstance(node, ast.Call) and last(call_name(node)) in ("Variable", "tensor", "autograd.Variable") and node.args:
            return self._interpolated(node.args[0], line, depth + 1)
        if isinstance(node, ast.Call) and last(call_name(node)) == "lerp":
            return True
        if isinstance(node, ast.BinOp):
            mults = [m for m in walk(node) if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Mult)]
            return True if isinstance(node.op, ast.Add) and mults else None
        if isinstance(node, ast.Name):
            low = node.id.lower()
            if any(w in low for w in ("interp", "hat", "mix", "between", "inter")):
                return True
            prev = self.funcs[-1].value_before(node.id, line)
            if prev is not None and prev[0] is not None:
                return self._interpolated(prev[0], prev[2], depth + 1)
            if prev is None and any(w in low for w in ("real", "fake", "data", "gen", "sample")) or low in ("x", "x_real", "x_fake"):
                return False
            return None
        return None

    # -- per-function passes (cheap: over the statements recorded while walking) -------------------
    def _end_func(self, fn: _Func) -> None:
        self._gan_pass(fn)
        self._kl_pass(fn)
        self._penalty_pass(fn)

    def _role_of_callee(self, call: ast.Call) -> str | None:
        name = dotted(call.func)
        if not name:
            return None
        cls = self.var_class.get(name)
        if cls:
            r = role_from_name(cls)
            if r:
                return r
        short = name.rsplit(".", 1)[-1]
        if short in ("forward",):
            return None
        return role_from_name(short) if short and not short[:1].isupper() or len(short) <= 4 or short.startswith("net") else None

    def _fake_state(self, fn: _Func, node: ast.AST, line: int, ng: bool, depth: int = 0) -> tuple[str | None, ast.AST | None]:
        """None (not a generated batch), "live" (G(z) carrying gradients) or "detached"."""
        if depth > 8 or node is None:
            return None, None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("detach", "detach_"):
                st, where = self._fake_state(fn, node.func.value, line, ng, depth + 1)
                return ("detached", where) if st else (None, None)
            if node.func.attr in ("view", "reshape", "squeeze", "unsqueeze", "to", "float", "requires_grad_"):
                return self._fake_state(fn, node.func.value, line, ng, depth + 1)
        if isinstance(node, ast.Call) and self._role_of_callee(node) == "generator":
            return ("detached" if ng else "live"), node
        if isinstance(node, ast.Name):
            prev = fn.value_before(node.id, line)
            if prev is None or prev[0] is None:
                return None, None
            val, png, pln = prev
            st, where = self._fake_state(fn, val, pln, png, depth + 1)
            if st == "live" and png:
                st = "detached"
            return st, where
        return None, None

    def _gan_pass(self, fn: _Func) -> None:
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
                if node.args and self._role_of_callee(node) == "critic":
                    state, where = self._fake_state(fn, node.args[0], st.lineno, ng)
                    if state is None:
                        real = True
                    elif state == "live":
                        live.append((node, where))
                if len(node.args) >= 2 and isinstance(node.args[0], ast.Call) and self._role_of_callee(node.args[0]) == "critic":
                    lab = node.args[1]
                    lab_names = {x.lower() for x in names_in(lab)}
                    if node.args[0].args and any("zero" in x or x in ("fake_label", "fake_labels", "label_fake") for x in lab_names):
                        state, where = self._fake_state(fn, node.args[0].args[0], st.lineno, ng)
                        if state == "live":
                            zeros_live.append((node.args[0], where))
                if last(cn) in ("log", "log1p", "log_") or (isinstance(node.func, ast.Attribute) and node.func.attr == "log" and not node.args):
                    log_calls.append(node)
            for t in targets:
                if t:
                    tags[t.rsplit(".", 1)[-1] if "." not in t else t] = {"real": real, "live": list(live)}
            if ng:
                continue
            d_named = any(_is_d_loss_name(t.rsplit(".", 1)[-1]) for t in targets if t)
            report = zeros_live or (live if d_named else [])
            seen = set()
            for call, where in report:
                if id(call) in seen:
                    continue
                seen.add(id(call))
                arg = call.args[0]
                self.f.undetached_fakes.append(UndetachedFake(self.src.loc(call), self.src.seg(arg), self.src.loc(arg),
                                                              self.src.loc(where) if where is not None else None))
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
                    if isinstance(inner, ast.Call) and self._role_of_callee(inner) == "critic" and inner.args:
                        if self._fake_state(fn, inner.args[0], st.lineno, ng)[0] == "live":
                            self.f.losses.append(LossCall("nonsaturating", self.src.loc(lc), self.src.seg(lc)))
                    continue
                for _ in range(3):
                    if isinstance(dcall, ast.Call) and isinstance(dcall.func, ast.Attribute) and dcall.func.attr in ("view", "squeeze", "reshape", "mean"):
                        dcall = dcall.func.value
                if isinstance(dcall, ast.Call) and self._role_of_callee(dcall) == "critic" and dcall.args:
                    if self._fake_state(fn, dcall.args[0], st.lineno, ng)[0] == "live":
                        saturating.append((targets, LossCall("saturating", self.src.loc(lc), self.src.seg(lc), self.src.seg(dcall))))

        if saturating:
            # a term that flows into the discriminator's loss is the D step's log(1 - D(G(z))), not G's loss
            d_vars: set[str] = set()
            for st, targets, _ng in reversed(fn.stmts):
                if st.value is None:
                    continue
                if any(_is_d_loss_name(t.rsplit(".", 1)[-1]) for t in targets if t) or set(targets) & d_vars:
                    d_vars |= names_in(st.value)
            for targets, loss in saturating:
                if not set(targets) & d_vars:
                    self.f.losses.append(loss)

    def _kl_pass(self, fn: _Func) -> None:
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
                    self.f.kl_weights.append(self._kl_weight(fn, st, w))
                    break

    def _kl_weight(self, fn: _Func, st: ast.stmt, w: ast.AST) -> KLWeight:
        loc = self.src.loc(st)
        src = self.src.seg(w)
        ref = self.src.config_ref(w)
        if ref is not None:
            return KLWeight(loc, src, False, ref=ref)
        ok, val = literal(w)
        if ok and isinstance(val, (int, float)):
            return KLWeight(loc, src, False, literal=float(val))
        annealed = self._annealed(w)
        attr = None
        if isinstance(w, (ast.Name, ast.Attribute)):
            key = w.id if isinstance(w, ast.Name) else dotted(w)
            prev = fn.value_before(key or "", st.lineno) if key else None
            if prev is not None and prev[0] is not None:
                pv = prev[0]
                annealed = annealed or self._annealed(pv)
                if not annealed:
                    r2 = self.src.config_ref(pv)
                    if r2 is not None:
                        return KLWeight(loc, src, False, ref=r2)
                    ok, val = literal(pv)
                    if ok and isinstance(val, (int, float)):
                        return KLWeight(loc, src, False, literal=float(val))
            attr = (w.id if isinstance(w, ast.Name) else w.attr)
        elif isinstance(w, ast.Call):
            annealed = annealed or any(x in (call_name(w) or "").lower() for x in ("anneal", "schedul", "beta", "weight", "kl"))
        return KLWeight(loc, src, annealed, attr=attr)

    def _penalty_pass(self, fn: _Func) -> None:
        if not fn.grad_calls or fn.node is None:
            return
        fname = fn.name.lower()
        name_hint = any(w in fname for w in ("penalty", "gp", "lipschitz", "r1", "r2", "grad_pen"))
        two_sided = False
        normed: set[str] = set()
        for node in walk(fn.node):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and literal(node.right)[1] in (1, 1.0):
                if any(isinstance(m, ast.Call) and last(call_name(m)) in ("norm", "vector_norm", "sqrt") for m in walk(node.left)):
                    two_sided = True
            if isinstance(node, ast.Call) and last(call_name(node)) in ("norm", "pow", "vector_norm", "square", "sum"):
                normed |= names_in(node)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                normed |= names_in(node.left)
        for g, tname in fn.grad_calls:
            g.two_sided = two_sided
            g.is_penalty = name_hint or two_sided or bool(tname and tname.rsplit(".", 1)[-1] in normed)


def read_module(path: str, tree: ast.Module, text: str) -> CodeFacts:
    return CodeReader(path, text).read(tree)
