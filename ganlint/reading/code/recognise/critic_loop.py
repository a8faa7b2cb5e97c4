"""Critic/generator step balance: `for _ in range(N):` around the critic's optimizer step (N critic updates per
G step), loops that update each once, and what reads a setting (copies into attributes, `.get('key')`)."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import calls_in, walk
from ganlint.reading.code.astutil import call_name, dotted, literal
from ganlint.reading.code.facts import CriticLoop, StepLoop, role_from_name
from ganlint.reading.code.recognise.scope import class_node


def _step_role(r, n: ast.AST) -> str | None:
    """"critic" / "generator" / "" for an optimizer's `.step()` call (also AMP's `scaler.step(opt)`), None for
    any other node."""
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "step" and (
            not n.args or len(n.args) == 1 and "scaler" in (dotted(n.func.value) or "").lower()):
        name = dotted(n.args[0] if n.args else n.func.value)
        if not name:
            return None
        role = next((o.role for o in r.optimizers_named(name) if o.role), None)
        return role or role_from_name(name.rsplit(".", 1)[-1]) or ""
    return None


def _method(cls_node: ast.ClassDef | None, name: str):
    for st in cls_node.body if cls_node is not None else ():
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)) and st.name == name:
            return st
    return None


def _attribute_value(cls_node: ast.ClassDef | None, attr: str) -> ast.AST | None:
    """The one value the class's methods assign to `self.<attr>` (None: never, or several different ones)."""
    values = []
    for st in cls_node.body if cls_node is not None else ():
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for n in ast.walk(st):
                if isinstance(n, ast.Assign) and any(dotted(t) == f"self.{attr}" for t in n.targets):
                    values.append(n.value)
                elif isinstance(n, ast.AugAssign) and dotted(n.target) == f"self.{attr}":
                    return None
    if len({ast.dump(v) for v in values}) != 1:
        return None
    return values[0]


def _step_roles(r, body: list[ast.stmt], cls_node: ast.ClassDef | None = None, depth: int = 0) -> set[str]:
    roles = set()
    memo = r.__dict__.get("_statement_step_roles")  # one function's end: a statement of nested loops is asked
    for st in body:  # about once per enclosing loop (and again for its range count): walked once
        key = (id(st), id(cls_node), depth == 0)
        if memo is not None and key in memo:
            roles |= memo[key]
            continue
        found = _statement_step_roles(r, st, cls_node, depth)
        if memo is not None:
            memo[key] = found
        roles |= found
    return roles


def _statement_step_roles(r, st: ast.stmt, cls_node: ast.ClassDef | None, depth: int) -> set[str]:
    roles = set()
    for n in calls_in(st):  # the calls of walk(st), in its order
        if depth == 0 and isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and cls_node is not None \
                and isinstance(n.func.value, ast.Name) and n.func.value.id == "self":
            cache = r.__dict__.setdefault("_method_step_roles", {})  # once per method, however many loops call it
            key = (cls_node.name, n.func.attr)
            if key not in cache:
                method = _method(cls_node, n.func.attr)  # self._train_critic(real, fake): the step is in there
                cache[key] = _step_roles(r, method.body, cls_node, depth + 1) if method is not None else set()
            roles |= cache[key]
        role = _step_role(r, n)
        if role is not None:
            roles.add(role)
    return roles


_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def _iteration(r, body: list[ast.stmt], cond: bool, out: dict, cls_node: ast.ClassDef | None = None) -> None:
    """Counts the optimizer steps one iteration of `body` runs: critic, generator (unconditional and under an
    if), and "inner" when an inner loop steps either (then the loop is not one-to-one); out["roles"]: the
    roles of every step in the body, inner loops and functions included. A `self.train_D(x)` call of the
    class's own method counts as one update of the role its steps have."""
    for st in body:
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out["roles"] |= _step_roles(r, [st])
            continue
        if isinstance(st, _LOOPS):
            inner = _step_roles(r, [st])
            out["roles"] |= inner
            if inner & {"critic", "generator"}:
                out["inner"] += 1
            continue
        kind = type(st).__name__
        if isinstance(st, ast.If):  # either branch runs only sometimes
            blocks = [(st.body, True), (st.orelse, True)]
        elif isinstance(st, (ast.With, ast.AsyncWith)):
            blocks = [(st.body, cond)]
        elif kind in ("Try", "TryStar"):
            blocks = [(st.body, cond), *((h.body, True) for h in st.handlers), (st.orelse, cond), (st.finalbody, cond)]
        elif kind == "Match":
            blocks = [(c.body, True) for c in st.cases]
        else:
            blocks = None
        if blocks is not None:
            for b, c in blocks:
                _iteration(r, b, cond or c, out, cls_node)
            continue
        for n in calls_in(st):
            role = _step_role(r, n)
            if role is None:
                if cls_node is not None and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) \
                        and n.func.value.id == "self":
                    _helper_update(r, n.func.attr, cls_node, cond, out)
                continue
            out["roles"].add(role)
            if role == "critic":
                out["critic"] += 1
                out.setdefault("critic_at", n)
            elif role == "generator":
                out["gen_if" if cond else "gen"] += 1


def _helper_update(r, name: str, cls_node: ast.ClassDef, cond: bool, out: dict) -> None:
    """`self.train_D(real)` in a loop: one critic update when the method steps only the critic, once and not in a
    loop of its own (likewise the generator); a method stepping both, or more often, leaves the balance unknown."""
    cache, key, both = r.__dict__.setdefault("_helper_updates", {}), (cls_node.name, name), {"critic", "generator"}
    if key not in cache:
        method = _method(cls_node, name)
        roles = _step_roles(r, method.body, cls_node, 1) if method is not None else set()
        steps = [n for n in calls_in(method) if _step_role(r, n) in both] if roles & both else []
        looped = bool(steps) and any(isinstance(n, _LOOPS) and _step_roles(r, [n], cls_node, 1) & both for n in walk(method))
        cache[key] = roles, steps[0] if len(steps) == 1 and not looped else None
    roles, first = cache[key]
    out["roles"] |= roles
    if not roles & both:
        return
    if both <= roles or first is None:
        out["inner"] += 1
    elif "critic" in roles:
        out["critic"] += 1
        out.setdefault("critic_at", first)
    else:
        out["gen_if" if cond else "gen"] += 1


def end_function(r, fn) -> None:
    if not fn.step_calls:
        return  # no `.step()` in the function: no critic loop, nothing to balance
    r._statement_step_roles = {}  # (the optimizers known stay the same until the function's end is read)
    try:
        _end_function(r, fn)
    finally:
        r._statement_step_roles = None


def _end_function(r, fn) -> None:
    if not fn.loops and isinstance(fn.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        # without a loop only its own `.step()` calls count: none written (`self.net(z)` alone), nothing to balance
        # (in an ASCII file every attribute name is written as it is read)
        text = r.src.seg(fn.node) if r.src.ascii else ""
        if text and "step" not in text:
            return
        _balanced(r, fn.node, _iteration_of(r, fn.node, class_node(r, fn.cls)), fn.name)  # train_step(self, x): D, G
    for loop in fn.loops:
        counts = _iteration_of(r, loop, class_node(r, fn.cls))  # one pass: the critic loop's roles and the balance
        it = getattr(loop, "iter", None)  # None: a while loop
        if not (isinstance(it, ast.Call) and call_name(it) == "range" and len(it.args) == 1 and not it.keywords):
            if not _generator_every_kth(r, fn, loop):
                _balanced(r, loop, counts)
            continue
        cls_node = class_node(r, fn.cls)
        roles = counts["roles"] | _step_roles(r, loop.body, cls_node)  # with the steps in self.<method>() calls
        if "critic" in roles and "generator" not in roles:
            count = _resolved_count(r, fn, cls_node, it.args[0], loop.lineno)
            passed = _passed_at_calls(r, fn, count)
            r.f.critic_loops.append(CriticLoop(r.src.loc(loop), r.src.arg(passed), passed=passed is not count))
        else:
            _balanced(r, loop, counts)


def _resolved_count(r, fn, cls_node: ast.ClassDef | None, count: ast.AST, line: int) -> ast.AST:
    """What a step count reads: `self.num_crit_training` set once in the class (its value, whatever the name),
    a local or module name assigned before (`n_critic = args.critic_iters`), else the expression itself."""
    if dotted(count) and dotted(count).startswith("self.") and dotted(count).count(".") == 1:
        cache = r.__dict__.setdefault("_attribute_values", {})
        if (fn.cls, count.attr) not in cache:
            cache[(fn.cls, count.attr)] = _attribute_value(cls_node, count.attr)
        value = cache[(fn.cls, count.attr)]
        count = value if value is not None else count
    if isinstance(count, ast.Name):
        prev = fn.value_before(count.id, line) or r.funcs[0].value_before(count.id, 10**9)
        if prev is not None and prev[0] is not None:
            count = prev[0]
    return count


def _passed_at_calls(r, fn, count: ast.AST) -> ast.AST:
    """A count that is the function's own parameter (`def train(self, epochs, D_steps=5)`): the literal this
    file's calls pass for it (`trainer.train(25, D_steps=1)`, the receiver built from the method's class), when
    every such call gives the same value (a call passing nothing gives the default). Else the count as it is."""
    node = fn.node
    if not isinstance(count, ast.Name) or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return count
    a = node.args
    positional = [p.arg for p in (*a.posonlyargs, *a.args)]
    defaults = dict(zip(positional[len(positional) - len(a.defaults):], a.defaults))
    defaults.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
    if count.id not in defaults or r.module_tree is None:
        return count
    if fn.cls is not None:
        positional = positional[1:]  # self
    index = positional.index(count.id) if count.id in positional else None
    calls = r.__dict__.get("_calls_by_name")
    if calls is None:  # one walk of the module for every count asked about
        calls = r.__dict__["_calls_by_name"] = {}
        for n in walk(r.module_tree):
            if isinstance(n, ast.Call):
                f = n.func
                key = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
                if key:
                    calls.setdefault(key, []).append(n)
    classes = {**r.act_tables.var_class, **r.var_class} if hasattr(r.act_tables, "var_class") else r.var_class
    values, passed = set(), None
    for call in calls.get(node.name, []):
        f = call.func
        if fn.cls is not None:  # obj.train(...) with obj = Trainer(...)
            if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and classes.get(f.value.id) == fn.cls):
                continue
        elif not isinstance(f, ast.Name):
            continue
        if any(isinstance(x, ast.Starred) for x in call.args) or any(k.arg is None for k in call.keywords):
            return count  # *args / **kwargs may carry it
        given = next((k.value for k in call.keywords if k.arg == count.id), None)
        if given is None and index is not None and index < len(call.args):
            given = call.args[index]
        ok, value = literal(given if given is not None else defaults[count.id])
        if not ok or not isinstance(value, int) or isinstance(value, bool):
            return count
        values.add(value)
        passed = passed or given
    return passed if passed is not None and len(values) == 1 else count


def _modulo_zero(test: ast.AST) -> tuple[ast.AST, ast.AST] | None:
    """(counter, k) of `counter % k == 0`, `0 == counter % k` or `not counter % k`."""
    mod = None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        mod = test.operand
    elif isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left, right = test.left, test.comparators[0]
        zero = [x for x in (left, right) if isinstance(x, ast.Constant) and x.value == 0 and type(x.value) is int]
        if len(zero) == 1:
            mod = right if zero[0] is left else left
    if isinstance(mod, ast.BinOp) and isinstance(mod.op, ast.Mod):
        return mod.left, mod.right
    return None


def _per_iteration_counter(loop: ast.AST, counter: ast.AST) -> bool:
    """The counter advances by one each iteration: the loop's index (`for i, x in enumerate(...)`, `for i in
    range(...)`, also as `i + 1`), or a name the body's own statements increment (`self.steps += 1`)."""
    if isinstance(counter, ast.BinOp) and isinstance(counter.op, ast.Add) and isinstance(counter.right, ast.Constant):
        counter = counter.left
    name = dotted(counter)
    if not name:
        return False
    target, it = getattr(loop, "target", None), getattr(loop, "iter", None)
    if isinstance(it, ast.Call) and call_name(it) == "enumerate" and isinstance(target, ast.Tuple) and target.elts:
        if dotted(target.elts[0]) == name:
            return True
    if isinstance(it, ast.Call) and call_name(it) == "range" and dotted(target) == name:
        return True
    return any(isinstance(st, ast.AugAssign) and isinstance(st.op, ast.Add) and dotted(st.target) == name
               and isinstance(st.value, ast.Constant) and st.value.value == 1 for st in loop.body)


def _generator_every_kth(r, fn, loop: ast.AST) -> bool:
    """`if i % k == 0:` around the generator's step while the rest of the iteration steps the critic
    unconditionally (the usual hand-written n_critic): recorded as a critic loop of k steps, k as written
    (a literal, a setting, a name assigned before). False when the loop is not of that shape."""
    cls_node = class_node(r, fn.cls)
    guard = None
    critic = False
    for st in loop.body:
        roles = _step_roles(r, [st], cls_node)  # the steps it runs, through self.<method>() calls too
        if isinstance(st, ast.If) and _modulo_zero(st.test) is not None and "generator" in roles \
                and "critic" not in roles and guard is None and not _step_roles(r, st.orelse, cls_node):
            guard = st
        elif roles & {"critic", "generator"}:
            if "generator" in roles or isinstance(st, (ast.If, *_LOOPS)) or type(st).__name__ in ("Try", "Match"):
                return False  # another generator step, or a critic step that runs only sometimes
            critic = True
    if guard is None or not critic:
        return False
    counter, k = _modulo_zero(guard.test)
    if not _per_iteration_counter(loop, counter):
        return False
    count = _resolved_count(r, fn, cls_node, k, guard.lineno)
    r.f.critic_loops.append(CriticLoop(r.src.loc(guard), r.src.arg(count), "modulo"))
    return True


def _iteration_of(r, loop: ast.AST, cls_node: ast.ClassDef | None = None) -> dict:
    counts = {"critic": 0, "gen": 0, "gen_if": 0, "inner": 0, "roles": set()}
    _iteration(r, loop.body, False, counts, cls_node)
    return counts


def _balanced(r, loop: ast.AST, counts: dict, function: str | None = None) -> None:
    """A loop (or a function without loops) whose iteration updates the critic and then, unconditionally, the
    generator once each."""
    if counts["critic"] and counts["gen"] == 1 and not counts["gen_if"] and not counts["inner"]:
        loc = r.src.loc(loop)
        if function is not None:  # the def line only, not the whole body
            loc = type(loc)(loc.file, loc.line, loc.column, loc.line, None)
        first = counts.get("critic_at")
        r.f.step_loops.append(StepLoop(loc, counts["critic"], function, r.src.loc(first) if first else None))


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    """A setting read by its name as a string (`cfg.get('n_critic', 5)`, `getattr(args, 'd_iters')`); and the
    flags choosing the adversarial loss."""
    if r.loops and ln:
        r.f.loop_calls.add(ln)  # `for x in loader: self.train_step(x)`
        r.f.file_loop_calls.add((r.src.path, ln))  # `gp = utils.grad_penalty(D, real, fake)` in a loop of this file
    if ln == "step" and len(n.args) <= 1 or isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) \
            and n.func.value.id == "self":
        r.funcs[-1].step_calls += 1  # opt.step(), scaler.step(opt), or self._critic_update() that may step
    if ln in ("add_argument", "DEFINE_enum", "DEFINE_string"):
        _loss_choice(r, n, ln)
    if ln in ("add_argument", "option", "argument") or ln.startswith("DEFINE"):
        return False  # a definition, not a read
    loads, constant = r.f.attr_loads, ast.Constant
    for a in n.args:
        # cfg.get('n_critic'), getattr(args, 'd_iters'), OmegaConf.select(cfg, 'train.n_critic')
        if a.__class__ is constant and type(a.value) is str:
            _count_key(loads, a.value)
    for k in n.keywords:
        if k.value.__class__ is constant and type(k.value.value) is str:
            _count_key(loads, k.value.value)
    return False


def _count_key(loads: dict[str, int], text: str) -> None:
    """A string argument that may name a setting: its last dotted part counts as read."""
    if len(text) <= 80 and text.replace(".", "_").isidentifier():
        leaf = text.rsplit(".", 1)[-1]
        loads[leaf] = loads.get(leaf, 0) + 1


def on_assign(r, target: ast.AST, tname: str | None, value: ast.AST, st: ast.stmt) -> None:
    """`self.d_iters = config.d_iters`: the setting copied into an attribute (read only if the attribute is)."""
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        key = r.src.config_key(value)
        if key is not None:
            r.f.config_copies.append((key.rsplit(".", 1)[-1], target.attr))


def _loss_choice(r, n: ast.Call, ln: str) -> None:
    """`add_argument('--adv_loss', choices=['wgan-gp', 'hinge'], default=...)`, `DEFINE_enum('loss', None,
    [...])`: the options name a Wasserstein loss and another; the default is read when it is a literal or a
    module constant, else left unknown."""
    from ganlint.reading.code.astutil import literal, tokens
    from ganlint.reading.code.facts import LossChoice
    from ganlint.reading.facts import _WASSERSTEIN_LOSSES

    kws = {k.arg: k.value for k in n.keywords if k.arg}
    if ln == "add_argument":
        names = [a.value for a in n.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        dest = kws["dest"].value if isinstance(kws.get("dest"), ast.Constant) else next(
            (x for x in names if x.startswith("--")), names[0] if names else None)
        options, default = kws.get("choices"), kws.get("default")
    else:
        dest = n.args[0].value if n.args and isinstance(n.args[0], ast.Constant) else None
        default = n.args[1] if len(n.args) > 1 else kws.get("default")
        options = n.args[2] if len(n.args) > 2 else kws.get("enum_values")
    if not isinstance(dest, str):
        return
    dest = dest.lstrip("-").replace("-", "_")
    ok, choices = literal(options)
    if "loss" not in tokens(dest) or not ok or not isinstance(choices, (list, tuple)):
        return
    choices = tuple(str(c) for c in choices)
    if not any(c.strip().lower().replace("-", "_") in _WASSERSTEIN_LOSSES for c in choices) or len(choices) < 2:
        return
    value = None
    if isinstance(default, ast.Name):  # default=DEFAULT_LOSS, a module constant
        prev = r.funcs[0].value_before(default.id, 10**9)
        default = prev[0] if prev is not None else None
    ok, v = literal(default)
    if ok and isinstance(v, str):
        value = v
    r.f.loss_choices.append(LossChoice(r.src.loc(n), dest, value, choices))
