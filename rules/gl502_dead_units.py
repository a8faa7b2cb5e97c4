"""GL502 dead-units (runtime): At least 70% of a ReLU layer's outputs are zero over a window (dead units).

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL502].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, rounded


class DeadUnits(RuntimeRule):
    code = "GL502"
    slug = "dead-units"
    severity = Severity.WARNING
    runtime = True
    summary = "At least 70% of a ReLU layer's outputs are zero over a window (dead units)."
    why = 'A ReLU unit whose input is negative for every sample outputs 0 and receives no gradient, so it never recovers. When most of a layer is dead the network has lost most of its width; a high learning rate or a large negative bias shift usually causes it.'
    use_instead = 'Use `LeakyReLU(0.2)`, lower the learning rate, or re-initialise; for GAN critics LeakyReLU is the default choice.'
    source = 'paper'
    families = ()
    options = {'zero_fraction': 0.7}
    option_docs = {'zero_fraction': 'share of zero outputs of a ReLU layer (mean over the last window) that fires the rule'}
    fix_stage = 1
    confirms = None  # static rules a firing of this rule confirms (named in the finding)
    chart_line = ("dead", "zero_fraction", "")  # the threshold line report.html draws

    def needs(self, o):
        return {"activations": {}}

    def detect(self, s, o):
        by_role: dict[str, list] = {}
        for name, role, layer, m, win in s.layer_windows("dead"):
            if m >= o["zero_fraction"]:
                by_role.setdefault(role, []).append((layer, m, win))
        for role, layers in by_role.items():
            worst = max(layers, key=lambda t: t[1])
            yield s.finding(self, f"{len(layers)} ReLU layer(s) of the {role} mostly dead: {worst[0]} outputs zero "
                            f"{worst[1]:.0%} of the time (steps {worst[2][0]}-{worst[2][1]})", s.loc(role),
                            {"network": role, "layers": {l: rounded(m) for l, m, _ in layers}, "steps": list(worst[2])})


RULE = DeadUnits()
