"""Detectors on synthetic metric series (no training): each fires on its symptom and stays quiet otherwise."""
from __future__ import annotations

import math
import random

from ganlint.probe.api import Probe


def _probe(family, series, nets=None):
    import torch.nn as nn

    p = Probe(nets or {"vae": nn.Linear(2, 2)}, family, instruments=False)
    for name, vals in series.items():
        for i, v in enumerate(vals):
            p.record(name, i, v)
    p.step = max(len(v) for v in series.values()) - 1
    return p


def _codes(p):
    return {f.code for f in p.findings()}


def test_kl_rising_after_warmup():
    rnd = random.Random(0)
    rising = [5 + 5 * i / 2000 + rnd.gauss(0, 0.3) for i in range(2000)]
    flat = [5 + rnd.gauss(0, 0.3) for i in range(2000)]
    assert "GL521" in _codes(_probe("vae", {"kl": rising}))
    assert "GL521" not in _codes(_probe("vae", {"kl": flat}))


def test_kl_oscillation_needs_more_than_noise():
    rnd = random.Random(1)
    osc = [10 + 3 * math.sin(2 * math.pi * i / 300) + rnd.gauss(0, 1) for i in range(2000)]
    noise = [10 + rnd.gauss(0, 1) for i in range(2000)]
    assert "GL520" in _codes(_probe("vae", {"kl": osc}))
    assert "GL520" not in _codes(_probe("vae", {"kl": noise}))


def test_energy_gap_small_and_stalled_vs_still_rising():
    stalled = [0.03] * 1000
    rising = [0.1 * i / 1000 * 0.9 for i in range(1000)]
    base = {"infonce_accuracy": [0.5] * 1000, "infonce_chance": [1 / 64] * 1000}
    assert "GL530" in _codes(_probe("energy", {"energy_gap": stalled, **base}))
    p = _probe("energy", {"energy_gap": rising, **base})
    assert "GL530" not in _codes(p) and any("still rising" in n for n in p.context["notes"])


def test_infonce_at_chance():
    p = _probe("energy", {"energy_gap": [0.5] * 500, "infonce_accuracy": [1 / 64] * 500, "infonce_chance": [1 / 64] * 500})
    assert "GL532" in _codes(p)


def test_penalty_norm_off_and_gan_thresholds_are_options():
    import torch.nn as nn

    nets = {"generator": nn.Linear(2, 2), "critic": nn.Linear(2, 1)}
    p = _probe("wgan-gp", {"gp_norm": [3.0] * 300}, nets)
    assert "GL513" in _codes(p)
    p.rule_options = {"GL513": {"high": 5.0}}
    assert "GL513" not in _codes(p)


def test_exploding_gradients():
    import torch.nn as nn

    p = _probe("vae", {"gradnorm/vae": [10 * 2 ** (i / 100) for i in range(1000)]}, {"vae": nn.Linear(2, 2)})
    assert "GL504" in _codes(p)


def test_discriminator_overpowers_needs_vanishing_generator_gradients():
    import torch.nn as nn

    nets = {"generator": nn.Linear(2, 2), "critic": nn.Linear(2, 1)}
    wins = {"d_fake": [0.01] * 400, "d_accuracy": [1.0] * 400, "gradnorm/generator": [1e-5] * 400}
    assert "GL512" in _codes(_probe("gan", wins, nets))
    learning = {**wins, "gradnorm/generator": [0.5] * 400}
    assert "GL512" not in _codes(_probe("gan", learning, nets))


def test_generator_loss_runaway_while_critic_stalls():
    import torch.nn as nn

    nets = {"generator": nn.Linear(2, 2), "critic": nn.Linear(2, 1)}
    run = {"loss_g": [12.6 * i / 1000 for i in range(1000)], "loss_d": [-0.67] * 1000}
    assert "GL514" in _codes(_probe("wgan-gp", run, nets))
    both = {"loss_g": [0.0] * 1000, "loss_d": [-0.67] * 1000}
    assert "GL514" not in _codes(_probe("wgan-gp", both, nets))


def test_posterior_collapse_and_saturation_windows():
    p = _probe("vae", {"kl": [0.001] * 500, "active_units": [0.1] * 20})
    assert "GL522" in _codes(p)
    import torch.nn as nn

    q = _probe("wgan-gp", {"sat/generator/model.1": [0.9] * 20, "dead/critic/net.1": [0.8] * 20},
               {"generator": nn.Linear(2, 2), "critic": nn.Linear(2, 1)})
    f = {x.code: x for x in q.findings()}
    assert f["GL501"].evidence["network"] == "generator" and f["GL501"].evidence["layers"] == {"model.1": 0.9}
    assert f["GL502"].evidence["network"] == "critic"
    q.rule_options = {"GL501": {"fraction": 0.95}}
    assert "GL501" not in _codes(q)
