"""Model and training code -> CodeFacts (syntax tree only: never imports or executes the user's code).

Layout:
- `facts.py`: the plain dataclasses rules read (Network, Stack, Layer, Activation, Construction, Optimizer,
  LossCall, UndetachedFake, GradCall, WeightClip, GradClip, Marker, ExpUse, KLWeight, EnergyHead) and
  `CodeFacts` with `merge()` (one per file, merged per project) and `families()`.
- `reader.py`: one pre-order walk over a module (statements, then the calls/binops inside each expression),
  plus cheap per-function passes over the statements it recorded (GAN D/G steps, KL weights, penalties).
- `networks.py`: per `nn.Module` class, a pass over `__init__` (stacks, loop-built layers, activations by
  name) and over `forward` (what is returned, what feeds a weighted layer).
- `links.py`: helpers for rules (code <-> config links, code edits as data, KL and energy queries).

What the reader sees: see facts.py. What it does not (it stays silent there, precision first): layers built
by helper functions or list comprehensions, values passed through containers or across functions other
than constructor call sites, classes built dynamically, torch.nn.functional activations called on a
variable holding the function, and anything decided at run time.
"""
from __future__ import annotations

import ast

from ganlint.reading.code.facts import CodeFacts


def read_code(path: str, tree: ast.Module, text: str) -> CodeFacts:
    """Facts of one parsed Python file; ProjectFacts merges the files' facts."""
    from ganlint.reading.code.reader import read_module

    return read_module(path, tree, text)
