"""Building the user's networks: inference from class names + settings, entry points, clear failures."""
from __future__ import annotations

import glob

import pytest

from ganlint.probe.builder import build, model_files_in
from ganlint.probe.errors import BuildError
from ganlint.probe.settings import canonical_of, read_settings

from .conftest import FIXTURES, SCENARIOS


@pytest.mark.parametrize("key,canon,role", [
    ("nn_gen", "hidden_sizes", "generator"), ("nn_disc", "hidden_sizes", "critic"), ("gen_hidden", "hidden_sizes", "generator"),
    ("critic_hidden", "hidden_sizes", "critic"), ("z_dim", "latent_dim", None), ("grad_penalty", "gp_weight", None),
    ("omg_vae_alpha", "kl_weight", "vae"), ("vae_lr", "learning_rate", "vae"), ("d_lr", "learning_rate", "critic"),
    ("grad_norm_clip", "grad_clip", None), ("non_linearity", "activation", None), ("energy.temperature", "temperature", "energy"),
])
def test_vocabulary_fallback(key, canon, role):
    assert canonical_of(key) == (canon, role)


def _build(folder, **kw):
    files = sorted(glob.glob(str(folder / "*")))
    ps = read_settings(files)
    return build(model_files_in(files), ps, **kw)


def test_wgan_gp_000_broken_built_from_role_qualified_string_lists():
    import torch.nn as nn

    b = _build(FIXTURES / "wgan_gp_000_broken", data_dim=2)
    assert b.family == "wgan-gp"
    g, d = b.networks["generator"], b.networks["critic"]
    assert [m.out_features for m in g.modules() if isinstance(m, nn.Linear)] == [256, 256, 2]
    assert [m.out_features for m in d.modules() if isinstance(m, nn.Linear)] == [32, 128, 1]
    assert g.model[0].in_features == 3  # z_dim
    assert sum(isinstance(m, nn.Sigmoid) for m in g.modules()) == 2  # non_linearity: Sigmoid by name
    args = b.info["generator"]["args"]
    assert args["hidden_dims"]["value"] == [256, 256] and "nn_gen" in args["hidden_dims"]["from"]
    assert "nn_disc" in b.info["critic"]["args"]["hidden_dims"]["from"]
    assert args["output_dim"]["from"] == "default"


def test_vae_and_energy_built_from_python_and_toml_configs():
    v = _build(FIXTURES / "vae_003_broken")
    assert v.family == "vae" and v.networks["vae"].encoder.mu.out_features == 64
    e = _build(FIXTURES / "energy_004_broken")
    assert e.family == "energy" and e.networks["energy"].body[0].in_features == 8 + 4


def test_unbuildable_names_class_parameter_and_entry():
    with pytest.raises(BuildError) as info:
        _build(SCENARIOS / "unbuildable")
    msg = str(info.value)
    assert "'n_widgets'" in msg and "Generator" in msg and "--entry" in msg and "ganlint_networks" in msg
    assert info.value.file.endswith("model.py") and info.value.line == 4


def test_entry_point_returns_networks_and_data():
    b = _build(SCENARIOS / "entry_point", entry="nets:make", user_dirs=[str(SCENARIOS / "entry_point")])
    assert set(b.networks) == {"generator", "critic"} and b.data.shape == (4000, 2)
    assert b.info["generator"]["built_by"].startswith("entry")
