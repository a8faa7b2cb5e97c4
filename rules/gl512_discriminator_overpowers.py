"""GL512 discriminator-overpowers (runtime): D(G(z)) tends to 0 (D accuracy near 100%) while the generator's gradients vanish.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL512].
"""
from __future__ import annotations

import math

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, rounded


class DiscriminatorOverpowers(RuntimeRule):
    code = "GL512"
    slug = "discriminator-overpowers"
    severity = Severity.WARNING
    runtime = True
    summary = "D(G(z)) tends to 0 (D accuracy near 100%) while the generator's gradients vanish."
    why = 'When the discriminator separates real and fake perfectly, a minimax generator loss `log(1 - D(G(z)))` has almost no gradient: the generator stops learning (documents 001 Ⅰ and 002).'
    use_instead = "Use the non-saturating loss `-log D(G(z))`, label smoothing 0.9, or WGAN-GP; lower the discriminator's learning rate."
    source = '001 Ⅰ, 002'
    families = ('gan',)
    options = {'d_fake_max': 0.05, 'accuracy': 0.98, 'g_grad_max': 0.001}
    option_docs = {'d_fake_max': 'mean D(G(z)) (a probability) below which D wins', 'accuracy': 'D accuracy on real+fake above which D wins', 'g_grad_max': 'generator gradient norm below which its gradients vanish'}
    fix_stage = 1
    confirms = 'GL110'  # static rules a firing of this rule confirms (named in the finding)

    def detect(self, s, o):
        from ganlint.probe.stats import mean

        if s.family != "gan" or not s.values("d_fake"):
            return
        df, win = s.last_window("d_fake")
        acc, _ = s.last_window("d_accuracy")
        gg, _ = s.last_window("gradnorm/generator")
        mdf, macc, mgg = mean(df), mean(acc), mean(gg) if gg else float("nan")
        if (mdf < o["d_fake_max"] or macc > o["accuracy"]) and math.isfinite(mgg) and mgg < o["g_grad_max"]:
            yield s.finding(self, f"the discriminator wins: mean D(G(z)) {mdf:.3f}, accuracy {macc:.0%}, generator "
                            f"gradient norm {mgg:.1e} (steps {win[0]}-{win[1]})", s.loc("critic"),
                            {"d_fake": rounded(mdf), "d_accuracy": rounded(macc), "generator_grad_norm": rounded(mgg, 10),
                             "steps": list(win)})


RULE = DiscriminatorOverpowers()
