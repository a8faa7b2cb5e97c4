"""GL511 variance-collapse (runtime): Generated per-mode spread is below 0.5x the real spread: the 'points on the centre line' symptom.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL511].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, confirmed, rounded


class VarianceCollapse(RuntimeRule):
    code = "GL511"
    slug = "variance-collapse"
    severity = Severity.ERROR
    runtime = True
    summary = "Generated per-mode spread is below 0.5x the real spread: the 'points on the centre line' symptom."
    why = 'In document 000 the generator put its points at the two right centres but with almost no spread (DiscriminatorLoss -0.67, GeneratorLoss 12.6, KL 8.4). Variance collapse means the generator ignores part of its noise: Sigmoid hidden layers squeeze it, a too-small z_dim cannot carry it.'
    use_instead = 'Hidden activations → LeakyReLU; critic as wide as the generator; lr 1e-4, batch 64–128, n_critic 5; z_dim 16 (8–32); then λ 10 → 5 → 1.'
    source = '000'
    families = ('wgan-gp', 'wgan', 'gan')
    options = {'min_ratio': 0.5}
    option_docs = {'min_ratio': 'generated/real per-mode standard deviation below which the rule fires'}
    fix_stage = 1
    confirms = 'GL001, GL103'  # static rules a firing of this rule confirms (named in the finding)
    chart_line = ("samples", "min_ratio", "")  # the threshold line report.html draws
    judges_samples = True  # a verdict on the generated samples

    def needs(self, o):
        return {"samples": {}}

    def blamed_layers(self, finding):
        from ganlint.rules.gl510_mode_collapse import RULE as MODE_COLLAPSE

        return MODE_COLLAPSE.blamed_layers(finding)  # the same hidden-Sigmoid evidence, one reading of it

    def detect(self, s, o):
        from ganlint.probe.stats import mean

        spr = s.values("spread_ratio")
        if len(spr) < 3:
            return
        m = mean(spr[-3:])
        if not m < o["min_ratio"]:
            return
        steps = s.steps("spread_ratio")
        st = s.sample_stats
        kl = s.values("kl_real_fake")
        prec = s.values("precision")
        ev = {"spread_ratio": rounded(m), "spread_ratio_series": [rounded(x) for x in spr[-3:]], "steps": [steps[-3], steps[-1]],
              "per_mode": st.get("per_mode"), "kl_real_fake": rounded(kl[-1]) if kl else None, "threshold": o["min_ratio"],
              "precision": rounded(prec[-1]) if prec else None}
        # the words follow the numbers: "on the modes' centres" only when the samples sit on the modes
        on = st.get("on_modes")
        where = ("the samples sit on the modes' centres" if on is not None and on >= 0.8
                 else f"the covered modes' samples are squeezed ({on:.0%} of all samples lie on a mode)" if on is not None
                 else "the samples are squeezed")
        if s.static("hidden_sigmoid"):  # where the built networks hold hidden Sigmoids: the fixer's evidence
            ev["hidden_sigmoid_layers"] = s.context.get("static_facts", {}).get("hidden_sigmoid_layers")
        yield s.finding(self, f"generated per-mode spread is {m:.2f}x the real spread (< {o['min_ratio']:g}) over steps "
                        f"{steps[-3]}-{steps[-1]}: {where}", s.loc("generator"), ev,
                        related=s.related("setting:latent_dim", "setting:activation"), confirms=confirmed(s, "GL001", "GL103"))


RULE = VarianceCollapse()
