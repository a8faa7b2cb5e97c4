"""GL530 small-energy-gap (runtime): Mean E(negative) − E(positive) is below 0.1.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL530].
"""
from __future__ import annotations

import math

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, confirmed, rounded


class SmallEnergyGap(RuntimeRule):
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
    chart_line = ("energies", "min_gap", "gap ")  # the threshold line report.html draws

    def detect(self, s, o):
        from ganlint.probe.stats import mean

        if s.family != "energy" or not s.values("energy_gap"):
            return
        gap, win = s.last_window("energy_gap", 0.1, 20)
        m = mean(gap)
        allg = s.values("energy_gap")
        half = mean(allg[len(allg) // 2: len(allg) // 2 + max(20, len(allg) // 10)])
        rising = math.isfinite(half) and (m - half) > max(0.002, o.get("min_rise", 0.25) * abs(half))
        if math.isfinite(m) and m < o["min_gap"] and rising:
            s.note(f"energy gap {m:.3f} is below {o['min_gap']:g} but still rising (from {half:.3f} at mid-run): "
                   "not judged yet (GL530); probe longer (--steps) to decide")
        if math.isfinite(m) and m < o["min_gap"] and not rising:
            yield s.finding(self, f"mean E(neg) - E(pos) is {m:.3f} (< {o['min_gap']:g}) over steps {win[0]}-{win[1]}: "
                            f"negatives are barely separated", s.loc("energy"),
                            {"energy_gap": rounded(m), "e_pos": rounded(mean(s.last_window("e_pos", 0.1, 20)[0])),
                             "e_neg": rounded(mean(s.last_window("e_neg", 0.1, 20)[0])), "steps": list(win)},
                            related=s.related("setting:temperature"), confirms=confirmed(s, "GL301"))


RULE = SmallEnergyGap()
