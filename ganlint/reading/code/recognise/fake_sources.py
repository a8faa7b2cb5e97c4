"""Where a generated batch or a discriminator loss comes from when it is not the step's own statement:
a generator's method (`fake = G.sample(n)`, defined in this file or another), or a loss helper whose result
a D step back-propagates (`c_loss, g = model.c_loss(x, z)`). Cross-file cases are recorded per file and
decided over the project by resolve_fakes."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import call_name, dotted, last
from ganlint.reading.code.facts import role_from_name


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
