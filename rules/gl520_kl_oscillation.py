"""GL520 kl-oscillation (runtime): The VAE's KL term oscillates: high detrended variance and frequent direction changes.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL520].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, rounded


class KlOscillation(RuntimeRule):
    code = "GL520"
    slug = "kl-oscillation"
    severity = Severity.WARNING
    runtime = True
    summary = "The VAE's KL term oscillates: high detrended variance and frequent direction changes."
    why = "Document 003: the KL curve rose, fell and came back up while the reconstruction stayed flat; the latent space does not settle. The usual causes are a too-high learning rate, Adam's β1 = 0.9 with `optim_alpha` mistaken for momentum, a KL weight that does nothing, tight gradient clipping."
    use_instead = 'lr 3e-4; KL weight 0.01 with annealing; Adam betas (0.5, 0.999); grad clip 10; clamp log_var.'
    source = '003'
    families = ('vae',)
    options = {'min_rel_std': 0.05, 'min_flip_rate': 0.25, 'windows': 20}
    option_docs = {'min_rel_std': 'std of the detrended windowed KL divided by its mean', 'min_flip_rate': 'share of direction changes between consecutive KL windows', 'windows': 'windows the KL series is cut into'}
    fix_stage = 1
    confirms = 'GL201, GL202, GL203, GL002'  # static rules a firing of this rule confirms (named in the finding)

    def needs(self, o):
        # the KL shape measures (stats.kl_measures) cut the series into this many windows
        return {"kl": {"windows_n": o["windows"]}}

    def detect(self, s, o):
        from ganlint.probe.stats import kl_measures

        if s.family != "vae" or len(s.values("kl")) < 100:
            return
        km = kl_measures(s, o["windows"])
        if km["kl_oscillation"] > o["min_rel_std"] and km["kl_flip_rate"] > o["min_flip_rate"] and km["kl_noise_ratio"] > 4:
            yield s.finding(self, f"the KL term oscillates: detrended windowed KL varies by {km['kl_oscillation']:.0%} of its mean, "
                            f"direction changes in {km['kl_flip_rate']:.0%} of windows ({km['kl_noise_ratio']:.0f}x the sampling noise)",
                            s.loc("vae", "kl_weight"), {**{k: rounded(v) for k, v in km.items()}, "steps": [s.steps("kl")[0], s.steps("kl")[-1]],
                                                        "network": "vae"}, related=s.related("setting:learning_rate"))


RULE = KlOscillation()
