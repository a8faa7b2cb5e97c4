"""GL514 generator-loss-runaway (runtime): The generator loss grows steadily while the critic loss stalls.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL514]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class GeneratorLossRunaway(Rule):
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

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = GeneratorLossRunaway()
