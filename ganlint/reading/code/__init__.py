"""Model and training code -> CodeFacts (syntax tree only: never imports or executes the user's code).

Layout:
- `facts.py`: the plain dataclasses rules read (Network, Stack, Layer, Activation, Construction, Optimizer,
  LossCall, UndetachedFake, GradCall, WeightClip, GradClip, Marker, ExpUse, KLWeight, EnergyHead) and
  `CodeFacts` with `merge()` (one per file, merged per project) and `families()`.
- `facts_training.py`: the training facts (Optimizer, LossCall, SigmoidBCE, CriticLoop, UndetachedFake,
  GradCall, clips, Marker, ExpUse, KLWeight), re-exported by facts.py.
- `reader.py`: one pre-order walk over a module (statements, then the calls/binops inside each expression);
  it dispatches each node by type to the recognisers in `recognise/` (one module per kind of fact: optim
  and optim_lookup (classes chosen by name), data, gan and lightning (Lightning's toggled optimizers), bce,
  critic_loop, penalty, vae, energy), whose function passes then look at the statements
  the walk recorded (D step vs G step by the optimizer that steps, KL weights, penalties, critic loops).
- `networks.py`: per `nn.Module` class, its `__init__` run by the construction interpreter (`construct/`:
  helpers, nested defs, `*block(...)`, loops over sizes, flag defaults, constants, constructor defaults and
  call sites, also in another file, and config values -> stacks, widths, parameter counts), plus
  module-level `nn.Sequential` networks and roles from use; `network_forward.py` traces forward.
- `links.py`: helpers for rules (code <-> config links, code edits as data, capacity comparison, which
  penalties and losses belong to a network's own program, KL and energy queries).

What the reader does not see (it stays silent there, precision first): classes defined outside the project
(their layers stay opaque), values passed through containers the interpreter does not follow, classes
built dynamically, and anything decided at run time. Python 2 files (and Python <= 3.6 files using
`async` as a name) are read partially
(`ganlint.reading.legacy_python`).
"""
from __future__ import annotations

import ast

from ganlint.reading.code.facts import CodeFacts


def read_code(path: str, tree: ast.Module, text: str, linked=None) -> CodeFacts:
    """Facts of one parsed Python file; ProjectFacts merges the files' facts. `linked`: what the helpers it
    imports build or do (construct.bound_roles.Linked, known once the project is linked)."""
    from ganlint.reading.code.reader import read_module

    return read_module(path, tree, text, linked)
