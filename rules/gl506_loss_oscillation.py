"""GL506 loss-oscillation (runtime): A loss changes direction in more than 50% of windows without trending.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL506]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class LossOscillation(Rule):
    code = "GL506"
    slug = "loss-oscillation"
    severity = Severity.INFO
    runtime = True
    summary = 'A loss changes direction in more than 50% of windows without trending.'
    why = 'A loss that keeps flipping up and down without a trend means the optimiser is bouncing across a valley: the learning rate is too high for the batch size, or the momentum is too large (document 003).'
    use_instead = 'Lower the learning rate (VAE 3e-4 then 1e-4; WGAN-GP 1e-4), use Adam betas (0.5, 0.999) for VAEs, (0.5, 0.9) for WGAN-GP.'
    source = '003'
    families = ()
    options = {'flip_fraction': 0.5, 'windows': 12}
    option_docs = {'flip_fraction': 'share of window-to-window direction changes that counts as oscillating', 'windows': 'number of windows the loss series is cut into'}
    fix_stage = 2
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = LossOscillation()
