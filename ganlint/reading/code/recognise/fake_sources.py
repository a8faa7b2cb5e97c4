"""Where a generated batch or a discriminator loss comes from when it is not the step's own statement:
a generator's method (`fake = G.sample(n)`, defined in this file or another), or a loss helper whose result
a D step back-propagates (`c_loss, g = model.c_loss(x, z)`). Cross-file cases are recorded per file and
decided over the project by resolve_fakes."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, dotted, last
from ganlint.reading.code.facts import role_from_name
from ganlint.reading.code.recognise.scope import class_node

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def is_generator_class(r, cls: str | None) -> bool:
    return bool(cls) and role_from_name(cls) == "generator"


def generator_method(r, call: ast.Call) -> bool:
    """G.sample(n), self.netG.generate_images(n): a method called on the generator. A method of a generator
    class defined in this file counts when it returns the network's output (`return self(z)`); one defined
    elsewhere is kept pending (r.pending_methods) until the project's fake_methods decide."""
    if not isinstance(call.func, ast.Attribute) or call.func.attr in ("forward", "parameters", "state_dict", "apply"):
        return False
    recv = dotted(call.func.value)
    if recv and recv.endswith(".module"):  # nn.DataParallel(netG): netG.module.sample(n)
        recv = recv[: -len(".module")]
    if not recv:
        return False
    cls = r.var_class.get(recv)
    if (role_from_name(cls) if cls else role_from_name(recv.rsplit(".", 1)[-1])) != "generator":
        return False
    helper = r.all_funcs.get(call.func.attr)
    if helper is not None and is_generator_class(r, helper.cls):
        return helper.returns_fake
    r.pending_methods[id(call)] = call.func.attr
    return True


def returns_own_output(value: ast.AST) -> bool:
    """`self(z)`, `self.forward(z)`, `self.main(z)`, `self.net(z).view(...)`: the network's own output."""
    for _ in range(4):
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in (
                "view", "reshape", "squeeze", "unsqueeze", "to", "float"):
            value = value.func.value
            continue
        break
    if not isinstance(value, ast.Call):
        return False
    f = value.func
    return (isinstance(f, ast.Name) and f.id == "self") or (
        isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self")


def through_names(fn, value: ast.AST, line: int) -> ast.AST:
    for _ in range(4):
        if not isinstance(value, ast.Name):
            break
        prev = fn.value_before(value.id, line)
        if prev is None or prev[0] is None:
            break
        value, line = prev[0], prev[2]
    return value


_DETACHING = ("detach", "detach_", "data", "no_grad", "inference_mode")
_PASS_THROUGH = ("view", "reshape", "squeeze", "unsqueeze", "to", "float", "cuda", "contiguous")


def later_helper_returns_fake(r, fn, call: ast.Call) -> bool:
    """`self._sample(n)` or `sample(G, n)` called above its definition (the walk has not reached it yet): the
    definition further down, as written, returns the generator's output with its graph."""
    f = call.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self":
        cls = class_node(r, fn.cls)
        node = next((st for st in (cls.body if cls is not None else ()) if isinstance(st, _DEFS) and st.name == f.attr),
                    None)
    elif isinstance(f, ast.Name):
        table = r.__dict__.get("_module_defs")
        if table is None:
            table = r._module_defs = {st.name: st for st in (r.module_tree.body if r.module_tree else ())
                                      if isinstance(st, _DEFS)}
        node = table.get(f.id)
    else:
        return False
    if node is None or node is fn.node:
        return False
    cache = r.__dict__.setdefault("_later_fake_helpers", {})
    if id(node) not in cache:
        cache[id(node)] = _returns_generated(r, node)
    return cache[id(node)]


def _returns_generated(r, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A small helper whose every `return` is a generator's call (`return self.G(z)`, or a name assigned once
    from one), with nothing in it that detaches (.detach(), .data) or turns the gradient off (no_grad)."""
    if any("no_grad" in (dotted(d) or call_name(d) or "") for d in node.decorator_list):
        return False
    assigns: dict[str, list[ast.AST]] = {}
    returns: list[ast.AST | None] = []
    for i, n in enumerate(walk(node)):
        if i > 600 or (n is not node and isinstance(n, (*_DEFS, ast.Lambda, ast.ClassDef))):
            return False  # not a small helper: left unread
        if isinstance(n, ast.Attribute) and n.attr in _DETACHING or isinstance(n, ast.Name) and n.id in _DETACHING:
            return False
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            assigns.setdefault(n.targets[0].id, []).append(n.value)
        elif isinstance(n, ast.Return):
            returns.append(n.value)
    if not returns:
        return False
    for v in returns:
        v = _unwrap(v)
        if isinstance(v, ast.Name):
            values = assigns.get(v.id, [])
            v = _unwrap(values[0]) if len(values) == 1 else None
        if not (isinstance(v, ast.Call) and r.role_of_callee(v) == "generator"):
            return False
    return True


def _unwrap(v: ast.AST | None) -> ast.AST | None:
    for _ in range(4):
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr in _PASS_THROUGH:
            v = v.func.value
    return v


def step_helpers(r, fn, step: set[int], out: set[str]) -> None:
    """The functions whose results a step back-propagates: `c_loss, g = model.c_loss(x, z)` in the D step."""
    for st, _targets, _ng in fn.stmts:
        if id(st) in step and st.value is not None:
            for node in walk(st.value):
                if isinstance(node, ast.Call):
                    name = last(call_name(node)) or (node.func.attr if isinstance(node.func, ast.Attribute) else "")
                    if name and name[:1].islower():
                        out.add(name)


def later_fake(r, fn, call: ast.Call, line: int, ng: bool) -> tuple[str | None, ast.AST | None, ast.AST | None]:
    """(state, where G made it, the argument) of the first generated batch among D's later positional
    arguments: a two-input discriminator D(real, fake) (a VAE-GAN's, pix2pix's)."""
    from ganlint.reading.code.recognise.fake_state import fake_state

    for arg in call.args[1:]:
        state, where = fake_state(r, fn, arg, line, ng)
        if state is not None:
            return state, where, arg
    return None, None, None


def keep_first_inputs(fakes: list, start: int) -> None:
    """Of one function's undetached fakes (from `start` on), those given to D as a later input (D(x, E(x))
    beside D(G(z), z) in a BiGAN's D step) only when none is given first: one finding per D step, as before."""
    if any(u.later_input for u in fakes[start:]) and not all(u.later_input for u in fakes[start:]):
        fakes[start:] = [u for u in fakes[start:] if not u.later_input]


def forward_returns(r, fn, st: ast.Return, tags: dict, live: list) -> None:
    """A module's forward returning D(G(z)) with G's graph (a VAE-GAN computing every output in one pass:
    `return x_rec, self.discriminator(x, self.decoder(z)), ...`): recorded per position of the returned tuple;
    whether a D step back-propagates it is its callers' business (forward_uses, resolve_fakes)."""
    from ganlint.reading.code.facts import UndetachedFake

    if not fn.cls or role_from_name(fn.cls) in ("generator", "critic"):
        return
    parts = list(enumerate(st.value.elts)) if isinstance(st.value, ast.Tuple) else [(None, st.value)]
    for pos, part in parts:
        inside = {id(n) for n in walk(part)}
        held = [x for x in live if id(x[0]) in inside]
        held += [x for n in walk(part) if isinstance(n, ast.Name) and n.id in tags for x in tags[n.id]["live"]]
        for call, where, arg in held:
            r.f.forward_fakes.append((fn.cls, pos, UndetachedFake(
                r.src.loc(call), r.src.seg(arg), r.src.loc(arg), r.src.loc(where) if where is not None else None)))


def forward_uses(r, fn, uses: list) -> None:
    """The D steps whose loss is computed from a module's output: `out, d_out, rec = net(x)` ... `loss_d =
    f(d_out)`; `loss_d.backward(); opt_d.step()`. Recorded with the tuple positions the loss reads (None: all
    of it) for resolve_fakes to match against that class's forward_returns."""
    from ganlint.reading.code.facts import UndetachedFake
    from ganlint.reading.code.networks import TORCH_LAYERS

    if not uses:
        return
    by_id = {id(st): (st, ng) for st, _targets, ng in fn.stmts if isinstance(st, ast.Assign)}
    for back, via in uses:
        for key in via:  # only the statements this loss reached (a pasted script holds many D steps)
            st, ng = by_id.get(key, (None, True))
            if ng or len(st.targets) != 1:
                continue
            value = st.value
            callee = dotted(value.func) if isinstance(value, ast.Call) else None
            cls = r.var_class.get(callee) if callee else None
            if not cls or cls in TORCH_LAYERS or role_from_name(cls) in ("generator", "critic"):
                continue
            target = st.targets[0]
            positions = None
            if isinstance(target, ast.Tuple):
                names = [e.id if isinstance(e, ast.Name) else dotted(e) for e in target.elts]
                positions = frozenset(i for i, n in enumerate(names) if n in via[id(st)])
            call = back.value
            r.f.forward_uses.append((cls, positions, _class_modules(r, cls), UndetachedFake(
                r.src.loc(call), r.src.seg(value), r.src.loc(value), None,
                (dotted(call.func.value) or "",), through=r.src.seg(value))))


def _class_modules(r, cls: str) -> tuple[str, ...]:
    """Where the caller's file takes `cls` from: itself, or the modules a `from m import cls` names (as
    path endings, `pkg/models.py`), so that two scripts' look-alike classes are told apart."""
    cache = r.__dict__.setdefault("_class_modules", {})
    if cls not in cache:
        out = [r.src.path]
        for st in r.module_tree.body if r.module_tree is not None else ():
            if isinstance(st, ast.ImportFrom) and st.module and any(a.name == cls for a in st.names):
                out.append(st.module.replace(".", "/") + ".py")
        cache[cls] = tuple(out)
    return cache[cls]


def resolve_fakes(code) -> None:
    """Project-wide: D(G.sample(n)) counts when some generator class's `sample` returns its output, and a
    loss helper's undetached D(G(z)) when the helper's result is back-propagated by a D step (and by no G step)."""
    code.undetached_fakes.extend(u for m, u in code.method_fakes if m in code.fake_methods)
    code.undetached_fakes.extend(u for h, u in code.helper_fakes
                                 if h in code.d_step_helpers and h not in code.g_step_helpers)
    by_class: dict[str, list] = {}
    for cls, pos, u in code.forward_fakes:
        by_class.setdefault(cls, []).append((pos, u))
    seen: set = set()
    for cls, positions, modules, use in code.forward_uses:  # one finding per D step, at its backward
        made = [u for pos, u in by_class.get(cls, ()) if positions is None or pos is None or pos in positions]
        own = [u for u in made if any(u.location.file == m or u.location.file.endswith("/" + m) for m in modules)]
        made = own if own or len(modules) > 1 else made  # imported from a module the project lacks: not this one
        where = (use.location.file, use.location.line, use.location.column)
        if made and where not in seen:
            seen.add(where)
            use.fake_src, use.fake_location, use.generated_at = made[0].fake_src, made[0].fake_location, made[0].location
            code.undetached_fakes.append(use)
    code.method_fakes.clear()
    code.helper_fakes.clear()
    code.forward_fakes.clear()
    code.forward_uses.clear()
