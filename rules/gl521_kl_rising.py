"""GL521 kl-rising (runtime): The KL term trends upward after the warm-up.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL521].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, rounded


class KlRising(RuntimeRule):
    code = "GL521"
    slug = "kl-rising"
    severity = Severity.WARNING
    runtime = True
    summary = 'The KL term trends upward after the warm-up.'
    why = 'After annealing has finished, the KL term should settle or fall. When it keeps rising the posterior drifts away from the prior: the KL weight is too small to hold it (document 003: 0.001) or the latent space is too large (64).'
    use_instead = 'KL weight 0.01 with annealing; latent_dim ≤ 16 or an L2 term on mu.'
    source = '003'
    families = ('vae',)
    options = {'min_rel_rise': 0.1, 'warmup_fraction': 0.25}
    option_docs = {'min_rel_rise': 'rise of the KL from the first to the last part after warm-up, relative to its mean', 'warmup_fraction': 'share of the run (or the anneal steps, whichever is longer) ignored as warm-up'}
    fix_stage = 1
    confirms = 'GL201, GL206'  # static rules a firing of this rule confirms (named in the finding)

    def needs(self, o):
        # the KL shape measures (stats.kl_measures) ignore this share of the run as warm-up
        return {"kl": {"warmup_fraction": o["warmup_fraction"]}}

    def detect(self, s, o):
        from ganlint.probe.stats import kl_measures

        if s.family != "vae" or len(s.values("kl")) < 100:
            return
        km = kl_measures(s, warmup_fraction=o["warmup_fraction"])
        if km["kl_trend_rel"] > o["min_rel_rise"]:
            yield s.finding(self, f"the KL term keeps rising after the warm-up: +{km['kl_trend_rel']:.0%} of its mean "
                            f"from step {km['kl_after_step']} to the end (KL {km['kl_start']:.3g} -> {km['kl_end']:.3g})",
                            s.loc("vae", "kl_weight"), {**{k: rounded(v) for k, v in km.items()},
                                                        "steps": [km["kl_after_step"], s.steps("kl")[-1]], "network": "vae"},
                            related=s.related("setting:latent_dim"))


RULE = KlRising()
