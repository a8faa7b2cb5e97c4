"""GL503 vanishing-gradients (runtime): A layer's gradient norm is below 1e-7, or the first/last layer gradient ratio is below 1e-3.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL503].
"""
from __future__ import annotations

import math

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, confirmed, rounded


class VanishingGradients(RuntimeRule):
    code = "GL503"
    slug = "vanishing-gradients"
    severity = Severity.WARNING
    runtime = True
    summary = "A layer's gradient norm is below 1e-7, or the first/last layer gradient ratio is below 1e-3."
    why = "When the gradient reaching a layer is vanishingly small the layer does not learn. In a GAN this is the 'critic says only garbage' failure of document 001 Ⅰ: a saturated discriminator or saturated activations pass no signal back to the generator."
    use_instead = 'Remove saturating hidden activations (LeakyReLU), use the non-saturating generator loss or WGAN-GP, and check the initialisation.'
    source = '001 Ⅰ, paper'
    families = ()
    options = {'min_norm': 1e-07, 'min_ratio': 0.001}
    option_docs = {'min_norm': 'per-layer gradient norm below which a layer counts as not learning', 'min_ratio': 'first-layer / last-layer gradient norm ratio below which gradients vanish through depth'}
    fix_stage = None
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def needs(self, o):
        return {"grads": {}}

    def detect(self, s, o):
        from ganlint.probe.stats import mean

        for role in s.roles:
            lastm = {}
            for n in s.names(f"grad/{role}/"):
                vals, win = s.last_window(n)
                lastm[n.split("/", 2)[2]] = (mean(vals), win)
            if not lastm:
                continue
            tiny = {l: m for l, (m, _) in lastm.items() if math.isfinite(m) and m < o["min_norm"]}
            order = [l for l in s.layer_order.get(role, []) if l in lastm]
            ratio = None
            if len(order) >= 2:
                first, last = lastm[order[0]][0], lastm[order[-1]][0]
                if math.isfinite(first) and math.isfinite(last) and last > 0:
                    ratio = first / last
            if tiny or (ratio is not None and ratio < o["min_ratio"]):
                win = next(iter(lastm.values()))[1]
                msg = (f"gradients vanish in the {role}: " + (f"{len(tiny)} layer(s) below {o['min_norm']:g}" if tiny
                       else f"first/last layer gradient ratio {ratio:.1e} < {o['min_ratio']:g}") + f" (steps {win[0]}-{win[1]})")
                yield s.finding(self, msg, s.loc(role), {"network": role, "tiny_layers": {k: rounded(v, 12) for k, v in tiny.items()},
                                                         "first_last_ratio": rounded(ratio, 8), "steps": list(win)},
                                confirms=confirmed(s, "GL001") if s.layer_kinds else None)


RULE = VanishingGradients()
