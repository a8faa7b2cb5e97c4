"""Model and training code -> CodeFacts (syntax tree only: never imports or executes the user's code).

Layout:
- `facts.py`: the plain dataclasses rules read (Network, Stack, Layer, Activation, Construction, Optimizer,
  LossCall, UndetachedFake, GradCall, WeightClip, GradClip, Marker, ExpUse, KLWeight, EnergyHead) and
  `CodeFacts` with `merge()` (one per file, merged per project) and `families()`.
- `facts_training.py`: the training facts (Optimizer, LossCall, SigmoidBCE, CriticLoop, UndetachedFake,
  GradCall, clips, Marker, ExpUse, KLWeight), re-exported by facts.py.
- `reader.py`: one pre-order walk over a module (statements, then the calls/binops inside each expression);
  it dispatches each node by type to the recognisers in `recognise/` (one module per kind of fact: optim,
  data, gan, bce, critic_loop, penalty, vae, energy), whose function passes then look at the statements
  the walk recorded (D step vs G step by the optimizer that steps, KL weights, penalties, critic loops).
- `networks.py`: per `nn.Module` class, a pass over `__init__` (stacks, loop-built layers, activations by
  name) and over `forward` (what is returned, what feeds a weighted layer).
- `links.py`: helpers for rules (code <-> config links, code edits as data, KL and energy queries).

What the reader sees: see facts.py. What it does not (it stays silent there, precision first): values
passed through containers or across functions other than constructor call sites and simple helpers
(a function returning G(z), one returning a sigmoid), classes built dynamically, and anything decided at
run time. Python 2 files are read partially (`ganlint.reading.legacy_python`).
"""
from __future__ import annotations

import ast

from ganlint.reading.code.facts import CodeFacts


def read_code(path: str, tree: ast.Module, text: str) -> CodeFacts:
    """Facts of one parsed Python file; ProjectFacts merges the files' facts."""
    from ganlint.reading.code.reader import read_module

    return read_module(path, tree, text)
