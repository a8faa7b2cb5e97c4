"""GL531 energy-saturation (runtime): The energy head's sigmoid is saturated (|input| beyond 5) for most samples.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL531].
"""
from __future__ import annotations

import math

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, confirmed, rounded


class EnergySaturation(RuntimeRule):
    code = "GL531"
    slug = "energy-saturation"
    severity = Severity.WARNING
    runtime = True
    summary = "The energy head's sigmoid is saturated (|input| beyond 5) for most samples."
    why = "A sigmoid head whose inputs sit beyond ±5 returns energies pinned at 0 or 1 and passes back almost no gradient: positives and negatives cannot be separated further (document 004: 'Sigmoid饱和导致梯度消失')."
    use_instead = "Scale the head's input and widen the band: `E = sigmoid(0.5*raw) * 2.0 + 0.1`."
    source = '004'
    families = ('energy',)
    options = {'preact_threshold': 5.0, 'fraction': 0.5}
    option_docs = {'preact_threshold': "|input| of the head's sigmoid beyond which a sample is saturated", 'fraction': 'share of saturated samples (last window) that fires the rule'}
    fix_stage = 1
    confirms = 'GL301'  # static rules a firing of this rule confirms (named in the finding)
    chart_line = ("saturation", "fraction", "")  # the threshold line report.html draws

    def needs(self, o):
        # the energy head counts inputs beyond its own threshold (not GL501's)
        return {"activations": {"head_threshold": float(o["preact_threshold"])}}

    def detect(self, s, o):
        from ganlint.probe.stats import mean

        for name, role, layer, m, win in s.layer_windows("head"):
            s.context.setdefault("head_saturation", m)
            if m <= o["fraction"]:
                continue
            extra = {}
            lossv, chance, tau = s.values("loss"), s.values("infonce_chance"), s.context.get("temperature")
            if lossv and chance and tau:
                B = round(1.0 / chance[-1])
                extra = {"infonce_loss": rounded(mean(lossv[-max(20, len(lossv) // 10):])),
                         "infonce_floor_width1": rounded(math.log(1 + (B - 1) * math.exp(-1.0 / float(tau))))}
            yield s.finding(self, f"the energy head's {s.layer_kinds.get(name, 'Sigmoid')} ({layer}) is saturated for "
                            f"{m:.0%} of samples (|input| > {o['preact_threshold']:g}) over steps {win[0]}-{win[1]}",
                            s.loc("energy"), {"network": role, "layer": layer, "saturated_fraction": rounded(m),
                                              "steps": list(win), "threshold": o["preact_threshold"], **extra},
                            confirms=confirmed(s, "GL301"))


RULE = EnergySaturation()
