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


def resolve_fakes(code) -> None:
    """Project-wide: D(G.sample(n)) counts when some generator class's `sample` returns its output, and a
    loss helper's undetached D(G(z)) when the helper's result is back-propagated by a D step (and by no G step)."""
    code.undetached_fakes.extend(u for m, u in code.method_fakes if m in code.fake_methods)
    code.undetached_fakes.extend(u for h, u in code.helper_fakes
                                 if h in code.d_step_helpers and h not in code.g_step_helpers)
    code.method_fakes.clear()
    code.helper_fakes.clear()
