"""Code edits through LibCST (formatting kept).

Two kinds of edits reach this package:
- the rules' textual edits (`replace-code`, `insert-code`) located by line/column, checked to still parse
  (`engine.py`);
- named transforms (Edit kind `transform-code`, target = the transform's name, new = its parameters), each
  idempotent: run on its own output, it changes nothing. One module per kind of code they change:
  `layers.py` (activations, output heads), `losses.py` (loss terms, detach, autograd.grad),
  `training.py` (clamps, KL annealing, optimizer arguments, clipping). Which classes a transform touches
  comes from its parameters (`classes`, from the rule's facts) or, by default, from the class names' roles
  (ganlint.core.roles): no second role recogniser here.
"""
from __future__ import annotations

from ganlint.fix.edits.code import layers, losses, training  # noqa: F401  (register the transforms)
from ganlint.fix.edits.code.cst_util import TRANSFORMS, call_name, dotted, instances, transform
from ganlint.fix.edits.code.engine import apply_text_edits, apply_transforms
from ganlint.fix.edits.code.losses import logits_safe

__all__ = ["TRANSFORMS", "transform", "apply_text_edits", "apply_transforms", "logits_safe", "call_name", "dotted", "instances"]
