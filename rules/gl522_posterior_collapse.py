"""GL522 posterior-collapse (runtime): The KL goes to 0, or fewer than half the latent units are active (variance of the posterior mean < 0.01).

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL522]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class PosteriorCollapse(Rule):
    code = "GL522"
    slug = "posterior-collapse"
    severity = Severity.WARNING
    runtime = True
    summary = 'The KL goes to 0, or fewer than half the latent units are active (variance of the posterior mean < 0.01).'
    why = 'A collapsed posterior ignores the input: the decoder generates without using z. A KL weight that rises too fast, or a decoder too strong for the data, causes it.'
    use_instead = 'Anneal the KL weight from 0, use free bits, or weaken the decoder.'
    source = 'paper'
    families = ('vae',)
    options = {'min_kl': 0.01, 'active_var': 0.01, 'min_active_share': 0.5}
    option_docs = {'min_kl': 'KL (nats per sample) below which the posterior collapsed', 'active_var': 'variance over the batch of a latent mean above which that unit is active', 'min_active_share': 'share of active latent units below which the rule fires'}
    fix_stage = None
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = PosteriorCollapse()
