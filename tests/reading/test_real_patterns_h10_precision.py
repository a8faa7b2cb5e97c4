"""Precision on what GAN repositories keep beside their GAN: a sampling script's optimizer that never steps,
a style-transfer script, evaluation networks trained after the GAN, a WGAN with weight clipping, a
moment-matching network. Each with its near miss.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_WGAN_GP_SAMPLER = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, z_dim, n_out):
        super().__init__()
        self.fc = nn.Linear(z_dim, n_out)
        self.body = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(True), nn.Conv2d(32, 1, 3, padding=1),
                                  nn.Tanh())

    def forward(self, z):
        return self.body(self.fc(z).view(z.size(0), 1, 28, 28))


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 32, 3, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(32 * 14 * 14, 1))

    def forward(self, x):
        return self.net(x)


def gradient_penalty(D, real, fake):
    a = torch.rand(real.size(0), 1, 1, 1)
    x = (a * real + (1 - a) * fake).requires_grad_(True)
    g = torch.autograd.grad(D(x).sum(), x, create_graph=True)[0]
    return ((g.view(g.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
"""

_SAMPLE_SCRIPT = """\
import torch
from models import Generator

netG = Generator(64, 28 * 28)
gen_opt = torch.optim.Adam(netG.parameters(), lr=0.0003)
netG.load_state_dict(torch.load("generator.pth"))
z = torch.randn(64, 64)
with torch.no_grad():
    samples = netG(z)
torch.save(samples, "samples.pt")
"""

_TRAIN_SCRIPT = """\
import torch
from models import Critic, Generator, gradient_penalty

G, D = Generator(64, 28 * 28), Critic()
opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.9))
for real in loader:
    for _ in range(5):
        fake = G(torch.randn(real.size(0), 64)).detach()
        loss_d = D(fake).mean() - D(real).mean() + 10 * gradient_penalty(D, real, fake)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
    loss_g = -D(G(torch.randn(real.size(0), 64))).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
"""


def test_an_optimizer_a_sampling_script_never_uses_sets_no_rate(tmp_path):
    files = {"models.py": _WGAN_GP_SAMPLER, "train.py": _TRAIN_SCRIPT, "sample.py": _SAMPLE_SCRIPT}
    res, found, expected = _check(tmp_path / "sampler", files, {"GL104", "GL112"})
    assert found == expected == set(), found
    assert [o.var for o in res.facts.code.optimizers] == ["opt_g", "opt_d"]
    # near misses: the same optimizer named once more anywhere (stepped, passed on, even restored from a
    # checkpoint) is a training run's, and its Adam defaults and rate are findings
    for use in ("gen_opt.load_state_dict(torch.load('opt.pth'))\n", "scheduler = make_scheduler(gen_opt)\n"):
        used = _SAMPLE_SCRIPT.replace("lr=0.0003)\n", "lr=0.0003)  # expect GL104 GL112\n" + use)
        res, found, expected = _check(tmp_path / f"used{len(use)}", {**files, "sample.py": used}, {"GL104", "GL112"})
        assert len(expected) == 2 and found == expected, (found, expected)
    # an optimizer another file imports by name is used there
    files2 = {**files, "sample.py": _SAMPLE_SCRIPT.replace("lr=0.0003)\n", "lr=0.0003)  # expect GL104 GL112\n"),
              "resume.py": "from sample import gen_opt\n"}
    res, found, expected = _check(tmp_path / "imported", files2, {"GL104", "GL112"})
    assert len(expected) == 2 and found == expected, (found, expected)
