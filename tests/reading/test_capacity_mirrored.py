"""GL102 on the reference DCGAN / WGAN-GP shape: the generator projects z with a Linear layer reshaped (by a
small user module such as `Reshape`) into its first transposed conv, the critic mirrors its channels and scores
with a Linear head. Only the projection makes the generator's count larger, so mirrored channels are balanced;
a critic with fewer channels than the mirror is weaker. Written in the module-level script style, not copied
from any repository. `# expect GL102` marks the line where the finding must be reported.
"""
from __future__ import annotations

import ast

import pytest
from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

from ganlint.reading.code import read_code

_SCRIPT = """\
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--nz", type=int, default=100)
parser.add_argument("--lr", type=float, default=1e-4)
opt = parser.parse_args()


class Reshape(nn.Module):
    def __init__(self, *shape):
        super().__init__()
        self.shape = shape
    REGISTERS
    def forward(self, x):
        return x.view(x.size(0), *self.shape)


class Generator(nn.Module):
    def __init__(self, nz, ngf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(nz, ngf * 8 * 4 * 4), nn.BatchNorm1d(ngf * 8 * 4 * 4), nn.ReLU(True),
            Reshape(ngf * 8, 4, 4),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, ndf=NDF):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True),  # MARK
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Flatten(),
            nn.Linear(ndf * 8 * 4 * 4, 1))

    def forward(self, x):
        return self.main(x)


netG = Generator(opt.nz)
netD = Discriminator()
optG = torch.optim.Adam(netG.parameters(), lr=opt.lr, betas=(0.0, 0.9))
optD = torch.optim.Adam(netD.parameters(), lr=opt.lr, betas=(0.0, 0.9))
for step in range(1000):
    real = torch.randn(64, 3, 64, 64)
    for _ in range(5):
        z = torch.randn(64, opt.nz)
        fake = netG(z).detach()
        alpha = torch.rand(64, 1, 1, 1)
        mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        grad = torch.autograd.grad(netD(mix).sum(), mix, create_graph=True)[0]
        gp = ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
        loss_d = netD(fake).mean() - netD(real).mean() + 10 * gp
        optD.zero_grad()
        loss_d.backward()
        optD.step()
    loss_g = -netD(netG(torch.randn(64, opt.nz))).mean()
    optG.zero_grad()
    loss_g.backward()
    optG.step()
"""


def _script(ndf: int, mark: bool, registers: str = "") -> str:
    text = _SCRIPT.replace("NDF", str(ndf)).replace("    REGISTERS\n", registers)
    return text.replace("  # MARK", "  # expect GL102" if mark else "")


def test_a_mirrored_critic_with_a_linear_head_is_balanced(tmp_path):
    # near miss: D 64-128-256-512 mirrors G's 512-256-128-64; G has ~3.6M parameters against D's ~2.8M only
    # through its Linear(100, 8192) projection
    _res, found, expected = _check(tmp_path, {"train.py": _script(64, False)}, {"GL102"})
    assert found == expected == set()


def test_a_critic_with_fewer_channels_than_the_mirror_is_weaker(tmp_path):
    res, found, expected = _check(tmp_path, {"train.py": _script(32, True)}, {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert "[32, 64, 128, 256]" in f.message and "[512, 256, 128, 64]" in f.message


def _networks(text: str) -> dict:
    facts = read_code("train.py", ast.parse(text), text)
    return {n.name: n for n in facts.networks}


def test_a_module_that_only_stores_a_shape_is_a_step_not_a_layer():
    nets = _networks(_script(64, False))
    assert nets["Generator"].layer_widths == [8192, 256, 128, 64, 3]
    assert nets["Discriminator"].layer_kinds == ["Conv2d"] * 4 + ["Linear"]


@pytest.mark.parametrize("registers", [
    "    def reset(self):\n        self.register_parameter('scale', None)\n\n",
    "    gain = nn.Parameter(torch.ones(1))\n\n",
])
def test_a_module_that_may_hold_weights_leaves_the_widths_unknown(registers):
    # a module registering parameters is not known to be weightless: the generator's widths stay unknown
    nets = _networks(_script(64, False, registers))
    assert nets["Generator"].layer_widths is None


def test_the_counts_are_torchs():
    torch = pytest.importorskip("torch")
    scope: dict = {}
    text = _script(64, False).split("parser = ")[0] + _script(64, False).split("opt = parser.parse_args()\n")[1]
    text = text.split("netG = ")[0]
    exec(compile(text, "train.py", "exec"), scope)
    g, d = scope["Generator"](100), scope["Discriminator"]()
    assert sum(p.numel() for p in scope["Reshape"](1).parameters()) == 0
    ng, nd = (sum(p.numel() for p in m.parameters()) for m in (g, d))
    assert nd < ng and ng - nd < 100 * 8192 + 4 * 8192  # the gap is no more than the projection and its norm
    assert d(g(torch.randn(2, 100))).shape == (2, 1)
