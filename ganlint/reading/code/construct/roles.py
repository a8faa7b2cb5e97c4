"""Roles from use, for networks whose names say nothing (`net_a = Net()`, `model2 = nn.Sequential(...)`):
what takes the real batch from the data loader is the critic, where a generator is in sight (named, or
producing what the critic is fed); what produces the fake fed to it is the generator. A name's own role always wins; a role is given only when the code shows it."""
from __future__ import annotations

import ast
import re

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import dotted
from ganlint.reading.code.facts import role_from_name

_REAL = re.compile(r"^(real|x_real|real_\w*|imgs|images|real_imgs|batch|x|data|inputs)$", re.I)
_LOADER = re.compile(r"loader|dataset|data\b|batches", re.I)


def roles_from_use(tree: ast.Module, variables: set[str], named: dict[str, str]) -> dict[str, str]:
    """var -> "critic" / "generator" for the role-less `variables`; `named` holds the vars whose names
    already give a role (they anchor the other side)."""
    if not variables:
        return {}
    real_names: set[str] = set()
    produced: dict[str, str] = {}  # fake = G(z): fake -> G
    calls: list[tuple[str, ast.AST]] = []  # (network var, its first argument)
    everyone = variables | set(named)
    for node in walk(tree):
        if isinstance(node, ast.For) and any(isinstance(n, ast.Name) and _LOADER.search(n.id) for n in walk(node.iter)):
            real_names |= {n.id for n in walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1 \
                and dotted(node.value.func) in everyone:
            for t in walk(node.targets[0]):  # fake = G(z); fake_a, fake_b = coupled_G(z)
                if isinstance(t, ast.Name):
                    produced[t.id] = dotted(node.value.func) or ""
        elif isinstance(node, ast.Call) and dotted(node.func) in everyone and node.args:
            calls.append((dotted(node.func) or "", node.args[0]))
    out: dict[str, str] = {}
    roles = dict(named)
    for var, arg in calls:
        base = arg.func.value if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) else arg
        if isinstance(base, ast.Call) and dotted(base.func) in everyone:
            src = dotted(base.func) or ""
        elif isinstance(base, ast.Name) and base.id in produced:
            src = produced[base.id]
        else:
            src = None
        if isinstance(base, ast.Name) and (base.id in real_names or _REAL.match(base.id)) and src is None:
            if var in variables and roles.get(var) in (None, "critic"):
                out[var] = roles[var] = "critic"
        elif src is not None and src != var:
            if {var, src} <= variables and (role_from_name(var), role_from_name(src)) == ("critic", "generator"):
                out[var] = roles[var] = "critic"  # D(G(z)) with D and G named so: the use confirms both names
                out[src] = roles[src] = "generator"
            if var in variables and roles.get(var) is None and roles.get(src) == "generator":
                out[var] = roles[var] = "critic"
            if src in variables and roles.get(src) is None and roles.get(var) == "critic":
                out[src] = roles[src] = "generator"
    # a second look: the fakes' makers, once the critic is known from the real batch
    for var, arg in calls:
        base = arg.func.value if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) else arg
        src = produced.get(base.id) if isinstance(base, ast.Name) else (
            dotted(base.func) if isinstance(base, ast.Call) else None)
        if src in variables and roles.get(src) is None and roles.get(var) == "critic":
            out[src] = roles[src] = "generator"
    if "generator" not in roles.values():
        # a classifier takes the real batch too: without a generator in sight the network is no critic
        out = {v: r for v, r in out.items() if r != "critic"}
    # a variable whose own name gives a role keeps it: use only confirms it (`D = Descriminator()` scoring
    # the real batch), never overrides it
    return {v: r for v, r in out.items() if role_from_name(v) in (None, r)}
