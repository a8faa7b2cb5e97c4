"""Repairs from runtime evidence: a finding the probe measured, mapped to the setting that decides it, even when
`check` never saw the cause (an activation chosen by name through the user's own helper function).

A runtime rule's finding names the layers it blames (`blamed_layers`; the saturation rule's saturated
Sigmoid/Tanh layer first) with its evidence: the network's role and class, the layer's module
path and index, the activation's class. The setting that chose that layer is found by counterfactual: among the
project's settings whose value names that activation, the one that, changed to LeakyReLU (in the user's own
spelling), makes the layer at that module path stop being a Sigmoid/Tanh in a 1-step probe build. No setting
found: no edit (and a note saying why), never a guess.

Interface (used by ganlint/fix/verify.py): `runtime_repairs(plan, texts, findings, probe_kwargs, root)` ->
(list[PlannedFix] with origin "runtime", notes). `findings` are the probe's runtime findings as dicts
({"code", "evidence": {"network", "module_path", "activation", ...}}).
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from typing import Any

from ganlint.core.types import Edit
from ganlint.fix.planner import Plan, PlannedFix, Project

_PREFIX = re.compile(r"^((?:torch\.)?nn\.)?(.*)$")


def spellings(value: str) -> list[str]:
    """LeakyReLU (then ReLU) written the way the user wrote the saturating activation's name."""
    prefix, core = _PREFIX.match(value.strip()).groups()
    prefix = prefix or ""
    if core[:1].isupper():
        names = ["LeakyReLU", "ReLU"]
    elif core.isupper():
        names = ["LEAKY_RELU", "RELU"]
    else:
        names = ["leaky_relu", "leakyrelu", "lrelu", "relu"]
    return [prefix + n for n in names]


def _names_activation(value: Any, activation: str) -> bool:
    return isinstance(value, str) and _PREFIX.match(value.strip()).group(2).lower() == activation.lower()


def _still_saturating(texts: dict[str, str], files: list[str], root: str, kwargs: dict[str, Any],
                      role: str, module_path: str) -> bool | None:
    """Build the candidate (1 probe step) and say whether the layer is still a Sigmoid/Tanh; None: it did not build."""
    from ganlint.core.errors import GanlintError
    from ganlint.fix.probing import _write_project
    from ganlint.probe import run_probe

    tmp = tempfile.mkdtemp(prefix="ganlint-evidence-")
    try:
        written = _write_project(texts, files, root, tmp)
        kw = {k: v for k, v in kwargs.items() if k in ("seed", "device", "family", "data", "entry")}
        try:
            rep = run_probe(written, steps=1, write_report=False, progress=False, threads=1, early_stop=False, **kw)
        except (GanlintError, Exception):  # noqa: BLE001 - the user's code refused this spelling: not the repair
            return None
        if rep.errors:
            return None
        return any(name in rep.series for name in (f"sat/{role}/{module_path}", f"head/{role}/{module_path}"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _repair_rule():
    """The runtime rule whose repair this is (its `layer_repair` names the document), or None."""
    from ganlint.probe.detectors import runtime_rules

    return next((r for r in runtime_rules() if r.layer_repair), None)


def _layers(findings: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """(layer evidence, why) per network: the repair rule's blamed layer first, else the layers other runtime
    findings blame (the hidden Sigmoids a collapse was measured with)."""
    from ganlint.probe.detectors import runtime_rules

    rules = {r.code: r for r in runtime_rules()}
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for first in (True, False):
        for f in findings:
            rule = rules.get(f.get("code"))
            if rule is None or bool(rule.layer_repair) != first:
                continue
            for layer, why in rule.blamed_layers(f):
                if first:
                    out[layer["network"]] = (layer, why)
                else:
                    out.setdefault(layer.get("network"), (layer, why))
    return [v for k, v in out.items() if k]


def runtime_repairs(plan: Plan, texts: dict[str, str], findings: list[dict[str, Any]], probe_kwargs: dict[str, Any],
                    root: str) -> tuple[list[PlannedFix], list[str]]:
    from ganlint.fix.edits import EditError, apply_edits

    fixes: list[PlannedFix] = []
    notes: list[str] = []
    planned = {(e.file, e.target) for fx in plan.fixes for e in fx.edits if e.kind == "set-setting"}
    project = Project(plan.files, texts)
    done: set[tuple[str, str]] = set()
    owner = _repair_rule()
    for ev, why in _layers(findings) if owner is not None else []:
        act, role, path = str(ev.get("activation") or ""), ev.get("network"), ev.get("module_path")
        if path is None:
            continue
        candidates = [k for k in project.settings if _names_activation(k.value, act)]
        candidates.sort(key=lambda k: (k.role != role, k.role is not None))  # the network's own role first
        if any((k.file, k.key) in planned or (k.file, k.key) in done for k in candidates):
            continue  # a static fix (or one found here) already changes that setting
        found = None
        for k in candidates:
            for new in spellings(k.value):
                edit = Edit("set-setting", k.file, target=k.key, old=k.value, new=new)
                try:
                    cand = {**texts, **apply_edits(texts, [edit])}
                except EditError:
                    continue
                if _still_saturating(cand, plan.files, root, probe_kwargs, role, path) is False:
                    found = (k, edit)
                    break
            if found:
                break
        where = f"{ev.get('network_class') or role} layer {path} ({act})"
        if found is None:
            notes.append(f"the {role}'s {where}: {why}, but no setting of the project chooses it (none whose change "
                         "turns that layer into LeakyReLU): not repaired automatically")
            continue
        k, edit = found
        done.add((k.file, k.key))
        msg = f"the {role}'s {where}: {why}; `{k.key}` chooses it: {k.value!r} -> {edit.new!r}"
        fixes.append(PlannedFix(owner.code, owner.fix_stage or 1, msg, owner.layer_repair, [edit], True, "runtime"))
        notes.append(f"runtime evidence -> setting: {os.path.relpath(k.file)}:{k.line} {k.key} ({where})")
    return fixes, notes
