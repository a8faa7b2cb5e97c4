"""GL502 dead-units (runtime): At least 70% of a ReLU layer's outputs are zero over a window (dead units).

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL502]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class DeadUnits(Rule):
    code = "GL502"
    slug = "dead-units"
    severity = Severity.WARNING
    runtime = True
    summary = "At least 70% of a ReLU layer's outputs are zero over a window (dead units)."
    why = 'A ReLU unit whose input is negative for every sample outputs 0 and receives no gradient, so it never recovers. When most of a layer is dead the network has lost most of its width; a high learning rate or a large negative bias shift usually causes it.'
    use_instead = 'Use `LeakyReLU(0.2)`, lower the learning rate, or re-initialise; for GAN critics LeakyReLU is the default choice.'
    source = 'paper'
    families = ()
    options = {'zero_fraction': 0.7}
    option_docs = {'zero_fraction': 'share of zero outputs of a ReLU layer (mean over the last window) that fires the rule'}
    fix_stage = 1
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = DeadUnits()
