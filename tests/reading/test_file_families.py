"""A repository of separate scripts: each script's settings are judged by the model its own file trains."""
from __future__ import annotations

from ganlint.checking.runner import check_paths

WGAN_GP = """\
import torch
N_CRITIC = 5
LR = 1e-4

def gradient_penalty(critic, real, fake):
    a = torch.rand(real.size(0), 1)
    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)
    g = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
    return ((g.norm(2, dim=1) - 1) ** 2).mean()
"""

LSGAN = """\
import torch
d_steps = 3
lr = 1e-3
G_solver = torch.optim.Adam(G_params, lr=lr)
D_solver = torch.optim.Adam(D_params, lr=lr)
for it in range(1000):
    for _ in range(d_steps):
        D_loss = 0.5 * (torch.mean((D(X) - 1) ** 2) + torch.mean(D(G(z)) ** 2))
        D_loss.backward()
        D_solver.step()
    G_loss = 0.5 * torch.mean((D(G(z)) - 1) ** 2)
    G_loss.backward()
    G_solver.step()
"""


def _findings(tmp_path, files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    res = check_paths([str(tmp_path / n) for n in files])
    assert not res.errors
    return res, {(f.code, f.location.file.rsplit("/", 1)[-1], f.location.line) for f in res.findings}


def test_an_lsgan_script_beside_a_wgan_gp_script_is_judged_as_a_standard_gan(tmp_path):
    res, found = _findings(tmp_path, {"wgan_gp.py": WGAN_GP, "lsgan.py": LSGAN})
    assert res.facts.families() >= {"wgan-gp", "gan"}
    assert res.facts.file_families(str(tmp_path / "lsgan.py")) == {"gan"}
    lsgan = {f for f in found if f[1] == "lsgan.py"}
    assert ("GL113", "lsgan.py", 3) in lsgan  # lr = 1e-3 for a standard GAN (both optimizers use it)
    assert not {c for c, _, _ in lsgan} & {"GL104", "GL105"}  # not the WGAN-GP's learning rate or critic count


def test_a_file_that_shows_nothing_itself_is_judged_by_the_project(tmp_path):
    res, found = _findings(tmp_path, {"wgan_gp.py": WGAN_GP, "config.py": "lr = 1e-3\nbatch_size = 64\n"})
    assert res.facts.file_families(str(tmp_path / "config.py")) == set()
    assert ("GL104", "config.py", 1) in found  # the project is a WGAN-GP
