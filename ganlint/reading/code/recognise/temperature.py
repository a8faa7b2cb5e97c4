"""Where an InfoNCE temperature comes from: the number a contrastive module divides its similarities by."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, dotted, last

# calls that hand their first argument on unchanged as a temperature: nn.Parameter(torch.tensor(0.07)), float(t)
_WRAPS = frozenset({"Parameter", "tensor", "as_tensor", "float", "item"})


def l2_normalises(fnode: ast.AST) -> bool:
    """The function L2-normalises embeddings: `F.normalize(z)` or `z / z.norm(dim=1, keepdim=True)`."""
    for m in walk(fnode):
        if isinstance(m, ast.Call) and last(call_name(m)) == "normalize":
            return True
        if isinstance(m, ast.BinOp) and isinstance(m.op, ast.Div) and isinstance(m.right, ast.Call) \
                and last(call_name(m.right)) == "norm":
            return True
    return False


def _unwrap(node: ast.AST | None) -> ast.AST | None:
    for _ in range(4):
        func = node.func if isinstance(node, ast.Call) else None
        if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) in _WRAPS:
            if node.args:
                node = node.args[0]
            elif isinstance(node.func, ast.Attribute):  # self.params[1].item()
                node = node.func.value
            else:
                return None
        else:
            break
    return node


def _only_set_in_init(cls: ast.ClassDef, init: ast.FunctionDef, target: str) -> ast.AST | None:
    """The value `self.<attr>` is given, when the class sets it once, in `__init__`."""
    sets = [n for n in walk(cls) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
            and any(dotted(t) == target for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]
    if len(sets) != 1 or not isinstance(sets[0], ast.Assign) or not init.lineno <= sets[0].lineno <= init.end_lineno:
        return None  # set more than once (annealed), or outside __init__
    return sets[0].value


def _buffer_element(cls: ast.ClassDef, buffer: str, index: int) -> ast.AST | None:
    """`self.register_buffer('params', torch.tensor([K, T, -1, momentum]))`: the element `index` of that list."""
    for m in walk(cls):
        if isinstance(m, ast.Call) and last(call_name(m)) == "register_buffer" and len(m.args) == 2 \
                and isinstance(m.args[0], ast.Constant) and m.args[0].value == buffer:
            held = _unwrap(m.args[1])
            if isinstance(held, (ast.List, ast.Tuple)) and 0 <= index < len(held.elts):
                return held.elts[index]
    return None


def _source(fn, cls: ast.ClassDef, init: ast.FunctionDef, den: ast.AST) -> ast.AST | None:
    """What the divisor holds, as written in `__init__`: a parameter's name or a number. `self.tau`, set once
    from a parameter or as `nn.Parameter(torch.tensor(0.07))`; or a local `T = self.params[1].item()` read back
    from a buffer of hyperparameters the constructor registered."""
    node = den
    for _ in range(3):
        if isinstance(node, ast.Name) and fn.node is not None:
            prev = fn.value_before(node.id, node.lineno)
            node = _unwrap(prev[0]) if prev else None
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            return _unwrap(_only_set_in_init(cls, init, dotted(node)))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and type(node.slice.value) is int and isinstance(node.value, ast.Attribute) \
                and isinstance(node.value.value, ast.Name) and node.value.value.id == "self":
            return _unwrap(_buffer_element(cls, node.value.attr, node.slice.value))
        else:
            return None
    return None


def temperature_default(r, fn, den: ast.AST) -> None:
    """InfoNCE logits over `self.temperature` of a loss module whose `__init__(self, temperature=0.07)` stores
    the parameter: its numeric default is the temperature unless the calls building the class pass another
    (decided over the project by defaults_not_overridden, like a trainer's __init__ defaults). A temperature
    the constructor writes as a number (`nn.Parameter(torch.tensor(0.07))`, learnable but started there) is
    a setting where it is written."""
    from ganlint.reading.code.recognise.scope import class_node

    if fn.cls is None:
        return
    cls = class_node(r, fn.cls)
    init = next((st for st in cls.body if isinstance(st, ast.FunctionDef) and st.name == "__init__"), None) if cls else None
    if init is None:
        return
    source = _source(fn, cls, init, den)
    if isinstance(source, ast.Constant) and type(source.value) in (int, float):
        name = den.attr if isinstance(den, ast.Attribute) else "temperature"
        s = _setting(r, name, source, cls.name)
        if s is not None and not any(t.location == s.location for t in r.f.local_settings):
            r.f.local_settings.append(s)
        return
    if not isinstance(source, ast.Name):
        return
    a = init.args
    positional = [*a.posonlyargs, *a.args][1:]  # less self
    pairs = [*zip(positional[len(positional) - len(a.defaults):], a.defaults),
             *((p, d) for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None)]
    param, default = next(((p, d) for p, d in pairs if p.arg == source.id), (None, None))
    if param is None or not (isinstance(default, ast.Constant) and type(default.value) in (int, float)):
        return
    if any(d[0] == cls.name and d[1] == param.arg for d in r.f.default_settings):
        return
    s = _setting(r, param.arg, default, cls.name)
    if s is not None:
        index = {p.arg: i for i, p in enumerate(positional)}
        r.f.default_settings.append((cls.name, param.arg, index.get(param.arg), s, len(positional) - len(a.defaults), False))


def _setting(r, name: str, value: ast.Constant, cls: str):
    from ganlint.core.errors import InputError
    from ganlint.reading.config.values import make_setting

    loc = r.src.loc(value)
    try:
        s = make_setting([name], value.value, loc.file, loc.line, loc.column, loc.end_line, loc.end_column,
                         style="code", raw=r.src.seg(value), context=[cls])
    except InputError:
        return None
    if s.canonical not in (None, "temperature"):
        return None
    s.canonical = "temperature"  # `t`, `tau`: the name says less than the division does
    return s


def temperatures_by_use(facts) -> None:
    """A setting the vocabulary cannot place (`--nce_t 0.07`) that a call passes, as the parameter an InfoNCE
    module divides its similarities by, to that module's constructor (`NCEAverage(dim, n, K, args.nce_t)`) is
    the temperature, whatever its name. Only settings of the calling file or of a non-Python config file."""
    temps = {(d[0], d[1]): d[2] for d in facts.code.default_settings
             if d[3] is not None and d[3].canonical == "temperature"}  # a required parameter has no setting
    if not temps:
        return
    passed: dict[str, set[str]] = {}  # leaf -> files whose calls pass it as a temperature
    for c in facts.code.constructions:
        for (cls, param), index in temps.items():
            if c.cls != cls:
                continue
            ref = c.keywords.get(param) or (c.positional[index] if index is not None and index < len(c.positional) else None)
            if ref is not None:
                passed.setdefault(ref.leaf, set()).add(c.location.file)
    for s in facts.settings:
        files = passed.get(s.leaf)
        if s.canonical is not None or not files or isinstance(s.value, bool) or not isinstance(s.value, (int, float)):
            continue
        if s.location.file in files or not s.location.file.endswith(".py"):
            s.canonical = "temperature"
