"""GL520 kl-oscillation (runtime): The VAE's KL term oscillates: high detrended variance and frequent direction changes.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL520]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class KlOscillation(Rule):
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

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = KlOscillation()
