"""A beta-VAE's `--beta`: the KL weight when the project's code computes a KL term (and trains no critic)."""
from __future__ import annotations

from ganlint.checking.runner import check_paths

MAIN = """\
import argparse
parser = argparse.ArgumentParser()
parser.add_argument('--beta', default=4, type=float)
parser.add_argument('--beta1', default=0.9, type=float)
args = parser.parse_args()
"""
SOLVER = """\
import torch

def kl(mu, logvar):
    klds = -0.5 * (1 + logvar - mu.pow(2) - logvar.clamp(-10, 10).exp())
    return klds.sum(1).mean()

class Solver:
    def step(self, x_recon, x, mu, logvar):
        total_kld = kl(mu, logvar)
        self.win_kld = self.viz.line(X=self.iters, Y=total_kld)  # a plot, not a KL schedule
        return x_recon + self.beta * total_kld
"""


def _run(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    res = check_paths([str(tmp_path / n) for n in files])
    assert not res.errors
    return res


def test_beta_of_a_beta_vae_is_its_kl_weight_and_constant(tmp_path):
    res = _run(tmp_path, {"main.py": MAIN, "solver.py": SOLVER})
    canon = {s.key: s.canonical for s in res.facts.settings}
    assert canon["beta"] == "kl_weight" and canon["beta1"] == "beta1"
    assert ("GL202", "main.py", 3) in {(f.code, f.location.file.rsplit("/", 1)[-1], f.location.line) for f in res.findings}


def test_beta_beside_a_critic_stays_unknown(tmp_path):
    gan = "import torch.nn as nn\nclass Discriminator(nn.Module):\n    pass\n"
    res = _run(tmp_path, {"main.py": MAIN, "solver.py": SOLVER, "nets.py": gan})
    assert {s.key: s.canonical for s in res.facts.settings}["beta"] is None
