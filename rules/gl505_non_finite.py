"""GL505 non-finite (runtime): NaN or Inf appeared in a loss, a gradient or a parameter.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL505].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule


class NonFinite(RuntimeRule):
    code = "GL505"
    slug = "non-finite"
    severity = Severity.ERROR
    runtime = True
    summary = 'NaN or Inf appeared in a loss, a gradient or a parameter.'
    why = 'Once a NaN reaches the parameters, training is over: every later step computes NaN. The report names the first step and the tensor where it appeared.'
    use_instead = 'Clamp `log_var` before `exp`, clip gradients, lower the learning rate; for energy models keep the energies bounded but not saturated.'
    source = '004'
    families = ()
    options = {}
    option_docs = {}
    fix_stage = None
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def detect(self, s, o):
        if s.events:
            e = s.events[0]
            yield s.finding(self, f"non-finite value ({e['value']}) first seen at step {e['step']} in the {e['what']}",
                            s.loc("default"), {"step": e["step"], "tensor": e["what"], "events": s.events[:10]})


RULE = NonFinite()
