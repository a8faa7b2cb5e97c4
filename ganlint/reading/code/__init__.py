"""Model and training code -> CodeFacts (syntax tree only: never imports or executes the user's code).

Layout:
- `facts.py`: the plain dataclasses rules read (Network, Stack, Layer, Activation, Construction, Optimizer,
  LossCall, UndetachedFake, GradCall, WeightClip, GradClip, Marker, ExpUse, KLWeight, EnergyHead) and
  `CodeFacts` with `merge()` (one per file, merged per project) and `families()`.
- `reader.py`: one pre-order walk over a module (statements, then the calls/binops inside each expression),
  plus cheap per-function passes over the statements it recorded (GAN D/G steps, KL weights, penalties).
- `networks.py`: per `nn.Module` class, its `__init__` run by the construction interpreter (`construct/`:
  helpers, nested defs, `*block(...)`, loops over sizes, flag defaults, constants, constructor defaults and
  the file's call sites -> stacks, widths, parameter counts), plus module-level `nn.Sequential` networks and
  roles from use; `network_forward.py` traces forward (what is returned, what feeds a weighted layer).
- `links.py`: helpers for rules (code <-> config links, code edits as data, capacity comparison, which
  penalties and losses belong to a network's own program, KL and energy queries).

What the reader does not see (it stays silent there, precision first): values read from YAML/JSON configs
or from other files' call sites while a network is built, classes defined in other files (their layers stay
opaque), classes built dynamically, and anything decided at run time.
"""
from __future__ import annotations

import ast

from ganlint.reading.code.facts import CodeFacts


def read_code(path: str, tree: ast.Module, text: str) -> CodeFacts:
    """Facts of one parsed Python file; ProjectFacts merges the files' facts."""
    from ganlint.reading.code.reader import read_module

    return read_module(path, tree, text)
