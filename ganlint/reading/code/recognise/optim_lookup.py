"""Optimizers chosen by name: `OPTIMIZER[key](params, lr=lr)` with OPTIMIZER a module-level dict of optimizer
classes, `getattr(torch.optim, name)(params)`, and a helper that builds one from its parameters
(`get_optimizer(model, key, lr, **kw)` called as `get_optimizer(self.discriminator, 'adam', lr)`).

The class is known when the key is: a string literal, a name bound to one, a parameter's literal default,
or a config read (`cfg.optimizer`) whose setting the project pass `resolve_chosen_classes` finds. An
optimizer whose key stays unknown keeps the class "" (no rule that asks for Adam fires on it).
"""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import calls_in, walk
from ganlint.reading.code.astutil import dotted, last
from ganlint.reading.code.facts import Arg, Optimizer

# what a `**kwargs` handed through may hold: such keys become unknown, never the torch default
_SPLAT_KEYS = ("lr", "betas", "alpha", "eps", "momentum", "weight_decay")


def _optimizer_names():
    from ganlint.reading.code.recognise.optim import OPTIMIZERS

    return OPTIMIZERS


def _table(r, name: str) -> dict[str, str] | None:
    """key -> class of a module-level `NAME = {'adam': torch.optim.Adam, ...}` (every value an optimizer)."""
    cache = r.__dict__.setdefault("_optimizer_tables", {})
    if name not in cache:
        cache[name] = None
        for st in r.module_tree.body if r.module_tree is not None else ():
            if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in st.targets) \
                    and isinstance(st.value, ast.Dict) and st.value.keys:
                table = {}
                for k, v in zip(st.value.keys, st.value.values):
                    cls = last(dotted(v))
                    if not (isinstance(k, ast.Constant) and isinstance(k.value, str) and cls in _optimizer_names()):
                        table = None
                        break
                    table[k.value] = cls
                cache[name] = table
    return cache[name]


_CHOOSING = (ast.Subscript, ast.Call)  # the callees _chooser may answer for: TABLE[key](...), getattr(optim, k)(...)


def _chooser(r, n: ast.Call):
    """(key node, table or None for getattr(torch.optim, ...)) when the call's callee picks an optimizer class."""
    f = n.func
    if isinstance(f, ast.Subscript) and isinstance(f.value, ast.Name):
        table = _table(r, f.value.id)
        return (f.slice, table) if table else None
    if isinstance(f, ast.Call) and dotted(f.func) == "getattr" and len(f.args) == 2 \
            and (dotted(f.args[0]) or "") in ("torch.optim", "optim"):
        return f.args[1], None
    return None


def _class_of(key: str, table: dict[str, str] | None) -> str:
    if table is None:
        return key if key in _optimizer_names() else ""
    return table.get(key) or table.get(key.lower(), "")


def _param_default(fn_node, name: str) -> ast.AST | None:
    """The default value of parameter `name` of a def (None: not a parameter or no default)."""
    if not isinstance(fn_node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    a = fn_node.args
    pos = a.posonlyargs + a.args
    for p, d in zip(pos[len(pos) - len(a.defaults):], a.defaults):
        if p.arg == name:
            return d
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        if p.arg == name:
            return d
    return None


def _is_param(fn_node, name: str) -> bool:
    if not isinstance(fn_node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    a = fn_node.args
    return any(p.arg == name for p in a.posonlyargs + a.args + a.kwonlyargs)


def _key_value(r, node: ast.AST | None):
    """(class key string or None, config key or None) of a key expression at this point of the walk."""
    if node is None:
        return None, None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, None
    ref = r.src.config_key(node)
    if ref is not None:
        return None, ref
    if isinstance(node, ast.Name):
        fn = r.funcs[-1]
        prev = fn.value_before(node.id, node.lineno)
        if prev is not None and isinstance(prev[0], ast.Constant) and isinstance(prev[0].value, str):
            return prev[0].value, None
        if prev is not None and prev[0] is not None:  # name = args.optimizer
            return None, r.src.config_key(prev[0])
        if prev is None:
            d = _param_default(fn.node, node.id)
            if isinstance(d, ast.Constant) and isinstance(d.value, str):
                return d.value, None
            if prev is None and not _is_param(fn.node, node.id):
                mod = r.funcs[0].value_before(node.id, 10**9)
                if mod is not None and isinstance(mod[0], ast.Constant) and isinstance(mod[0].value, str):
                    return mod[0].value, None
    return None, None


def factories(r) -> dict:
    """name -> factory of the file's module-level helpers that build an optimizer from a chosen class, the
    ones defined below their first call included (found once per file, before the walk reaches them)."""
    got = r.__dict__.get("_optimizer_factories")
    if got is None:
        got = r._optimizer_factories = {}
        text = r.src.text
        if r.module_tree is not None and ("optim" in text or "OPTIM" in text) and (
                "getattr" in text or any(isinstance(st, ast.Assign) and isinstance(st.value, ast.Dict)
                                         for st in r.module_tree.body)):  # what a chooser needs (_chooser)
            for st in r.module_tree.body:
                if isinstance(st, ast.FunctionDef):
                    _prescan(r, st)
            r.f.optimizer_factories.extend((r.src.path, name, r.src, f) for name, f in got.items())
    return got


def _prescan(r, node: ast.FunctionDef) -> None:
    stored = None  # the names the helper assigns: walked for only when a call picks a class by a parameter
    for n in calls_in(node):  # (ast.walk's order: the first such call decides)
        if n.func.__class__ not in _CHOOSING:
            continue  # _chooser's answer for any other callee: None
        chooser = _chooser(r, n)
        if chooser is None or not isinstance(chooser[0], ast.Name) or not _is_param(node, chooser[0].id):
            continue
        if stored is None:
            stored = {m.id for m in walk(node) if isinstance(m, ast.Name) and isinstance(m.ctx, ast.Store)}
        if chooser[0].id not in stored:
            a = node.args
            r._optimizer_factories[node.name] = (node, [p.arg for p in a.posonlyargs + a.args], chooser[0].id, n,
                                                 chooser[1], a.kwarg.arg if a.kwarg else None)
            return


def imported_functions(r) -> dict[str, tuple[str, str, int]]:
    """local name -> (module, name, level) of the functions this file imports from the project's files."""
    got = r.__dict__.get("_imported_functions")
    if got is None:
        got = r._imported_functions = {}
        for st in r.module_tree.body if r.module_tree is not None else ():
            if isinstance(st, ast.ImportFrom) and (st.level or not (st.module or "").startswith(_LIBRARIES)):
                for a in st.names:
                    if a.name != "*" and not a.name[:1].isupper():
                        got[a.asname or a.name] = (st.module or "", a.name, st.level)
    return got


_LIBRARIES = ("torch", "torchvision", "numpy", "scipy", "sklearn", "tensorflow", "keras", "jax", "absl", "typing",
              "collections", "dataclasses", "pytorch_lightning", "lightning", "os", "math", "functools", "itertools")


class _Caller:
    """A call's reading context kept until every file is read: its file, the module and the function it is
    in (their assignments are complete), the names' classes and roles; `f` is the project's facts."""

    def __init__(self, r):
        self.src, self.funcs, self.module_tree = r.src, [r.funcs[0], r.funcs[-1]], r.module_tree
        self.var_class, self.net_roles, self.optimizer_vars = r.var_class, r.net_roles, r.optimizer_vars
        self.f = None


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    """An optimizer built by a chosen class, or by a helper (of this file, or imported from another file
    of the project: resolved once every file is read) that builds one."""
    chooser = _chooser(r, n)
    if chooser is not None:
        key_node, table = chooser
        fn = r.funcs[-1]
        if isinstance(key_node, ast.Name) and _is_param(fn.node, key_node.id) and fn.value_before(key_node.id, key_node.lineno) is None:
            _record_factory(r, fn, n, key_node.id, table)  # a helper: its callers say which class and network
            return True
        key, ref = _key_value(r, key_node)
        _made(r, n, _class_of(key, table) if key else "", tname, ref, table)
        return True
    factory = factories(r).get(name) if name else None
    if factory is not None:
        _factory_call(r, n, factory, tname)
        return True
    origin = imported_functions(r).get(name) if name and isinstance(n.func, ast.Name) else None
    if origin is not None and len(r.f.imported_optimizer_calls) < 256:
        r.f.imported_optimizer_calls.append((_Caller(r), n, tname, origin))
    return False


def _made(r, n: ast.Call, cls: str, tname: str | None, ref: str | None, table) -> None:
    from ganlint.reading.code.recognise.optim import _optimizer

    _optimizer(r, n, cls, tname)
    if ref is not None and not cls:
        r.f.optimizer_choices.append((r.f.optimizers[-1], ref, table))


def _record_factory(r, fn, inner: ast.Call, key_param: str, table) -> None:
    node = fn.node
    a = node.args
    params = [p.arg for p in a.posonlyargs + a.args]
    if params and params[0] in ("self", "cls") and fn.cls:
        return  # a method: its callers go through an instance
    factories(r)[fn.name] = (node, params, key_param, inner, table, a.kwarg.arg if a.kwarg else None)


def _factory_call(r, n: ast.Call, factory, tname: str | None, home=None) -> None:
    """The optimizer a call of a factory builds; `home`: the Source of the file defining the factory when
    it is not the caller's."""
    node, params, key_param, inner, table, kwarg = factory
    hs = home if home is not None else r.src
    bound: dict[str, ast.AST] = dict(zip(params, n.args))
    extra: dict[str, ast.AST] = {}
    for k in n.keywords:
        if k.arg in params:
            bound[k.arg] = k.value
        elif k.arg:
            extra[k.arg] = k.value
    splats = [a for a in n.args if isinstance(a, ast.Starred)] + [k.value for k in n.keywords if k.arg is None]
    splat = splats[0] if splats else None
    key, ref = _key_value(r, bound[key_param]) if key_param in bound else _key_value(r, _param_default(node, key_param))
    cls = _class_of(key, table) if key else ""
    # the network: the parameter whose .parameters() the inner call passes
    p0 = inner.args[0] if inner.args else None
    owner = p0.func.value if isinstance(p0, ast.Call) and isinstance(p0.func, ast.Attribute) \
        and p0.func.attr in ("parameters", "named_parameters") else None
    net = bound.get(owner.id) if isinstance(owner, ast.Name) else None
    net_var = dotted(net) if net is not None else None
    if net_var is None and isinstance(p0, ast.Name) and p0.id in bound:  # OPTIMS[name](params, ...) given D.parameters()
        net_var = next(iter(_owners(bound[p0.id])), None)
    from ganlint.reading.code.recognise.optim import OPT_POSITIONAL, optimizer_role

    kwargs: dict[str, Arg] = {}
    inner_kw = [(name, v) for name, v in zip(OPT_POSITIONAL.get(cls, ("lr",)), inner.args[1:])]
    inner_kw += [(k.arg, k.value) for k in inner.keywords if k.arg and k.arg != "params"]
    for name, v in inner_kw:
        if isinstance(v, ast.Name) and v.id in params:
            if v.id in bound:
                kwargs[name] = r.src.arg(bound[v.id])
            elif _param_default(node, v.id) is not None:
                kwargs[name] = hs.arg(_param_default(node, v.id))
        else:
            kwargs[name] = hs.arg(v)
    forwards = kwarg is not None and any(k.arg is None and dotted(k.value) == kwarg for k in inner.keywords)
    if forwards:
        for name, v in extra.items():
            kwargs[name] = r.src.arg(v)
        if splat is not None:
            for name in _SPLAT_KEYS:
                kwargs.setdefault(name, Arg(src=r.src.seg(splat), location=r.src.loc(splat)))
    role, roles = optimizer_role(r, [net_var] if net_var else [], tname)
    if tname:
        r.optimizer_vars.add(tname)
    opt = Optimizer(cls, r.src.loc(n), tname, f"{net_var}.parameters()" if net_var else None, net_var, role,
                    kwargs, r.src.seg(n), tuple(sorted(roles, key=str)), forwards_keywords=forwards)
    r.f.optimizers.append(opt)
    if ref is not None and not cls:
        r.f.optimizer_choices.append((opt, ref, table))


def _owners(node: ast.AST) -> list[str]:
    from ganlint.reading.code.recognise.optim import _param_owners

    return _param_owners(node)


def resolve_imported_factories(facts) -> None:
    """`opt_d = get_optimizer('adam', D.parameters(), lr)` with get_optimizer in another file of the project
    (`from utils.optim import get_optimizer`): the optimizer it builds, read as a call of a helper of the
    same file would be."""
    code = facts.code
    if not code.imported_optimizer_calls or not code.optimizer_factories:
        return
    from ganlint.reading.code.construct.imports import module_index, module_scope

    homes: dict[str, dict] = {}
    for path, name, src, factory in code.optimizer_factories:
        homes.setdefault(path.replace("\\", "/"), {})[name] = (src, factory)
    by_path, by_tail = module_index(list(homes))
    for caller, n, tname, (module, name, level) in code.imported_optimizer_calls:
        home = module_scope(by_path, by_tail, caller.src.path.replace("\\", "/"), module, level)
        got = homes.get(home, {}).get(name) if home is not None and home != caller.src.path.replace("\\", "/") else None
        if got is not None:
            caller.f = code
            _factory_call(caller, n, got[1], tname, home=got[0])
    code.imported_optimizer_calls.clear()


def stored_class_call(r, n: ast.Call, tname: str | None) -> None:
    """`generator.optimizer(generator.parameters(), lr=lr)` where `generator` holds a class of the project:
    the optimizer class that network stores in `optimizer` (`self.optimizer = torch.optim.RMSprop if wass
    else torch.optim.Adam`), known once every file is read (resolve_stored_classes)."""
    recv = dotted(n.func.value)
    cls = r.var_class.get(recv) if recv else None
    if not cls:
        return  # (most calls: before the imports, which cost more than this test)
    from ganlint.reading.code.construct.layers import TORCH_LAYERS
    from ganlint.reading.code.recognise.optim import _param_owners

    if cls and cls not in TORCH_LAYERS and _param_owners(n.args[0]) and len(r.f.stored_optimizer_calls) < 64:
        r.f.stored_optimizer_calls.append((_Caller(r), n, tname, cls, n.func.attr))


def resolve_stored_classes(facts) -> None:
    """The optimizers built by a class a network stores (stored_class_call), when the project defines that
    class once and its reading decided the attribute (a flag's default or the call site's arguments pick the
    branch; an undecided `X if flag else Y` stays unknown and builds nothing here)."""
    code = facts.code
    if not code.stored_optimizer_calls:
        return
    from ganlint.reading.code.recognise.optim import _optimizer

    by_name: dict[str, list] = {}
    for net in code.networks_all:
        by_name.setdefault(net.name, []).append(net)
    for caller, n, tname, cls, attr in code.stored_optimizer_calls:
        nets = by_name.get(cls, [])
        chosen = nets[0].optimizer_attrs.get(attr) if len(nets) == 1 else None
        if chosen and (nets[0].built_at is not None or not nets[0].assumed_defaults):
            caller.f = code
            _optimizer(caller, n, chosen, tname)
    code.stored_optimizer_calls.clear()


def resolve_chosen_classes(facts) -> None:
    """`OPTIMIZER[cfg.optimizer](...)`: the class named by the setting's value (argparse default, config file)."""
    from ganlint.reading.code.links import setting_for_key

    for opt, ref, table in facts.code.optimizer_choices:
        s = setting_for_key(facts, ref)
        if s is not None and isinstance(s.value, str):
            opt.cls = _class_of(s.value, table)
