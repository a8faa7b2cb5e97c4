"""GL501 activation-saturation (runtime): More than half of a sigmoid/tanh layer's pre-activations sit beyond ±5, where the gradient is almost zero.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL501].
"""
from __future__ import annotations

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, confirmed, rounded

SATURATING = {"sigmoid", "tanh"}


class ActivationSaturation(RuntimeRule):
    code = "GL501"
    slug = "activation-saturation"
    severity = Severity.WARNING
    runtime = True
    summary = "More than half of a sigmoid/tanh layer's pre-activations sit beyond ±5, where the gradient is almost zero."
    why = "A Sigmoid or Tanh whose inputs sit beyond ±5 passes back less than 1% of the gradient (sigmoid'(5) = 0.0066). Layers that live there stop learning, and the network's output is squeezed: in document 000 the generator's Sigmoid hidden layers produced points on a centre line instead of two round Gaussians."
    use_instead = 'Use `LeakyReLU(0.2)` (or ReLU/ELU) as the hidden activation (config: `non_linearity: LeakyReLU`). Keep a final Tanh/Sigmoid only where the output range really is bounded.'
    source = '000 §1.1, 004'
    families = ()
    options = {'preact_threshold': 5.0, 'fraction': 0.5}
    option_docs = {'preact_threshold': '|pre-activation| beyond which a sigmoid/tanh counts as saturated', 'fraction': 'share of saturated pre-activations in a layer (mean over the last window) that fires the rule'}
    fix_stage = 1
    confirms = 'GL001'  # static rules a firing of this rule confirms (named in the finding)
    chart_line = ("saturation", "fraction", "")  # the threshold line report.html draws
    layer_repair = "000 §1.1"  # fix --verify turns the saturated layer into LeakyReLU at the setting choosing it

    def blamed_layers(self, finding):
        ev = finding.get("evidence") or {}
        if str(ev.get("activation") or "").lower() not in SATURATING or not ev.get("network"):
            return []
        why = (f"the probe measured it saturated ({ev.get('saturated_fraction') or 0:.0%} of pre-activations "
               f"beyond ±{ev.get('threshold', 5):g})")
        return [(ev, why)]

    def needs(self, o):
        # the instrument counts pre-activations beyond this threshold: the option shapes the measurement
        return {"activations": {"sat_threshold": float(o["preact_threshold"])}}

    def detect(self, s, o):
        from ganlint.probe.stats import mean

        by_role: dict[str, list] = {}
        for name, role, layer, m, win in s.layer_windows("sat"):
            if m > o["fraction"]:
                by_role.setdefault(role, []).append((layer, m, win, s.layer_kinds.get(name, ""), s.layer_info.get(name, {})))
        spr = s.values("spread_ratio")
        spread = mean(spr[-3:]) if spr else None
        for role, layers in by_role.items():
            worst = max(layers, key=lambda t: t[1])
            info = worst[4]
            ev = {"network": role, "network_class": s.network_class(role), "layers": {l: rounded(m) for l, m, *_ in layers},
                  "worst_layer": worst[0], "module_path": info.get("module", worst[0]), "layer_index": info.get("index"),
                  "activation": worst[3] or None, "saturated_fraction": rounded(worst[1]), "steps": list(worst[2]),
                  "threshold": o["preact_threshold"]}
            msg = (f"{len(layers)} {worst[3] or 'sigmoid/tanh'} layer(s) of the {role} saturated: in {worst[0]} "
                   f"{worst[1]:.0%} of pre-activations lie beyond ±{o['preact_threshold']:g} (steps {worst[2][0]}-{worst[2][1]})")
            if spread is not None and role == "generator":
                ev["spread_ratio"] = rounded(spread)
                msg += f"; generated/real spread {spread:.2f}"
            yield s.finding(self, msg, s.loc(role, "activation"), ev, related=s.related(role),
                            confirms=confirmed(s, "GL001"))


RULE = ActivationSaturation()
