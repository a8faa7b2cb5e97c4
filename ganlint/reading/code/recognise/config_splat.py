"""A config section handed whole to a model's constructor, the section (and the class) chosen by a flag:

    parser.add_argument("--model", default="beta")
    ...
    config = json.load(f)
    model_dict = {"beta": BetaVAE, "factor": FactorVAE}
    model = model_dict[args.model](**config[f"{args.model}_params"])

The keys of `beta_params` are BetaVAE's constructor arguments: that section is the VAE's, so its `beta` is
the VAE's KL weight (resolved over the project by link_splatted_sections, where the config files are known).
Only a section whose name is a constant or is built from flag defaults, and a class named directly or picked
from a dict literal of classes by a constant or a flag's default, are recorded: anything else is unknown.
"""
from __future__ import annotations

import ast

from ganlint.reading.code.astutil import dotted


def on_call(r, n: ast.Call, name: str | None, ln: str, tname: str | None) -> bool:
    splats = [k.value for k in n.keywords if k.arg is None and isinstance(k.value, ast.Subscript)]
    if not splats:
        return False
    flags = getattr(r.act_tables, "globals", {}).get("__flags__") or {}
    cls = _class_of(r, n.func, flags)
    if not cls:
        return False
    for sub in splats:
        section = _text(sub.slice, flags)
        if section:
            r.f.config_splats.append((section, cls, r.src.loc(n)))
    return False


def _flag(node: ast.AST, flags: dict) -> str | None:
    """`args.model` / `opt.model` with a string default among the module's flags."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and isinstance(flags.get(node.attr), str):
        return flags[node.attr]
    return None


def _text(node: ast.AST, flags: dict) -> str | None:
    """The string `"beta_params"`, `f"{args.model}_params"`, `args.model + "_params"` stands for, or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                parts.append(v.value)
            elif isinstance(v, ast.FormattedValue) and v.conversion == -1 and v.format_spec is None \
                    and (flag := _flag(v.value, flags)) is not None:
                parts.append(flag)
            else:
                return None
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left, flags), _text(node.right, flags)
        return left + right if left is not None and right is not None else None
    return _flag(node, flags)


def _class_of(r, func: ast.AST, flags: dict) -> str | None:
    """`BetaVAE`, `models.BetaVAE`, or `table[key]` with `table = {"beta": models.BetaVAE, ...}` (assigned once
    in this function or at module level) and the key a constant or a flag's default."""
    if isinstance(func, (ast.Name, ast.Attribute)):
        last = (dotted(func) or "").rsplit(".", 1)[-1]
        return last if last[:1].isupper() else None
    if not (isinstance(func, ast.Subscript) and isinstance(func.value, ast.Name)):
        return None
    key = _text(func.slice, flags)
    if key is None:
        return None
    for fn in (r.funcs[-1], r.funcs[0]):
        hist = fn.assigns.get(func.value.id)
        if not hist:
            continue
        if len(hist) != 1 or not isinstance(hist[0][1], ast.Dict):
            return None
        table = hist[0][1]
        for k, v in zip(table.keys, table.values):
            if isinstance(k, ast.Constant) and k.value == key and isinstance(v, (ast.Name, ast.Attribute)):
                last = (dotted(v) or "").rsplit(".", 1)[-1]
                return last if last[:1].isupper() else None
        return None
    return None


def link_splatted_sections(facts) -> None:
    """A contextual key (`beta`) of a config section that the code hands whole to a VAE's constructor is
    that VAE's KL weight (the vocabulary's `beta` inside a VAE section), in every config file holding the
    section; the other sections of the file (other models' parameters) are left as they are."""
    splats = getattr(facts.code, "config_splats", None)
    if not splats:
        return
    from ganlint.core.roles import role_from_name
    from ganlint.reading.vocabulary import CONTEXTUAL, contextual_name

    vae_sections = set()
    for section, cls, _loc in splats:
        net = facts.code.network(cls) if hasattr(facts.code, "network") else None
        role = (net.role if net is not None else None) or role_from_name(cls)
        if role == "vae":
            vae_sections.add(section)
    if not vae_sections:
        return
    for s in facts.settings:
        if s.canonical is not None or s.location.file.endswith(".py") or "." not in s.key:
            continue
        section, leaf = s.key.rsplit(".", 1)
        name = contextual_name([leaf])
        if section in vae_sections and name and CONTEXTUAL[name][0] == "vae":
            s.canonical = CONTEXTUAL[name][1]
            s.role = s.role or "vae"
