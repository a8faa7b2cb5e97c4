"""GL510 mode-collapse (runtime): Generated samples cover fewer modes (clusters) of the real data than there are.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL510]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class ModeCollapse(Rule):
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

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = ModeCollapse()
