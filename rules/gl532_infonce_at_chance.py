"""GL532 infonce-at-chance (runtime): In-batch InfoNCE accuracy stays near chance, 1/B.

Measured by `ganlint probe` (and the probe API); `check` never reports it. The probe's detectors build the
Finding through this rule (`RULE.finding(...)`), so code, slug, severity and the thresholds in `options`
(overridable in [tool.ganlint.rules.GL532]) come from here.
"""
from __future__ import annotations

from ganlint.checking.rule import Rule
from ganlint.core.types import Severity


class InfonceAtChance(Rule):
    code = "GL532"
    slug = "infonce-at-chance"
    severity = Severity.WARNING
    runtime = True
    summary = 'In-batch InfoNCE accuracy stays near chance, 1/B.'
    why = 'The in-batch task picks the positive among B candidates. Accuracy near 1/B after training means the energies carry no information about which action belongs to which context.'
    use_instead = 'Check that positives are aligned with their contexts; widen the energy band; τ 0.3; harder negatives.'
    source = '004'
    families = ('energy',)
    options = {'max_ratio': 2.0}
    option_docs = {'max_ratio': 'accuracy below this multiple of chance (1/B) over the last window fires the rule'}
    fix_stage = 1
    confirms = 'GL301, GL302'  # static rules a firing of this rule confirms (named in the finding)

    def check(self, facts, opts):
        return ()  # runtime rule: ganlint/probe/detectors.py creates its findings


RULE = InfonceAtChance()
