"""GL513 penalty-norm-off (runtime): Mean gradient norm of the critic at interpolates is outside [0.5, 2].

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL513]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class PenaltyNormOff(Rule):
    code = "GL513"
    slug = "penalty-norm-off"
    severity = Severity.WARNING
    runtime = True
    summary = 'Mean gradient norm of the critic at interpolates is outside [0.5, 2].'
    why = 'The gradient penalty asks ‖∇D(x̂)‖ ≈ 1 at points between real and fake (document 001 Ⅲ). A norm far from 1 after training means the Lipschitz constraint does not hold: the penalty is too weak, not differentiable, or fights clipping.'
    use_instead = 'λ in [1, 10] (10 by default), `create_graph=True`, interpolate between real and fake, no BatchNorm in the critic.'
    source = '001 Ⅲ'
    families = ('wgan-gp',)
    options = {'low': 0.5, 'high': 2.0}
    option_docs = {'low': 'lower bound of the acceptable mean norm', 'high': 'upper bound of the acceptable mean norm'}
    fix_stage = 4
    confirms = 'GL107, GL108'  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = PenaltyNormOff()
