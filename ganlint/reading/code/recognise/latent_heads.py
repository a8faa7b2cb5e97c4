"""A VAE's latent size read from its encoder's heads: `self.fc_mu = nn.Linear(h, 500)` and `self.fc_logvar =
nn.Linear(h, 500)`, the layers whose outputs the class names the mean and the log-variance (by the attribute's
name, or by the variable a method assigns its output to: `mean = self.relu(self.fc1(out))`).

Only out widths written as a literal, the same in both heads: a width given by a name is a setting, which the
settings say (and the latent-size rule reads there). The result is a Setting of style "latent-head" (CodeFacts.latent_heads): the
literal is in three places (both heads and the decoder's input), so no single edit repairs it.
"""
from __future__ import annotations

import ast

from ganlint.core.types import Setting
from ganlint.reading.astwalk import calls_in, statements_in
from ganlint.reading.code.astutil import dotted, last, tokens

_LINEAR = ("Linear", "LazyLinear")


def _kind(name: str) -> str | None:
    """"mean" / "logvar" for a name that says which head it is (None: neither, or both)."""
    toks = set(tokens(name))
    flat = name.lower().replace("_", "")
    mean = bool(toks & {"mu", "mean", "means"}) or flat.endswith(("zmean", "zmu"))
    logvar = bool(toks & {"logvar", "var", "sigma", "logsigma", "std", "logstd"}) or "logvar" in flat
    if mean == logvar:
        return None
    return "mean" if mean else "logvar"


def _out_width(call: ast.Call) -> ast.Constant | None:
    node = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "out_features"), None)
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value > 0:
        return node
    return None


def latent_heads(r, cls: ast.ClassDef, net) -> None:
    if net is None or not (net.is_module or any(last(b).endswith("Module") for b in net.bases)):
        return
    if r.src.ascii and "".join(r.src.lines[cls.lineno - 1:cls.end_lineno]).count("Linear") < 2:
        return  # two heads are two Linear calls written in the class (a non-ASCII file may spell it NFKC-folded)
    widths: dict[str, ast.Constant | None] = {}  # self.<attr> = nn.Linear(...): its literal out width
    # the methods' assignments, at any depth (only assignments matter: a statement walk, no expressions)
    assigns = [n for st in cls.body if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef))
               for n in statements_in(st) if isinstance(n, ast.Assign) and len(n.targets) == 1]
    for n in assigns:
        if isinstance(n.value, ast.Call):
            target = dotted(n.targets[0]) or ""
            if target.startswith("self.") and target.count(".") == 1 and last(dotted(n.value.func) or "") in _LINEAR:
                attr = target[5:]
                widths[attr] = None if attr in widths else _out_width(n.value)  # assigned twice: unknown
    if len(widths) < 2:
        return
    heads: dict[str, set[str]] = {"mean": set(), "logvar": set()}
    for attr in widths:
        kind = _kind(attr)
        if kind:
            heads[kind].add(attr)
    for n in assigns:
        if not isinstance(n.targets[0], ast.Name):
            continue
        kind = _kind(n.targets[0].id)
        if kind is None:
            continue  # (the calls of a value whose name says no head are not looked at)
        used = {c.func.attr for c in calls_in(n.value)
                if isinstance(c.func, ast.Attribute) and dotted(c.func.value) == "self" and c.func.attr in widths}
        if len(used) == 1:
            heads[kind] |= used
    if len(heads["mean"]) != 1 or len(heads["logvar"]) != 1 or heads["mean"] == heads["logvar"]:
        return
    mean, logvar = heads["mean"].pop(), heads["logvar"].pop()
    a, b = widths[mean], widths[logvar]
    if a is None or b is None or a.value != b.value:
        return
    loc = r.src.loc(a)
    r.f.latent_heads.append(Setting(
        key=f"the out width of {cls.name}.{mean} (the mean head)", value=a.value, location=loc, style="latent-head", canonical="latent_dim",
        role="vae", raw=r.src.seg(a),
    ))
