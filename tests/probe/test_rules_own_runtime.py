"""Runtime rules own their measurement: options shape the instruments; the probe trains with the user's loss
shape and stays silent where a finding could be its own artefact; GL004 leaves scaled images alone."""
import shutil

import numpy as np
import pytest

from ganlint.probe import Probe, run_probe
from ganlint.probe.loss_shape import reconstruction_reduction

from .conftest import SCENARIOS


def _saturation_loop(rule_options):
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 16), nn.Sigmoid(), nn.Linear(16, 2))
    with Probe({"generator": G}, "vae", rule_options=rule_options, schedule={"activations": 5}) as probe:
        for step in range(20):
            probe.on_train_batch_start(step)
            out = G(torch.randn(32, 2) * 4.0)
            probe.on_train_batch_end(step, {"loss": out.pow(2).mean()})
    return probe


def test_the_saturation_threshold_changes_the_measurement_not_only_the_message():
    default, low = _saturation_loop(None), _saturation_loop({"GL501": {"preact_threshold": 1.0}})
    a = [v for _, v in default.series["sat/generator/1"]]
    b = [v for _, v in low.series["sat/generator/1"]]
    assert len(a) == len(b) >= 3 and all(y > x for x, y in zip(a, b))  # more pre-activations beyond ±1 than ±5
    assert "GL501" in low.report.codes and "GL501" not in default.report.codes
    f = next(f for f in low.report.findings if f.code == "GL501")
    assert f.evidence["threshold"] == 1.0 and f.evidence["module_path"] == "1" and f.evidence["layer_index"] == 1
    assert f.evidence["network_class"] == "Sequential" and f.evidence["activation"] == "Sigmoid"


@pytest.mark.parametrize("text,shape", [
    ("loss = F.mse_loss(recon, x, reduction='sum')", "sum"),
    ("bce = F.binary_cross_entropy(x_hat, x, size_average=False) / n", "sum"),
    ("rec = ((recon - x) ** 2).sum(dim=1).mean()", "sum"),
    ("recons_loss = F.mse_loss(recons, batch)", "mean"),
    ("l = nn.MSELoss()(out, x)", "mean"),
    ("loss = model(x).mean()", None),
    ("a = F.mse_loss(r, x, reduction='sum')\nb = F.mse_loss(r, x)", None),  # both: the code does not say
])
def test_reconstruction_reduction_read_from_the_code(text, shape):
    assert reconstruction_reduction({"m.py": text}) == shape


def _vae(tmp_path, mode):
    d = tmp_path / mode
    shutil.copytree(SCENARIOS / "vae_summed", d)
    text = (d / "model.py").read_text()
    text = {"sum": text, "mean": text.replace("reduction='sum'", "reduction='mean'"),
            "unknown": text[: text.index("def loss_function")]}[mode]
    (d / "model.py").write_text(text)
    return run_probe([str(d)], steps=400, write_report=False, threads=1)


def test_posterior_collapse_judged_with_the_users_loss_shape(tmp_path):
    summed = _vae(tmp_path, "sum")  # KL weight 1 against a summed reconstruction: a working VAE
    assert summed.settings["recon_reduction"]["value"] == "sum"
    assert "GL522" not in summed.codes and summed.metrics["active_units_final"] > 0.5
    mean = _vae(tmp_path, "mean")  # the same weight against a per-element mean: the posterior collapses
    assert "GL522" in mean.codes and mean.metrics["active_units_final"] < 0.5
    unknown = _vae(tmp_path, "unknown")  # the code does not say: the collapse may be the recipe's own
    assert "GL522" not in unknown.codes and any("GL522" in n for n in unknown.notes)


def test_runtime_gl004_leaves_scaled_images_alone():
    from ganlint.checking.registry import rule_by_code

    rule = rule_by_code("GL004")
    rng = np.random.default_rng(0)
    images = np.zeros((500, 28, 28))
    images[:, 4:24, 4:24] = rng.random((500, 20, 20))  # [0, 1] with an empty (constant) border
    assert rule.data_finding(images.reshape(500, -1), rule.options) is None
    assert rule.data_finding(2 * images.reshape(500, -1) - 1, rule.options) is None  # [-1, 1]
    raw = rule.data_finding(255 * images.reshape(500, -1), rule.options)  # uint8 range, never scaled
    assert raw is not None and raw[1]["median_std"] > 10
    shifted = rule.data_finding(rng.normal(50.0, 1.0, (500, 2)), rule.options)
    assert shifted is not None and shifted[1]["max_abs_mean"] > 40
    assert rule.data_finding(rng.normal(0.0, 1.0, (500, 2)), rule.options) is None
