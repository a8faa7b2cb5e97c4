"""Numbers written as locals of a script's function and handed to a network it builds there:

    def main():
        z_size = 512
        vae = VAE(zsize=z_size, layer_count=5)

`z_size` is the model's latent size as surely as a module constant would be; the config reader sees module
level only, so these become Settings here (style "code": the fix replaces the literal where it is written).
Only locals assigned once, to a plain number, at the function's own level, and only arguments of a call
that builds a network (its result's `.parameters()` are read in the function, or its class name says a
role): a loop bound or a loader's size stays out.
"""
from __future__ import annotations

import ast

from ganlint.core.errors import InputError
from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, last
from ganlint.reading.code.facts import role_from_name


def _number(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _built(value: ast.AST) -> ast.Call | None:
    """The constructor call of `VAE(...)`, `VAE(...).cuda()`, `Generator(nz).to(device)`."""
    while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and isinstance(value.func.value, ast.Call):
        value = value.func.value
    if isinstance(value, ast.Call) and last(call_name(value))[:1].isupper():
        return value
    return None


def end_function(r, fn) -> None:
    if fn.cls is not None or fn.name == "<module>" or not isinstance(fn.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return
    built = [(st, targets[0], call) for st, targets, _ng in fn.stmts
             if isinstance(st, ast.Assign) and len(targets) == 1 and targets[0] and (call := _built(st.value)) is not None
             and any(isinstance(a, ast.Name) for a in [*call.args, *(k.value for k in call.keywords)])]
    if not built:
        return  # the common case: nothing built from a local name, no second look at the statements
    top = {id(st) for st in fn.node.body}
    params_of: set[str] = set()  # names whose .parameters() the function reads (what it trains)
    for st, _targets, _ng in fn.stmts:
        for node in walk(st):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parameters" \
                    and isinstance(node.func.value, ast.Name):
                params_of.add(node.func.value.id)
    from ganlint.reading.config.values import make_setting

    seen: set[str] = set()
    for st, target, call in built:
        cls = last(call_name(call))
        if target not in params_of and role_from_name(cls) is None:
            continue
        args = [(None, a) for a in call.args] + [(k.arg, k.value) for k in call.keywords if k.arg]
        for kw, a in args:
            if not isinstance(a, ast.Name) or a.id in seen:
                continue
            hist = fn.assigns.get(a.id, [])
            if len(hist) != 1 or not _number(hist[0][1]):
                continue
            value_node = hist[0][1]
            owner = next((s for s, t, _ in fn.stmts if s.lineno == hist[0][0] and a.id in t), None)
            if owner is None or id(owner) not in top or not isinstance(owner, ast.Assign):
                continue
            loc = r.src.loc(value_node)
            for key in (a.id, kw):
                if not key:
                    continue
                try:
                    s = make_setting([key], value_node.value, loc.file, loc.line, loc.column, loc.end_line,
                                     loc.end_column, style="code", raw=r.src.seg(value_node))
                except InputError:
                    break  # 1e999: not a number ganlint can use; a local is no config to refuse
                if s.canonical is not None:
                    seen.add(a.id)
                    r.f.local_settings.append(s)
                    break


# a VAE trainer's name for its latent size (TVAE's embedding_dim): the latent only where the file has a KL term
_CODE_SIZES = {"embedding_dim", "embed_dim", "code_dim", "code_size"}


def class_defaults(r, cls: ast.ClassDef, net) -> None:
    """The numeric keyword defaults of a trainer class's __init__ (`class CTGAN: def __init__(self, ...,
    discriminator_steps=1)`): the values it trains with unless a call passes others (decided over the
    project by defaults_not_overridden). Only classes that are not networks (no nn.Module base, no forward)
    and that make an optimizer in their own methods; only names the vocabulary knows."""
    lightning = any(last(b) == "LightningModule" for b in net.bases) if net is not None else False
    if net is None or (not lightning and (net.is_module or any(last(b).endswith("Module") for b in net.bases))):
        return  # a network's __init__ defaults are its shape (construct/ reads them); a LightningModule trains
    end = getattr(cls, "end_lineno", cls.lineno)
    if not any(o.location.file == r.src.path and cls.lineno <= o.location.line <= end for o in r.f.optimizers):
        return
    init = next((st for st in cls.body if isinstance(st, ast.FunctionDef) and st.name == "__init__"), None)
    if init is None or (not lightning and any(isinstance(st, ast.FunctionDef) and st.name == "forward" for st in cls.body)):
        return
    from ganlint.reading.config.values import make_setting

    a = init.args
    positional = [*a.posonlyargs, *a.args][1:]  # less self
    pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults))
    pairs += [(p, d) for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
    index = {p.arg: i for i, p in enumerate(positional)}
    required = [p for p in positional[:len(positional) - len(a.defaults)] if _known_name(p.arg)]
    read = _read_by_class(cls, init) if pairs or required else None
    for param in required:
        # a required parameter the vocabulary knows (`G_input_dim`): set only where the calls pass it by keyword
        if read is None or param.arg in read:
            r.f.default_settings.append((cls.name, param.arg, index.get(param.arg), None,
                                         len(positional) - len(a.defaults), False))
    for param, default in pairs:
        if not _number(default):
            continue
        # a parameter its class never reads (`batch_size=16` saved as a hyperparameter) may train nothing
        unread = read is not None and param.arg not in read
        loc = r.src.loc(default)
        try:
            s = make_setting([param.arg], default.value, loc.file, loc.line, loc.column, loc.end_line,
                             loc.end_column, style="code", raw=r.src.seg(default), context=[cls.name])
        except InputError:
            continue
        if s.canonical is None and param.arg in _CODE_SIZES:
            s.canonical = "latent_dim?"  # the latent size when the file trains a VAE (decided over the project)
        if s.canonical is not None:
            r.f.default_settings.append((cls.name, param.arg, index.get(param.arg), s, len(positional) - len(a.defaults),
                                         unread))


def _known_name(name: str) -> bool:
    from ganlint.reading.config.values import make_setting

    try:
        return make_setting([name], 1, "", 1, 1, 1, 1, style="code", raw="1").canonical is not None
    except InputError:
        return False


def _read_by_class(cls: ast.ClassDef, init: ast.FunctionDef) -> set[str] | None:
    """The names through which the class can read its __init__ parameters: the names `__init__` loads
    (`self.lr = lr`, `super().__init__(lr=lr)`) and every attribute or string key its methods load
    (`self.hparams.lr`, `self.hparams["lr"]`). None (all of them) when `__init__` calls locals() or vars(), or
    a method hands the saved hyperparameters on whole (`make_optimizer(self.hparams, ...)`, `**self.hparams`)."""
    read: set[str] = set()
    for node in walk(init):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            read.add(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("locals", "vars") \
                and not node.args:
            return None
    for node in walk(cls):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            read.add(node.attr)
        elif isinstance(node, ast.Call) and any(
                isinstance(a, ast.Attribute) and a.attr == "hparams" for x in [*node.args, *node.keywords]
                for a in [x.value if isinstance(x, (ast.Starred, ast.keyword)) else x]):
            return None
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) <= 60:
            read.add(node.value)
    return read


def _sets(splat: str, npos: int, required: int) -> bool:
    """Whether a call's splat may set a defaulted parameter: a `**kwargs` one always; a `*args` one unless the
    class has required positional parameters the written positional arguments leave open: `GAN(*dm.size())`
    for `GAN(channels, width, height, lr=1e-3)` passes the shape, not the learning rate."""
    return splat == "kw" or splat == "pos" and npos >= required


def _init_heirs(code, wanted: set[str]) -> dict[str, list[str]]:
    """class -> the project's subclasses that run its `__init__` (they define none of their own, directly or
    through such a chain): `VAETabular(args.n, lr=args.lr)` of `class VAETabular(VAEBase): ...` passes lr to
    VAEBase's `__init__`."""
    inherits: dict[str, list[str]] = {}  # base -> direct subclasses without an __init__ of their own
    for n in code.networks_all:
        if not n.own_init:
            for b in n.bases:
                base = b.rsplit(".", 1)[-1]
                if base and base != n.name:
                    inherits.setdefault(base, []).append(n.name)
    out: dict[str, list[str]] = {}
    for base in wanted & inherits.keys():
        seen: list[str] = []
        todo = list(inherits[base])
        while todo and len(seen) < 100:
            name = todo.pop()
            if name not in seen and name != base:
                seen.append(name)
                todo.extend(inherits.get(name, ()))
        out[base] = seen
    return out


def defaults_not_overridden(code, elsewhere: set[str] = frozenset()) -> list:
    """The trainer defaults no call of their class replaces (by keyword, by position or through a splat), and
    the numbers the calls pass instead by keyword (`WGANGP(lr=5e-4)`: the setting is written at the call).
    A default its class never reads counts only when no other setting of the project (`elsewhere`: canonical
    names) says the same thing: a LightningModule's unread `batch_size=16` beside a data module's own."""
    shapes: dict[str, list] = {}
    for cls, npos, kws, splat, numbers in code.call_shapes:
        shapes.setdefault(cls, []).append((npos, kws, splat, numbers))
    heirs = _init_heirs(code, {d[0] for d in code.default_settings}) if code.default_settings else {}
    vae_files = {m.location.file for items in (code.kl_terms, code.reparameterisations, code.logvar_exps) for m in items}
    out = []
    passed_to: dict[str, set[str]] = {}  # keyword -> the classes calls pass it to (`PointsData(batch_size=128)`)
    for cls, _npos, kws, _splat, _numbers in code.call_shapes:
        for kw in kws:
            passed_to.setdefault(kw, set()).add(cls)
    for cls, param, index, s, required, unread in code.default_settings:
        calls = [c for name in (cls, *heirs.get(cls, ())) for c in shapes.get(name, ())]
        if s is None:  # a required parameter: only the numbers calls pass by keyword
            out += _keyword_numbers(calls, param)
            continue
        if unread and (s.canonical in elsewhere or passed_to.get(param, set()) - {cls, *heirs.get(cls, ())}):
            continue
        if any(_sets(splat, npos, required) or param in kws or (index is not None and npos > index)
               for npos, kws, splat, _n in calls):
            if s.canonical != "latent_dim?":
                out += _keyword_numbers(calls, param)
            continue
        if s.canonical == "latent_dim?":
            if s.location.file not in vae_files:
                continue
            s.canonical = "latent_dim"
        out.append(s)
    return out


def _keyword_numbers(calls, param: str) -> list:
    """The numbers the calls pass by keyword to `param`, as settings at the call sites."""
    from ganlint.reading.config.values import make_setting

    out = []
    for _npos, _kws, _splat, numbers in calls:
        for kw, value, loc, raw in numbers:
            if kw == param:
                try:
                    out.append(make_setting([kw], value, loc.file, loc.line, loc.column, loc.end_line,
                                            loc.end_column, style="code", raw=raw))
                except InputError:
                    pass
    return out
