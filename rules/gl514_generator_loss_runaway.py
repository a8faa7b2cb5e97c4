"""GL514 generator-loss-runaway (runtime): The generator loss grows steadily while the critic loss stalls.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL514].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, rounded


class GeneratorLossRunaway(RuntimeRule):
    code = "GL514"
    slug = "generator-loss-runaway"
    severity = Severity.WARNING
    runtime = True
    summary = 'The generator loss grows steadily while the critic loss stalls.'
    why = "Document 000's run ended with GeneratorLoss 12.6 while DiscriminatorLoss sat at -0.67: the critic scores fakes ever lower and the generator cannot follow; the Wasserstein estimate is not shrinking."
    use_instead = 'Strengthen the critic (widths, n_critic 5), lower lr to 1e-4, fix saturating activations.'
    source = '000'
    families = ('wgan-gp', 'wgan')
    options = {'min_rise': 1.0, 'min_trend_fraction': 0.6}
    option_docs = {'min_rise': 'rise of the generator loss from the first to the last quarter of the run', 'min_trend_fraction': 'share of windows in which the generator loss rises'}
    fix_stage = 2
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def detect(self, s, o):
        from ganlint.probe.stats import mean, windows

        if s.family not in ("wgan", "wgan-gp") or len(s.values("loss_g")) < 200:
            return
        g = [mean(c) for c in windows(s.values("loss_g"), 8)]
        d = [mean(c) for c in windows(s.values("loss_d"), 8)]
        rise = mean(g[-2:]) - mean(g[:2])
        ups = sum(1 for a, b in zip(g, g[1:]) if b > a) / max(len(g) - 1, 1)
        dchange = abs(mean(d[-2:]) - mean(d[-4:-2]))
        if rise > o["min_rise"] and ups >= o["min_trend_fraction"] and dchange < 0.25 * rise:
            yield s.finding(self, f"the generator loss rises by {rise:.2f} (to {g[-1]:.2f}) while the critic loss stalls "
                            f"near {d[-1]:.2f}", s.loc("generator", "learning_rate"),
                            {"loss_g_windows": [rounded(x) for x in g], "loss_d_windows": [rounded(x) for x in d], "rise": rounded(rise)})


RULE = GeneratorLossRunaway()
