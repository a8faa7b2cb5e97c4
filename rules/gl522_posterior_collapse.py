"""GL522 posterior-collapse (runtime): The KL goes to 0, or fewer than half the latent units are active (variance of the posterior mean < 0.01).

Measured by `ganlint probe` (and the probe API); `check` never reports it. Everything the rule does at
runtime lives here: `needs()` names the instruments it reads and the options that shape them, `detect()`
turns the measured series into findings; thresholds in `options` are overridable in [tool.ganlint.rules.GL522].
"""
from __future__ import annotations

import math

from ganlint.core.types import Severity
from ganlint.probe.series import RuntimeRule, rounded


class PosteriorCollapse(RuntimeRule):
    code = "GL522"
    slug = "posterior-collapse"
    severity = Severity.WARNING
    runtime = True
    summary = 'The KL goes to 0, or fewer than half the latent units are active (variance of the posterior mean < 0.01).'
    why = 'A collapsed posterior ignores the input: the decoder generates without using z. A KL weight that rises too fast, or a decoder too strong for the data, causes it.'
    use_instead = 'Anneal the KL weight from 0, use free bits, or weaken the decoder.'
    source = 'paper'
    families = ('vae',)
    options = {'min_kl': 0.01, 'active_var': 0.01, 'min_active_share': 0.5}
    option_docs = {'min_kl': 'KL (nats per sample) below which the posterior collapsed', 'active_var': 'variance over the batch of a latent mean above which that unit is active', 'min_active_share': 'share of active latent units below which the rule fires'}
    fix_stage = None
    confirms = None  # static rules a firing of this rule confirms (named in the finding)

    def needs(self, o):
        # a latent unit is active above this variance of its posterior mean: the option shapes the measurement
        return {"latents": {"active_var": float(o["active_var"])}}

    def detect(self, s, o):
        from ganlint.probe.stats import mean

        if s.family != "vae" or len(s.values("kl")) < 100:
            return
        lastkl, win = s.last_window("kl")
        act, _ = s.last_window("active_units")
        mk, ma = mean(lastkl), mean(act) if act else float("nan")
        if not (mk < o["min_kl"] or (math.isfinite(ma) and ma < o["min_active_share"])):
            return
        shape = s.context.get("vae_loss_shape") or {}
        if s.context.get("trained_by") == "recipe" and not shape.get("recon"):
            # the recipe weighs reconstruction against KL as the user's loss does only when the code says how it
            # reduces its reconstruction term; otherwise a collapse may be the recipe's, not the user's
            s.note(f"posterior collapse seen (KL {mk:.3g}, {ma:.0%} of latent units active) but not reported (GL522): "
                   "the code does not say whether its reconstruction loss is summed or averaged, and the recipe's "
                   "mean may weigh KL more than the user's loss does")
            return
        yield s.finding(self, f"posterior collapse: KL {mk:.3g}, {ma:.0%} of latent units active (steps {win[0]}-{win[1]})"
                        + (f"; trained with the code's {shape['recon']}-reduced reconstruction loss" if shape.get("recon") else ""),
                        s.loc("vae", "kl_weight"), {"kl": rounded(mk, 6), "active_share": rounded(ma), "steps": list(win),
                                                   "active_var": o["active_var"], "loss_shape": shape or None})


RULE = PosteriorCollapse()
