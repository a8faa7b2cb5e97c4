"""GL503 vanishing-gradients (runtime): A layer's gradient norm is below 1e-7, or the first/last layer gradient ratio is below 1e-3.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL503]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class VanishingGradients(Rule):
    code = "GL503"
    slug = "vanishing-gradients"
    severity = Severity.WARNING
    runtime = True
    summary = "A layer's gradient norm is below 1e-7, or the first/last layer gradient ratio is below 1e-3."
    why = "When the gradient reaching a layer is vanishingly small the layer does not learn. In a GAN this is the 'critic says only garbage' failure of document 001 Ⅰ: a saturated discriminator or saturated activations pass no signal back to the generator."
    use_instead = 'Remove saturating hidden activations (LeakyReLU), use the non-saturating generator loss or WGAN-GP, and check the initialisation.'
    source = '001 Ⅰ, paper'
    families = ()
    options = {'min_norm': 1e-07, 'min_ratio': 0.001}
    option_docs = {'min_norm': 'per-layer gradient norm below which a layer counts as not learning', 'min_ratio': 'first-layer / last-layer gradient norm ratio below which gradients vanish through depth'}
    fix_stage = None
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = VanishingGradients()
