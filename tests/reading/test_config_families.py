"""Families the settings alone establish (ProjectFacts.settings_families): precise, not hopeful."""
from __future__ import annotations

import pytest

from ganlint.reading.config import read_config_file
from ganlint.reading.facts import ProjectFacts


def families(text: str, name: str = "c.yaml") -> set[str]:
    return ProjectFacts(settings=read_config_file(name, text)).settings_families()


@pytest.mark.parametrize(
    "text,expected",
    [
        ("grad_penalty: 10.0\nn_critic: 5\n", {"wgan-gp"}),
        ("lambda_gp: 0\nlr: 1e-4\n", set()),  # a zero penalty is no penalty
        ("gp: true\n", set()),  # a switch, not a weight
        ("n_critic: 5\nclip_value: 0.01\n", {"wgan"}),
        ("critic_iters: 5\n", {"wgan"}),
        ("d_steps: 1\n", set()),  # standard GANs take discriminator steps too
        ("gan_mode: vanilla\n", {"gan"}),
        ("model:\n  type: wgan-gp\n", {"wgan-gp"}),
        ("loss: vanilla\n", set()),
        ("kl_weight: 0.01\n", {"vae"}),
        ("vae:\n  lr: 1e-3\n", {"vae"}),
        ("beta: 4\nlr: 1e-3\n", set()),
        ("energy:\n  temperature: 0.5\n", {"energy"}),
        ("energy:\n  hidden_dim: 128\n", set()),
        ("temperature: 0.07\n", set()),
        ("lr: 1e-3\nbatch_size: 64\nz_dim: 16\n", set()),
    ],
)
def test_settings_families(text, expected):
    assert families(text) == expected


def test_fixture_configs():
    def fam(path):
        text = open(path).read()
        if path.endswith(".py"):
            import ast

            from ganlint.reading.config import read_python_settings

            return ProjectFacts(settings=read_python_settings(path, ast.parse(text), text)).settings_families()
        return ProjectFacts(settings=read_config_file(path, text)).settings_families()

    assert fam("fixtures/wgan_gp_000_broken/config.yaml") == {"wgan-gp"}
    assert fam("fixtures/gan_002_broken/config.json") == set()  # the code says GAN
    assert fam("fixtures/vae_003_broken/config.py") == {"vae"}
    assert fam("fixtures/energy_004_broken/config.toml") == {"energy"}
