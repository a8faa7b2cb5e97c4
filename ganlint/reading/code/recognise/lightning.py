"""PyTorch Lightning's part in a GAN step: `self(z)` is the generator's output when the LightningModule's
forward returns it, and Lightning's optimizer toggling keeps a D step's gradients out of the generator."""
from __future__ import annotations

import ast

from ganlint.reading.astwalk import walk
from ganlint.reading.code.astutil import dotted, literal
from ganlint.reading.code.facts import role_from_name
from ganlint.reading.code.recognise.scope import class_node


def forward_returns_generated(r, cls: str | None) -> bool:
    """The class's forward returns its generator's output (`return self.generator(z)`): `self(z)` is G(z)."""
    node = class_node(r, cls)
    if node is None or role_from_name(cls) in ("generator", "critic"):
        return False
    cache = r.__dict__.setdefault("_forward_generates", {})
    if cls not in cache:
        forward = next((st for st in node.body if isinstance(st, ast.FunctionDef) and st.name == "forward"), None)
        cache[cls] = forward is not None and any(
            isinstance(st, ast.Return) and isinstance(st.value, ast.Call) and st.value.args
            and r.role_of_callee(st.value) == "generator" for st in walk(forward))
    return cache[cls]


def optimizers_toggled(r, fn) -> bool:
    """Lightning makes the other optimizers' parameters requires_grad=False while one optimizer steps: in
    automatic optimization with several optimizers (`training_step(self, batch, batch_idx, optimizer_idx)`
    of a LightningModule), and wherever the code calls `self.toggle_optimizer(opt)` itself. A D step's
    undetached G(z) then does not back-propagate into the generator."""
    node = fn.node
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    names_it = r.__dict__.get("_names_toggle_optimizer")
    if names_it is None:  # once per file (a search of the text per function would be quadratic)
        names_it = r._names_toggle_optimizer = "toggle_optimizer" in r.src.text
    if names_it and any(  # (the walk only for a file that names it)
            isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr == "toggle_optimizer"
            for c in walk(node)):
        return True
    cls = class_node(r, fn.cls)
    if node.name != "training_step" or cls is None or "optimizer_idx" not in {a.arg for a in node.args.args}:
        return False
    if not any((dotted(b) or "").rsplit(".", 1)[-1] == "LightningModule" for b in cls.bases):
        return False
    return not any(isinstance(st, ast.Assign) and any(dotted(t) == "self.automatic_optimization" for t in st.targets)
                   and literal(st.value)[1] is False for st in walk(cls))
