"""GL511 variance-collapse (runtime): Generated per-mode spread is below 0.5x the real spread: the 'points on the centre line' symptom.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL511]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class VarianceCollapse(Rule):
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

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = VarianceCollapse()
