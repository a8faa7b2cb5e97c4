"""Critic loops: `for _ in range(N):` around the critic's optimizer step (N critic updates per G step)."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import calls_in
from ganlint.reading.code.astutil import call_name, dotted
from ganlint.reading.code.facts import CriticLoop, role_from_name


def _step_roles(r, body: list[ast.stmt]) -> set[str]:
    roles = set()
    for st in body:
        for n in calls_in(st):  # the calls of walk(st), in its order
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "step" and not n.args:
                name = dotted(n.func.value)
                if not name:
                    continue
                role = next((o.role for o in r.optimizers_named(name) if o.role), None)
                roles.add(role or role_from_name(name.rsplit(".", 1)[-1]) or "")
    return roles


def end_function(r, fn) -> None:
    for loop in fn.loops:
        it = loop.iter
        if not (isinstance(it, ast.Call) and call_name(it) == "range" and len(it.args) == 1 and not it.keywords):
            continue
        roles = _step_roles(r, loop.body)
        if "critic" in roles and "generator" not in roles:
            count = it.args[0]
            if isinstance(count, ast.Name):  # for _ in range(n_critic) with n_critic = args.critic_iters
                prev = fn.value_before(count.id, loop.lineno) or r.funcs[0].value_before(count.id, 10**9)
                if prev is not None and prev[0] is not None:
                    count = prev[0]
            r.f.critic_loops.append(CriticLoop(r.src.loc(loop), r.src.arg(count)))
