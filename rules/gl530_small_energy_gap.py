"""GL530 small-energy-gap (runtime): Mean E(negative) − E(positive) is below 0.1.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL530]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class SmallEnergyGap(Rule):
    code = "GL530"
    slug = "small-energy-gap"
    severity = Severity.WARNING
    runtime = True
    summary = 'Mean E(negative) − E(positive) is below 0.1.'
    why = "In-batch InfoNCE learns by pushing negatives' energies above the positive's. A gap below 0.1 after training means the model barely separates them (document 004), typically because a sigmoid head squeezes the energies into a width-1 band and saturates."
    use_instead = 'E = sigmoid(0.5*raw) * 2.0 + 0.1 (or an unbounded head); τ 0.3; energy lr × 0.1; clip 0.3; harder negatives.'
    source = '004'
    families = ('energy',)
    options = {'min_gap': 0.1, 'min_rise': 0.25}
    option_docs = {'min_gap': 'mean E(neg) - E(pos) over the last window below which the rule fires', 'min_rise': 'a gap that grew by more than this fraction (and by at least 0.002) over the second half of the run is still learning, e.g. during a warm-up, and is not judged yet'}
    fix_stage = 1
    confirms = 'GL301, GL302'  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = SmallEnergyGap()
