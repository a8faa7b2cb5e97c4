"""GL532 infonce-at-chance (runtime): In-batch InfoNCE accuracy stays near chance, 1/B.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL532].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, rounded


class InfonceAtChance(RuntimeRule):
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

    def detect(self, s, o):
        from ganlint.probe.stats import mean

        if s.family != "energy" or not s.values("energy_gap"):
            return
        acc, win = s.last_window("infonce_accuracy", 0.1, 20)
        chance = s.values("infonce_chance")
        if acc and chance and mean(acc) < o["max_ratio"] * chance[-1]:
            yield s.finding(self, f"in-batch InfoNCE accuracy {mean(acc):.3f} stays near chance {chance[-1]:.3f} "
                            f"(steps {win[0]}-{win[1]})", s.loc("energy"),
                            {"infonce_accuracy": rounded(mean(acc)), "chance": rounded(chance[-1]), "steps": list(win)})


RULE = InfonceAtChance()
