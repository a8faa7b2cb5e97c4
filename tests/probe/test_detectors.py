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


def test_sample_statistics_low_and_high_dimension():
    import torch

    from ganlint.probe.stats import Reference

    g = torch.Generator().manual_seed(0)
    means = torch.tensor([[-2.0, 0.0], [2.0, 0.0]])
    real = means[torch.randint(2, (4000,), generator=g)] + 0.5 * torch.randn(4000, 2, generator=g)
    ref = Reference(real, means)
    same = ref.compare(means[torch.randint(2, (768,), generator=g)] + 0.5 * torch.randn(768, 2, generator=g))
    line = means[torch.randint(2, (768,), generator=g)] + torch.stack([torch.zeros(768), 0.5 * torch.randn(768, generator=g)], 1)
    one = ref.compare(means[1] + 0.5 * torch.randn(768, 2, generator=g))
    assert same["mode_coverage"] == 1.0 and 0.8 < same["spread_ratio"] < 1.25 and same["kl_real_fake"] < 0.3
    assert ref.compare(line)["spread_ratio"] < 0.2  # points on a line: the generalised spread collapses
    assert one["mode_coverage"] == 0.5 and one["kl_real_fake"] > same["kl_real_fake"] + 0.3
    hi = torch.randn(3000, 8, generator=g)
    ref8 = Reference(hi, hi.mean(0, keepdim=True))
    near, far = ref8.compare(torch.randn(768, 8, generator=g)), ref8.compare(torch.randn(768, 8, generator=g) + 2)
    assert "kl_real_fake" not in near and near["mmd"] < far["mmd"]


def test_csv_with_header_loads(tmp_path):
    from ganlint.probe.data import load_file

    (tmp_path / "d.csv").write_text("x,y\n1,2\n3,4\n5,6\n")
    ds = load_file(str(tmp_path / "d.csv"))
    assert tuple(ds.x.shape) == (3, 2) and float(ds.x[2, 1]) == 6.0


def test_pt_file_with_context_action_pairs(tmp_path):
    import torch

    from ganlint.probe.data import load_file

    torch.save({"h": torch.randn(50, 8), "a": torch.randn(50, 4)}, tmp_path / "pairs.pt")
    ds = load_file(str(tmp_path / "pairs.pt"))
    assert ds.x is None and tuple(ds.h.shape) == (50, 8) and tuple(ds.a.shape) == (50, 4)
    h, a = ds.batch(16)
    assert h.shape == (16, 8) and a.shape == (16, 4)
