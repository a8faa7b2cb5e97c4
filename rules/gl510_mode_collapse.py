"""GL510 mode-collapse (runtime): Generated samples cover fewer modes (clusters) of the real data than there are.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL510].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, confirmed, rounded


class ModeCollapse(RuntimeRule):
    code = "GL510"
    slug = "mode-collapse"
    severity = Severity.ERROR
    runtime = True
    summary = 'Generated samples cover fewer modes (clusters) of the real data than there are.'
    why = 'A generator that reaches only some modes of the data has found an easy way to fool its critic; it never learns the rest. Coverage is measured by assigning generated points to the clusters of the real data.'
    use_instead = "Match the critic's widths to the generator's, LeakyReLU hidden activations, lr 1e-4 with n_critic 5, then raise z_dim to 16."
    source = '000'
    families = ('wgan-gp', 'wgan', 'gan')
    options = {'min_share': 0.25}
    option_docs = {'min_share': 'a mode counts as covered when it receives at least this share of its expected generated mass (and the points lie within 3 real std of the mode)'}
    fix_stage = 1
    confirms = 'GL001, GL102, GL103'  # static rules a firing of this rule confirms (named in the finding)
    judges_samples = True  # a verdict on the generated samples

    def needs(self, o):
        # a mode counts as covered at this share of its real mass: the option shapes the sample measure
        return {"samples": {"min_share": float(o["min_share"])}}

    def blamed_layers(self, finding):
        # a collapse measured with hidden Sigmoids in the networks (confirming GL001): those layers
        ev = finding.get("evidence") or {}
        if "GL001" not in (ev.get("confirms") or []):
            return []
        why = f"{finding['code']} ({finding.get('message', '').split(':')[0]}) was measured with it as a hidden layer"
        return [(layer, why) for layer in ev.get("hidden_sigmoid_layers") or []]

    def detect(self, s, o):
        cov = s.values("mode_coverage")
        if len(cov) < 2 or max(cov[-2:]) >= 1.0:
            return
        st = s.sample_stats
        modes = int(s.values("modes")[-1]) if s.values("modes") else None
        covered = int(s.values("modes_covered")[-1])
        steps = s.steps("mode_coverage")[-2:]
        prec = s.values("precision")
        where = ""
        if prec:
            where = (f"; k-NN precision {prec[-1]:.2f}: " + ("most samples lie off the real data" if prec[-1] < 0.5
                     else "the samples lie on the data but on too few modes"))
        ev = {"modes": modes, "modes_covered": covered, "coverage": [rounded(c) for c in cov[-3:]], "steps": steps,
              "network": "generator", "per_mode": st.get("per_mode"), "on_modes": st.get("on_modes"),
              **{k: rounded(s.values(k)[-1]) for k in ("precision", "recall", "density", "coverage") if s.values(k)}}
        if s.static("hidden_sigmoid"):  # where the built networks hold hidden Sigmoids: the fixer's evidence
            ev["hidden_sigmoid_layers"] = s.context.get("static_facts", {}).get("hidden_sigmoid_layers")
        yield s.finding(self, f"generated samples cover {covered} of {modes} modes of the real data (last two "
                        f"evaluations, steps {steps[0]}-{steps[1]}){where}", s.loc("generator"), ev,
                        related=s.related("critic"), confirms=confirmed(s, "GL001", "GL102", "GL103"))


RULE = ModeCollapse()
