"""Networks read again once every file is read: a class defined in one file and built in another
(models.py / train.py) takes that call's arguments, and a shape that read config keys takes the project's
values for them."""
from __future__ import annotations

import ast
from typing import Any

from ganlint.reading.code.construct.bound_roles import Linked, linked_names
from ganlint.reading.code.construct.imports import link_constants, module_index, module_scope
from ganlint.reading.code.construct.module import ModuleScope, link_helper_calls, same_call
from ganlint.reading.code.networks import NetworkReader


def settings_by_key(settings: list) -> dict[str, Any]:
    """Full key -> value, and a leaf -> value where only one setting has that leaf (cfg["nz"] for model.nz)."""
    full: dict[str, list] = {}
    leaves: dict[str, list] = {}
    for s in settings:
        full.setdefault(s.key, []).append(s.value)
        leaves.setdefault(s.key.rsplit(".", 1)[-1], []).append(s.value)
    # a key two files set differently is not known (which one the run reads is not in the code)
    out = {k: v[0] for k, v in full.items() if all(x == v[0] for x in v)}
    for leaf, values in leaves.items():
        if len(values) == 1:
            out.setdefault(leaf, values[0])
    return out


def link_call_sites(code: Any, settings: list | None = None) -> dict[str, Linked]:
    """A class defined in one file and built in another (models.py / train.py): read again with the
    arguments of that call, when the project builds it one way only. With the project's settings, a
    network whose shape read config keys is read again with their values. Returned: file -> what it learns
    from the functions it imports (`linked_names`: roles of names a helper binds, freezing helpers)."""
    scopes = code.construction_scopes
    known_keys: dict[str, Any] = {}
    if settings:
        known_keys = settings_by_key(settings)
        for sc in scopes:
            sc.globals["__settings__"] = known_keys
    try:
        return _link(code, scopes, known_keys)
    finally:
        from ganlint.reading.project import release

        release(scopes)  # the syntax trees they hold are not needed past reading (and slow the collector)


def _link(code: Any, scopes: list, known_keys: dict[str, Any]) -> dict[str, Linked]:
    settings = bool(known_keys)
    if len(scopes) < 2 and not settings:
        return {}
    linked = link_constants(scopes)
    link_helper_calls(scopes)  # netG, netD = get_models(NZ, 512, 64) with get_models in models.py
    roles = linked_names(scopes)  # model, adversary = utils.get_gan(opt); from utils import set_requires_grad
    imports = _ImportedFrom(scopes)
    homes: dict[str, list[ModuleScope]] = {}
    for sc in scopes:
        for name in sc.classes:
            homes.setdefault(name, []).append(sc)
    for i, net in enumerate(code.networks_all):
        home = homes.get(net.name)
        sc = next((h for h in home if h.src.path == net.location.file), None) if home else None
        if sc is None:
            continue
        site, alike = None, []
        # another file's call of a name several files define (Generator) builds the one its import names
        ok = (lambda caller, s: True) if len(home) == 1 else (lambda caller, s: imports.builds(caller, s[2], sc))
        if net.built_at is None or not sc.calls.get(net.name):  # no site, or one read with guessed arguments
            sites = [(s, caller) for caller in scopes if caller is not sc and net.name not in caller.classes
                     for s in caller.calls.get(net.name, ()) if ok(caller, s)]
            if len(home) == 1:
                sites += [(s, caller) for caller in scopes for s in caller.linked_calls.get(net.name, ())]
            if not sites and net.built_at is None:
                sites = [(s, caller) for caller in scopes if caller is not sc and net.name not in caller.classes
                         for s in caller.guessed_calls.get(net.name, ()) if ok(caller, s)]
            if sites and all(same_call(s[:2], sites[0][0][:2]) for s, _ in sites[1:]):
                (args, kwargs, node), caller = sites[0]
                site = (args, kwargs, node, caller)
                alike = [c.src.loc(s[2]) for s, c in sites[1:]]
        unread = bool(settings) and (net.layer_widths is None or net.param_count is None) and bool(
            sc.keys_read.get(net.name, set()) & known_keys.keys())
        if site is None and not unread and sc not in linked:
            continue
        again = NetworkReader(sc.src, sc.classes[net.name], sc, site=site).read()
        again.built_alike = alike if site is not None else []
        again.role = again.role or net.role
        code.networks_all[i] = again
    return roles


class _ImportedFrom:
    """Which file's class a call names through the caller's imports (`import models.cifar_resnet as m`;
    `m.Discriminator()`, or `from models.cifar_resnet import Discriminator`)."""

    def __init__(self, scopes: list) -> None:
        self.scopes = scopes
        self.index: tuple | None = None  # made on the first question only

    def builds(self, caller: ModuleScope, node: ast.Call, home: ModuleScope) -> bool:
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            module, level = caller.module_imports.get(f.value.id, (None, 0))
        elif isinstance(f, ast.Name) and f.id in caller.class_imports:
            module, _name, level = caller.class_imports[f.id]
        else:
            return False
        if module is None:
            return False
        if self.index is None:
            self.index = module_index([sc.src.path for sc in self.scopes], self.scopes)
        return module_scope(*self.index, caller.src.path.replace("\\", "/"), module, level) is home


__all__ = ["link_call_sites", "settings_by_key"]
