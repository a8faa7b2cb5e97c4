"""GL504 exploding-gradients (runtime): The gradient norm exceeds 1e3, or grows at least 2x from window to window.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL504]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class ExplodingGradients(Rule):
    code = "GL504"
    slug = "exploding-gradients"
    severity = Severity.WARNING
    runtime = True
    summary = 'The gradient norm exceeds 1e3, or grows at least 2x from window to window.'
    why = 'Exploding gradients throw parameters far in one step; the loss jumps, the KL term of a VAE spikes, and soon values become NaN (documents 003 and 004).'
    use_instead = 'Clip the gradient norm (VAE: 10; energy: 0.3), lower the learning rate, clamp `log_var` before `exp`.'
    source = '003, 004'
    families = ()
    options = {'max_norm': 1000.0, 'growth': 2.0, 'growth_windows': 3}
    option_docs = {'max_norm': 'total gradient norm of a network above which it explodes', 'growth': 'window-to-window growth factor of the gradient norm', 'growth_windows': 'consecutive windows the growth must persist'}
    fix_stage = 2
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = ExplodingGradients()
