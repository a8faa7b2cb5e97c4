"""GL521 kl-rising (runtime): The KL term trends upward after the warm-up.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL521]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class KlRising(Rule):
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

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = KlRising()
