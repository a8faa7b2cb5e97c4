"""GL512 discriminator-overpowers (runtime): D(G(z)) tends to 0 (D accuracy near 100%) while the generator's gradients vanish.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL512]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class DiscriminatorOverpowers(Rule):
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

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = DiscriminatorOverpowers()
