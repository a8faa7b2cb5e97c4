"""GL505 non-finite (runtime): NaN or Inf appeared in a loss, a gradient or a parameter.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL505]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class NonFinite(Rule):
    code = "GL505"
    slug = "non-finite"
    severity = Severity.ERROR
    runtime = True
    summary = 'NaN or Inf appeared in a loss, a gradient or a parameter.'
    why = 'Once a NaN reaches the parameters, training is over: every later step computes NaN. The report names the first step and the tensor where it appeared.'
    use_instead = 'Clamp `log_var` before `exp`, clip gradients, lower the learning rate; for energy models keep the energies bounded but not saturated.'
    source = '004'
    families = ()
    options = {}
    option_docs = {}
    fix_stage = None
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = NonFinite()
