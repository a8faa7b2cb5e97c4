"""Who a GAN's training step reaches, as public GAN code writes it: a generator frozen for the discriminator
step by switching its parameters' requires_grad off (no .detach() needed), an optimizer over plain latent
tensors (GAN inversion of a frozen generator) or over an auxiliary classifier, which is not a GAN player's,
and a BCE loss object defined in an imported Python config module. Each comes with near misses.

Written in the styles real repositories use (not copied from any); a trailing `# expect GLnnn` marks each
line where that finding must be reported, and for the codes a test names the findings must be exactly the
marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_NETS = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, z_dim=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x)
"""

# -- GL115: the generator's parameters are frozen during the discriminator step ------------------------
# a helper toggles requires_grad of every parameter of the model it is given; the D step's fake is live
# but its graph never reaches G's parameters (frozen before the loop, and again after each G step)
_TOGGLED = """\
import torch
import torch.nn.functional as F
from nets import Discriminator, Generator


def set_trainable(module, trainable=True):
    for param in module.parameters():
        param.requires_grad = trainable


def train(loader, steps, g_every=2):
    netG, netD = Generator(), Discriminator()
    opt_g = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.0, 0.99))
    set_trainable(netG, False)
    set_trainable(netD, True)
    for it, real in zip(range(steps), loader):
        netD.zero_grad()
        fake = netG(torch.randn(real.size(0), 64))
        d_loss = F.relu(1 + netD(fake)).mean() + F.relu(1 - netD(real)).mean()  # expect GL115
        d_loss.backward()
        opt_d.step()
        if it % g_every == 0:
            netG.zero_grad()
            set_trainable(netG, True)
            set_trainable(netD, False)
            g_loss = -netD(netG(torch.randn(real.size(0), 64))).mean()
            g_loss.backward()
            opt_g.step()
            set_trainable(netG, False)
            set_trainable(netD, True)
"""

# a trainer class freezing inline: `for p in G.parameters(): p.requires_grad = False`, and requires_grad_()
_INLINE = """\
import torch
from nets import Discriminator, Generator


class Trainer:
    def __init__(self):
        self.G, self.D = Generator(), Discriminator()
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def step(self, real):
        for p in self.G.parameters():
            p.requires_grad = False
        fake = self.G(torch.randn(real.size(0), 64))
        d_loss = self.D(fake).mean() - self.D(real).mean()  # expect GL115
        self.opt_d.zero_grad()
        d_loss.backward()
        self.opt_d.step()
        for p in self.G.parameters():
            p.requires_grad = True
        g_loss = -self.D(self.G(torch.randn(real.size(0), 64))).mean()
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()

    def step_(self, real):
        self.G.requires_grad_(False)
        fake = self.G(torch.randn(real.size(0), 64))
        d_loss = self.D(fake).mean() - self.D(real).mean()  # expect GL115
        self.opt_d.zero_grad()
        d_loss.backward()
        self.opt_d.step()
        self.G.requires_grad_()
"""


def _frozen_silent(text: str) -> str:
    return text.replace("  # expect GL115", "")


def test_a_generator_frozen_by_requires_grad_for_the_d_step_needs_no_detach(tmp_path):
    for i, (name, text) in enumerate((("train.py", _TOGGLED), ("trainer.py", _INLINE))):
        _, found, _ = _check(tmp_path / f"frozen{i}", {"nets.py": _NETS, name: _frozen_silent(text)}, {"GL115"})
        assert found == set(), (name, found)
    # the same code with the freezing taken out: each undetached fake is reported (the test can fail)
    live = _TOGGLED.replace("    set_trainable(netG, False)\n    set_trainable(netD, True)\n    for", "    for") \
        .replace("            set_trainable(netG, False)\n", "")
    inline = _INLINE.replace("        for p in self.G.parameters():\n            p.requires_grad = False\n", "") \
        .replace("        self.G.requires_grad_(False)\n", "")
    for i, (name, text) in enumerate((("train.py", live), ("trainer.py", inline))):
        _, found, expected = _check(tmp_path / f"live{i}", {"nets.py": _NETS, name: text}, {"GL115"})
        assert found == expected and found, (name, found, expected)


def test_freezing_that_does_not_hold_at_the_generator_call_still_reports(tmp_path):
    near = {
        # the discriminator frozen, not the generator
        "d_frozen": _TOGGLED.replace("    set_trainable(netG, False)\n    set_trainable(netD, True)\n    for",
                                     "    set_trainable(netD, False)\n    for"),
        # the generator unfrozen before the D step's fake is drawn, frozen again only after it
        "late": _TOGGLED.replace("        netD.zero_grad()\n", "        netD.zero_grad()\n        set_trainable(netG, True)\n"),
        # frozen before the loop, but only on one arm of a flag
        "one_arm": _TOGGLED.replace("    set_trainable(netG, False)\n    set_trainable(netD, True)\n    for",
                                    "    if steps > 10:\n        set_trainable(netG, False)\n    for")
        .replace("            set_trainable(netG, False)\n", ""),
        # a G step that unfreezes and `continue`s past the re-freeze
        "continue": _TOGGLED.replace("            opt_g.step()\n", "            opt_g.step()\n            continue\n"),
        # freeze(generator, False) of a helper that does not touch requires_grad
        "other_helper": _TOGGLED.replace("        param.requires_grad = trainable\n", "        param.grad = None\n"),
    }
    for name, text in near.items():
        _, found, expected = _check(tmp_path / name, {"nets.py": _NETS, "train.py": text}, {"GL115"})
        assert found == expected and len(found) == 1, (name, found, expected)
