"""GL506 loss-oscillation (runtime): A loss changes direction in more than 50% of windows without trending.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL506].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import GAN, RuntimeRule, rounded


class LossOscillation(RuntimeRule):
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

    def detect(self, s, o):
        from ganlint.probe.stats import linfit, mean, oscillation, windows

        if s.family in GAN:
            return  # adversarial losses (loss_d, loss_g) see-saw by design: only single-objective losses are judged
        v = s.values("loss")
        if len(v) < 200:
            return
        osc = oscillation(v, int(o["windows"]))
        w = [mean(c) for c in windows(v, int(o["windows"]))]
        slope, _ = linfit(list(range(len(w))), w)
        trend = abs(slope * len(w))
        spread_w = (max(w) - min(w)) if w else 0
        if osc["flip_rate"] > o["flip_fraction"] and osc["noise_ratio"] > 4 and trend < 0.5 * spread_w:
            yield s.finding(self, f"loss changes direction in {osc['flip_rate']:.0%} of windows without a trend",
                            s.loc(None, "learning_rate"), {"loss": "loss", **{k: rounded(x) for k, x in osc.items()}})


RULE = LossOscillation()
