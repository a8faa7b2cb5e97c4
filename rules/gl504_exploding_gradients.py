"""GL504 exploding-gradients (runtime): The gradient norm exceeds 1e3, or grows at least 2x from window to window.

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL504].
"""
from __future__ import annotations

import math

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, rounded


class ExplodingGradients(RuntimeRule):
    code = "GL504"
    slug = "exploding-gradients"
    severity = Severity.WARNING
    runtime = True
    summary = 'The gradient norm exceeds 1e3, or grows at least 2x from window to window.'
    why = 'Exploding gradients throw parameters far in one step; the loss jumps, the KL term of a VAE spikes, and soon values become NaN (documents 003 and 004).'
    use_instead = 'Clip the gradient norm (VAE: 10; energy: 0.3), lower the learning rate, clamp `log_var` before `exp`.'
    source = '003, 004'
    families = ()
    options = {'max_norm': 1000.0, 'growth': 2.0, 'growth_windows': 3}
    option_docs = {'max_norm': 'total gradient norm of a network above which it explodes', 'growth': 'window-to-window growth factor of the gradient norm', 'growth_windows': 'consecutive windows the growth must persist'}
    fix_stage = 2
    confirms = None  # static rules a firing of this rule confirms (named in the finding)
    # the user's program has its own loss scale (a loss summed over a batch of 784-D images has gradient norms
    # in the thousands): in a traced run only the growth criterion means "exploding", not the absolute norm
    traced_run_options = {"max_norm": float("inf")}

    def needs(self, o):
        return {"grads": {}}

    def detect(self, s, o):
        from ganlint.probe.stats import mean, windows

        for role in s.roles:
            tot = s.values(f"gradnorm/{role}")
            if not tot:
                continue
            vals, win = s.last_window(f"gradnorm/{role}")
            m = mean(vals)
            w = [mean(c) for c in windows(tot, 8)]
            grow = 0
            for a, b in zip(w, w[1:]):
                grow = grow + 1 if (a > 0 and b >= o["growth"] * a) else 0
                if grow >= o["growth_windows"]:
                    break
            if (math.isfinite(m) and m > o["max_norm"]) or grow >= o["growth_windows"]:
                yield s.finding(self, f"the {role}'s gradient norm explodes: {m:.3g} over steps {win[0]}-{win[1]}"
                                + (f", growing ≥{o['growth']:g}x for {grow} windows" if grow >= o["growth_windows"] else ""),
                                s.loc(role, "learning_rate"),
                                {"network": role, "grad_norm": rounded(m), "window_means": [rounded(x) for x in w], "steps": list(win)})


RULE = ExplodingGradients()
