"""GL501 activation-saturation (runtime): More than half of a sigmoid/tanh layer's pre-activations sit beyond ±5, where the gradient is almost zero.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL501]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class ActivationSaturation(Rule):
    code = "GL501"
    slug = "activation-saturation"
    severity = Severity.WARNING
    runtime = True
    summary = "More than half of a sigmoid/tanh layer's pre-activations sit beyond ±5, where the gradient is almost zero."
    why = "A Sigmoid or Tanh whose inputs sit beyond ±5 passes back less than 1% of the gradient (sigmoid'(5) = 0.0066). Layers that live there stop learning, and the network's output is squeezed: in document 000 the generator's Sigmoid hidden layers produced points on a centre line instead of two round Gaussians."
    use_instead = 'Use `LeakyReLU(0.2)` (or ReLU/ELU) as the hidden activation (config: `non_linearity: LeakyReLU`). Keep a final Tanh/Sigmoid only where the output range really is bounded.'
    source = '000 §1.1, 004'
    families = ()
    options = {'preact_threshold': 5.0, 'fraction': 0.5}
    option_docs = {'preact_threshold': '|pre-activation| beyond which a sigmoid/tanh counts as saturated', 'fraction': 'share of saturated pre-activations in a layer (mean over the last window) that fires the rule'}
    fix_stage = 1
    confirms = 'GL001'  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = ActivationSaturation()
