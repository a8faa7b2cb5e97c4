"""GL531 energy-saturation (runtime): The energy head's sigmoid is saturated (|input| beyond 5) for most samples.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL531]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class EnergySaturation(Rule):
    code = "GL531"
    slug = "energy-saturation"
    severity = Severity.WARNING
    runtime = True
    summary = "The energy head's sigmoid is saturated (|input| beyond 5) for most samples."
    why = "A sigmoid head whose inputs sit beyond ±5 returns energies pinned at 0 or 1 and passes back almost no gradient: positives and negatives cannot be separated further (document 004: 'Sigmoid饱和导致梯度消失')."
    use_instead = "Scale the head's input and widen the band: `E = sigmoid(0.5*raw) * 2.0 + 0.1`."
    source = '004'
    families = ('energy',)
    options = {'preact_threshold': 5.0, 'fraction': 0.5}
    option_docs = {'preact_threshold': "|input| of the head's sigmoid beyond which a sample is saturated", 'fraction': 'share of saturated samples (last window) that fires the rule'}
    fix_stage = 1
    confirms = 'GL301'  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = EnergySaturation()
