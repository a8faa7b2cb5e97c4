"""One walk over a module's syntax tree -> CodeFacts. Never imports or runs the code it reads.

The walk is the only traversal; what it recognises lives in `recognise/`, one module per kind of fact,
dispatched by node type (as Ruff's checker does): every call goes to the call recognisers, every binary
operation to the binop recognisers, every assignment to the assignment recognisers, and each finished
function to the function passes (which look at the statements this walk recorded). Classes go to
networks.py.
"""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import node_fields, walk
from ganlint.reading.code.astutil import CONFIG_NAMES, REF_KINDS, Source, call_name, dotted, last, tokens
from ganlint.reading.code.facts import CodeFacts, Marker, role_from_name
from ganlint.reading.code.construct.bound_roles import Linked
from ganlint.reading.code.construct.layers import TORCH_LAYERS
from ganlint.reading.code.construct.module import ModuleScope
from ganlint.reading.code.networks import module_networks, read_network
from ganlint.reading.code.recognise import CALLS_BY_NAME as _CALLS_FOR
from ganlint.reading.code.recognise import ON_ASSIGN, ON_BINOP, ON_FUNCTION_END, calls_for
from ganlint.reading.code.recognise.default_run import arm_skipped
from ganlint.reading.code.recognise.helper_losses import read_helper_terms
from ganlint.reading.code.recognise.latent_heads import latent_heads
from ganlint.reading.code.recognise.local_settings import class_defaults
from ganlint.reading.code.recognise.optim_params import resolve as resolve_parameter_args
from ganlint.reading.code.recognise.optim_choices import resolve_choices
from ganlint.reading.code.recognise.scope import Func

_NOTHING_LINKED = Linked()
_EXPR_FIELDS: dict[type, tuple[str, ...]] = {}  # node class -> the fields _expr descends into, last first
_AST = ast.AST
_Name = ast.Name


class CodeReader:
    def __init__(self, path: str, text: str, linked: Linked | None = None):
        self.linked = linked or _NOTHING_LINKED  # what the file's imported helpers build or do (read_files)
        self.src = Source(path, text)
        self.f = CodeFacts()
        self.funcs: list[Func] = []
        self.all_funcs: dict[str, Func] = {}  # module-level and method names -> their last definition
        self.classes: list[str] = []
        self.loops: list[tuple[set[str], ast.AST]] = []
        self.no_grad = 0
        self.var_class: dict[str, str] = {}
        self.grad_aliases = {"torch.autograd.grad", "autograd.grad"}
        self.clamped_exp: set[int] = set()
        self.optimizer_vars: set[str] = set()
        self.act_tables: set[str] = set()
        self.stmt_target: str | None = None
        self.module_tree: ast.Module | None = None
        self.current_stmt: ast.stmt | None = None
        self.net_roles: dict[str, str] = {}  # networks whose role only their optimizer's name says
        self.tests: list[str] = []  # the conditions of the enclosing if/while statements (source text)
        self.branch: tuple = ()  # the enclosing if statements' arms (branch_entry), outermost first
        self.skipped_arms = 0  # how many enclosing arms the default run skips (recognise/default_run)
        self.pending_bce: list[tuple[str, ast.Call]] = []  # bce(D(x), y) with D resolved at the module's end
        self.pending_methods: dict[int, str] = {}  # id of a G.sample(n) call -> "sample" (defined in another file)
        self._optimizers_by_var: dict[str | None, list] = {}  # f.optimizers by variable, in order
        self._optimizers_indexed = 0  # how many of f.optimizers the index holds (the list only grows)
        self.pending_param_args: list = []  # (optimizer, keyword, parameter, function, index, default): `lr=lr`
        self.pending_choices: list = []  # (optimizer, keyword, conditional, function): `lr=lr_d`, lr_d = a if t else b

    # -- entry ------------------------------------------------------------------------------------
    def read(self, tree: ast.Module) -> CodeFacts:
        self.module_tree = tree
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module in ("torch.autograd", "torch.autograd.functional"):
                for a in node.names:
                    if a.name == "grad":
                        self.grad_aliases.add(a.asname or "grad")
        self.act_tables = ModuleScope(self.src, tree, self.src.text)  # constants, flags, call sites
        for var, cls in (*self.act_tables.bound_class.items(), *self.linked.classes.items()):  # G, D = build(opt)
            self.var_class.setdefault(var, cls)
        read_helper_terms(self)  # def loss(...): return mse, kl, -torch.log(1 - d_fake): its returned terms
        self.funcs.append(Func("<module>", None, tree))
        self._body(tree.body)
        self._end_func(self.funcs.pop())
        resolve_parameter_args(self)  # after the whole module: the calls that decide come later (`__main__`)
        resolve_choices(self)
        self.f.networks_all.extend(module_networks(self.act_tables, self.f))
        return self.f

    def scope(self) -> str | None:
        fn = self.funcs[-1]
        if fn.name == "<module>":
            return None
        return f"{fn.cls}.{fn.name}" if fn.cls else fn.name

    def role_of_callee(self, call: ast.Call) -> str | None:
        """The role the called object's name (or the class it was built from) says: D(x) -> critic."""
        name = dotted(call.func)
        if not name and isinstance(call.func, ast.Subscript):
            return _held_role(call.func)
        if not name:
            return None
        if name.endswith(".forward") and name.count(".") >= 1 and name != "self.forward":
            name = name[: -len(".forward")]  # self.generator.forward(z) is self.generator(z)
        cls = self.var_class.get(name)
        if cls and cls not in TORCH_LAYERS:  # self.b5 = nn.BatchNorm2d(...): a layer's class says no role ("2d")
            r = role_from_name(cls)
            if r:
                return r
        if name in self.net_roles:  # P and Q trained by G_solver: the generator's networks
            return self.net_roles[name]
        short = name.rsplit(".", 1)[-1]
        if short in ("forward",):
            return None
        return role_from_name(short) if short and not short[:1].isupper() or len(short) <= 4 or short.startswith("net") else None

    def optimizers_named(self, var: str) -> list:
        """The optimizers assigned to `var` so far, in the order they were made: one dict lookup instead of a
        scan of every optimizer in the file per `opt.step()` (which made the step passes quadratic)."""
        opts = self.f.optimizers
        if self._optimizers_indexed < len(opts):
            index = self._optimizers_by_var
            for o in opts[self._optimizers_indexed:]:
                index.setdefault(o.var, []).append(o)
            self._optimizers_indexed = len(opts)
        return self._optimizers_by_var.get(var, [])

    # -- traversal --------------------------------------------------------------------------------
    def _body(self, body: list[ast.stmt]) -> None:
        for st in body:
            self._stmt(st)

    def _function(self, st: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        low = st.name.lower()
        if "warmup" in low or "warm_up" in low or ("lr" in tokens(st.name) and ("scale" in low or "lambda" in low)):
            self.f.schedulers.append(Marker("warmup", self.src.loc(st), st.name))
        if "anneal" in low and ("kl" in low or "beta" in low):
            self.f.kl_annealing.append(Marker("kl-anneal", self.src.loc(st), st.name))
        if "infonce" in low.replace("_", ""):
            self.f.infonce.append(Marker("infonce", self.src.loc(st), st.name))
        ng = any("no_grad" in (dotted(d) or call_name(d) or "") for d in st.decorator_list)
        fn = Func(st.name, self.classes[-1] if self.classes else None, st)
        self.funcs.append(fn)
        saved_loops, self.loops = self.loops, []
        saved_ng, self.no_grad = self.no_grad, (1 if ng else 0)
        a = st.args
        self.f.param_names.update(p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))
        for d in st.args.defaults + st.args.kw_defaults:
            if d is not None:
                self._expr(d)
        self._body(st.body)
        self.loops, self.no_grad = saved_loops, saved_ng
        self._end_func(self.funcs.pop())
        self.all_funcs[st.name] = fn

    def _stmt(self, st: ast.stmt) -> None:
        if isinstance(st, ast.ClassDef):
            self.f.networks_all.append(read_network(self.src, st, self.act_tables))
            self.classes.append(st.name)
            self._body(st.body)
            self.classes.pop()
            class_defaults(self, st, self.f.networks_all[-1])
            latent_heads(self, st, self.f.networks_all[-1])
            for d in st.decorator_list:
                self._expr(d)
            return
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._function(st)
            return
        fn = self.funcs[-1]
        if isinstance(st, (ast.For, ast.AsyncFor)):
            self._expr(st.iter)
            names = {n.id for n in walk(st.target) if isinstance(n, ast.Name)}
            self._record_assign(st.target, None, st)
            self.loops.append((names, st.iter))
            fn.loops.append(st)
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
            if isinstance(st, ast.While):
                fn.loops.append(st)  # `while step < total_steps:` trains as a for loop does
            self._expr(st.test)
            self.tests.append(self.src.seg(st.test))
            saved, skipped = self.branch, self.skipped_arms
            if isinstance(st, ast.If):
                self.branch = (*saved, branch_entry(self.src, st, True))
                self.skipped_arms = skipped + arm_skipped(self, st.test, True)
            self._body(st.body)
            self.tests.pop()
            if isinstance(st, ast.If):
                self.branch = (*saved, branch_entry(self.src, st, False))
                self.skipped_arms = skipped + arm_skipped(self, st.test, False)
            self._body(st.orelse)
            self.branch, self.skipped_arms = saved, skipped
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
        self.current_stmt = st  # the simple statement whose expressions are walked now
        if isinstance(st, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            self._assign(st, fn)
            return
        if isinstance(st, (ast.Expr, ast.Return)):
            if st.value is not None:
                self._expr(st.value)
                fn.stmts.append((st, [], self.no_grad > 0))
            return
        for child in ast.iter_child_nodes(st):
            if isinstance(child, ast.expr):
                self._expr(child)

    def _assign(self, st: ast.Assign | ast.AnnAssign | ast.AugAssign, fn: Func) -> None:
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

    def _record_assign(self, target: ast.AST, value: ast.AST | None, st: ast.stmt) -> None:
        fn = self.funcs[-1]
        if isinstance(target, (ast.Tuple, ast.List)):
            for i, e in enumerate(target.elts):
                self._record_assign(e, None, st)
                if value is not None and value is not st and not any(isinstance(x, ast.Starred) for x in target.elts[:i + 1]):
                    name = e.id if isinstance(e, ast.Name) else dotted(e)
                    if name:  # `fake, aux = G(z)`: which part of the one value the name holds
                        fn.unpacked[(name, st.lineno)] = (value, i)
            return
        name = target.id if isinstance(target, ast.Name) else dotted(target)
        if name:
            fn.assigns.setdefault(name, []).append((st.lineno, value, self.no_grad > 0))

    def _assign_facts(self, target: ast.AST, value: ast.AST, st: ast.stmt) -> None:
        tname = target.id if isinstance(target, ast.Name) else dotted(target)
        for rec in ON_ASSIGN:
            rec(self, target, tname, value, st)
        # var -> constructed class (VAE().to(device), Generator(nz).cuda() too)
        while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and isinstance(
                value.func.value, ast.Call) and value.func.attr in ("to", "cuda", "float", "double", "train", "apply"):
            value = value.func.value
        if tname and isinstance(value, ast.Call):
            cname = call_name(value)
            if cname and last(cname)[:1].isupper() and cname not in self.var_class:
                self.var_class[tname] = last(cname)

    def _expr(self, node: ast.AST, target: ast.AST | None = None) -> None:
        """Visit every call/binop inside an expression (pre-order, one pass)."""
        stack = [node]
        pop, push = stack.pop, stack.append
        loads = self.f.attr_loads
        while stack:
            n = pop()
            cls = type(n)
            if cls is ast.Name or cls is ast.Constant:
                continue
            if cls is ast.Call:
                self._call(n, target if n is node else None)
            elif cls is ast.BinOp:
                for rec in ON_BINOP:
                    rec(self, n)
            elif cls is ast.Subscript:
                if type(n.slice) is ast.Constant:
                    key = self.src.config_key(n)
                    if key is not None:
                        self.f.config_keys.add(key)
                        leaf = key.rsplit(".", 1)[-1]
                        loads[leaf] = loads.get(leaf, 0) + 1
            elif cls is ast.Attribute:
                loads[n.attr] = loads.get(n.attr, 0) + 1  # what reads a setting (links.setting_unread)
                v = n.value
                if (type(v) is ast.Name and v.id in CONFIG_NAMES) or (
                        type(v) is ast.Attribute and v.attr in CONFIG_NAMES and type(v.value) is ast.Name):
                    key = self.src.config_key(n)
                    if key is not None and type(n.ctx) is not ast.Store:
                        self.f.config_keys.add(key)
            fields = _EXPR_FIELDS.get(cls)
            if fields is None:  # reversed: pushed last-first, so popped in ast.iter_child_nodes' order
                fields = _EXPR_FIELDS[cls] = tuple(reversed([f for f in node_fields(cls) if f not in ("ctx", "op", "ops")]))
            for name in fields:  # ast.iter_child_nodes(n), less the ctx/op/ops fields
                value = getattr(n, name, None)
                if value.__class__ is list:
                    for c in reversed(value):
                        if isinstance(c, _AST):
                            push(c)
                elif isinstance(value, _AST):
                    push(value)

    def _call(self, n: ast.Call, target: ast.AST | None) -> None:
        name = dotted(n.func)
        ln = n.func.attr if isinstance(n.func, ast.Attribute) else last(name)
        tname = (target.id if isinstance(target, ast.Name) else dotted(target)) if target is not None else None
        fn = self.funcs[-1]
        if not fn.has_critic_call and n.args and (ln and (not ln[:1].isupper() or len(ln) <= 4 or ln.startswith("net"))
                                                   or isinstance(n.func, ast.Subscript)):
            if self.role_of_callee(n) == "critic":
                fn.has_critic_call = True
        config_key, keys = self.src.config_key, self.f.config_keys
        for a in n.args:  # config keys read anywhere (only a call, subscript, attribute or name can be one)
            cls = a.__class__
            if cls is _Name:  # config_key's own answer for a name, without the call: a module constant
                if len(a.id) > 1 and a.id.isupper():
                    keys.add(a.id)
            elif cls in REF_KINDS:
                key = config_key(a)
                if key is not None:
                    keys.add(key)
        for k in n.keywords:
            v = k.value
            cls = v.__class__
            if cls is _Name:
                if len(v.id) > 1 and v.id.isupper():
                    keys.add(v.id)
            elif cls in REF_KINDS:
                key = config_key(v)
                if key is not None:
                    keys.add(key)
        recs = _CALLS_FOR.get(ln)
        for rec in recs if recs is not None else calls_for(ln):
            if rec(self, n, name, ln, tname):
                return  # the call is fully recognised (an optimizer): nothing else applies

    def _end_func(self, fn: Func) -> None:
        for rec in ON_FUNCTION_END:
            rec(self, fn)


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


def _held_role(sub: ast.Subscript) -> str | None:
    """A network held in a container: `nets['D'](x)` by its key, `D['model'](x)` (a dict of a model and its
    solver) by the container's name; an index (`nets[0](x)`) says nothing."""
    key = sub.slice.value if isinstance(sub.slice, ast.Constant) and isinstance(sub.slice.value, str) else None
    role = role_from_name(key) if key else None
    if role is None and key in ("model", "net", "network", "module"):
        container = dotted(sub.value)
        role = role_from_name(container.rsplit(".", 1)[-1]) if container else None
    return role


def read_module(path: str, tree: ast.Module, text: str, linked: Linked | None = None) -> CodeFacts:
    return CodeReader(path, text, linked).read(tree)
