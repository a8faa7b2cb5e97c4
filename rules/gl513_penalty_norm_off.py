"""GL513 penalty-norm-off (runtime): Mean gradient norm of the critic at interpolates is outside [0.5, 2].

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL513].
"""
from __future__ import annotations

import math

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, rounded


class PenaltyNormOff(RuntimeRule):
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

    def detect(self, s, o):
        from ganlint.probe.stats import mean

        if s.family != "wgan-gp" or not s.values("gp_norm"):
            return
        v, win = s.last_window("gp_norm")
        m = mean(v)
        if math.isfinite(m) and not (o["low"] <= m <= o["high"]):
            yield s.finding(self, f"mean ‖∇D(x̂)‖ at interpolates is {m:.2f}, outside [{o['low']:g}, {o['high']:g}] "
                            f"(steps {win[0]}-{win[1]})", s.loc("critic", "gp_weight"), {"penalty_norm": rounded(m), "steps": list(win)})


RULE = PenaltyNormOff()
