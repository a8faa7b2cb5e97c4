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


# -- GL104/GL112/GL113: the optimizer of a GAN inversion searches latent tensors, not a player's weights -------
_WGAN_TRAIN = """\
import argparse

import torch
import torch.nn.functional as F
from nets import Discriminator, Generator

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=1e-4)
args = parser.parse_args()
G, D = Generator(), Discriminator()
opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.0, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.0, 0.9))


def critic_step(real):
    fake = G(torch.randn(real.size(0), 64)).detach()
    eps = torch.rand(real.size(0), 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad = torch.autograd.grad(D(mixed).sum(), mixed, create_graph=True)[0]
    penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
    d_loss = D(fake).mean() - D(real).mean() + 10 * penalty
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
"""

_BCE_STEP = """

def d_step(real):
    fake = G(torch.randn(real.size(0), 64)).detach()
    logits_real, logits_fake = D(real), D(fake)
    d_loss = F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real)) + \\
        F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
"""

# project an image into the trained generator's latent space: only the codes are optimised
_INVERT = """\
import argparse

import torch
from nets import Generator

parser = argparse.ArgumentParser(description="find the latent code of an image")
parser.add_argument("--lr", type=float, default=0.05)  # expect GL104 GL113
parser.add_argument("--iters", type=int, default=500)
args = parser.parse_args()

G = Generator()
G.load_state_dict(torch.load("generator.pt"))
G.eval()
target = torch.load("target.pt")
code = torch.zeros(1, 64, requires_grad=True)
offsets = [torch.zeros(1, 64, requires_grad=True) for _ in range(2)]
search = torch.optim.Adam([code] + offsets, lr=args.lr)  # expect GL112
for it in range(args.iters):
    loss = ((G(code + sum(offsets)) - target) ** 2).mean()
    search.zero_grad()
    loss.backward()
    search.step()
"""


def test_an_optimizer_over_latent_tensors_is_not_a_gan_players(tmp_path):
    silent = _INVERT.replace("  # expect GL104 GL113", "").replace("  # expect GL112", "")
    _, found, _ = _check(tmp_path / "inv", {"nets.py": _NETS, "train.py": _WGAN_TRAIN, "invert.py": silent},
                         {"GL104", "GL112", "GL113"})
    assert found == set(), found
    # the codes held by an object (`[state.code]`) are tensors too; a list of weights (`[W1, b1]`) is not
    held = silent.replace("[code] + offsets", "[state.code]").replace("G.eval()\n", "G.eval()\nstate = State()\n")
    _, found, _ = _check(tmp_path / "held", {"nets.py": _NETS, "train.py": _WGAN_TRAIN, "invert.py": held}, {"GL112"})
    assert found == set(), found
    weights = silent.replace("[code] + offsets", "[W1, b1]")
    _, found, _ = _check(tmp_path / "w", {"nets.py": _NETS, "train.py": _WGAN_TRAIN, "invert.py": weights}, {"GL112"})
    assert found == {("GL112", "invert.py", 17)}, found
    # near miss: the same script fine-tuning the generator's own parameters is a WGAN-GP player's optimizer
    tune = _INVERT.replace("  # expect GL104 GL113", "  # expect GL104").replace("[code] + offsets", "G.parameters()")
    _, found, expected = _check(tmp_path / "tune", {"nets.py": _NETS, "train.py": _WGAN_TRAIN, "invert.py": tune},
                                {"GL104", "GL112", "GL113"})
    assert found == expected == {("GL104", "invert.py", 7), ("GL112", "invert.py", 17)}, found
    # a standard GAN (no penalty): the inversion's rate is not GL113's either, a player's is
    bce = _WGAN_TRAIN.split("\n\ndef ")[0].replace("(0.0, 0.9)", "(0.5, 0.999)") + _BCE_STEP
    _, found, _ = _check(tmp_path / "gan", {"nets.py": _NETS, "train.py": bce, "invert.py": silent}, {"GL113", "GL112"})
    assert found == set(), found
    weights = _INVERT.replace("  # expect GL104 GL113", "  # expect GL113").replace("[code] + offsets", "list(G.parameters())")
    _, found, expected = _check(tmp_path / "gan_tune", {"nets.py": _NETS, "train.py": bce, "invert.py": weights},
                                {"GL113", "GL112"})
    assert found == expected == {("GL113", "invert.py", 7), ("GL112", "invert.py", 17)}, found


# -- GL112: an auxiliary classifier's optimizer beside G's and D's -------------------------------------------
_AUX = """\
import torch
import torch.nn as nn
from nets import Discriminator, Generator


class Classifier(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, n_classes))

    def forward(self, x):
        return self.net(x)


def build(lr=1e-4):
    gen, critic, classifier = Generator(), Discriminator(), Classifier()
    gen_opt = torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.5, 0.9))
    critic_opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.9))
    classifier_opt = torch.optim.Adam(classifier.parameters(), lr=lr)
    return gen_opt, critic_opt, classifier_opt
"""


def test_an_auxiliary_classifiers_adam_is_not_a_gan_players(tmp_path):
    _, found, _ = _check(tmp_path / "aux", {"nets.py": _NETS, "train.py": _AUX}, {"GL112"})
    assert found == set(), found
    near = {
        # the classifier trained together with the generator (an InfoGAN-style joint step): G's optimizer
        "joint": _AUX.replace("torch.optim.Adam(classifier.parameters(), lr=lr)",
                              "torch.optim.Adam(list(gen.parameters()) + list(classifier.parameters()), lr=lr)"),
        # the critic's own optimizer without betas
        "critic": _AUX.replace("critic.parameters(), lr=lr, betas=(0.5, 0.9))", "critic.parameters(), lr=lr)"),
        # no optimizer for the critic in the file: nothing says the classifier is not the other player
        "alone": _AUX.replace("    critic_opt = torch.optim.Adam(critic.parameters(), lr=lr, betas=(0.5, 0.9))\n", ""),
    }
    lines = {"joint": 19, "critic": 18, "alone": 18}
    for name, text in near.items():
        _, found, _ = _check(tmp_path / name, {"nets.py": _NETS, "train.py": text}, {"GL112"})
        assert found == {("GL112", "train.py", lines[name])}, (name, found)


# -- GL111: a Sequential ending in Sigmoid, its output flattened by torch.flatten, a BCELoss from a config module --
_DCGAN_MODELS = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.ConvTranspose2d(100, 64, 4, 1, 0), nn.ReLU(True),
                                  nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 1, 4, 1, 0),
            nn.Sigmoid(),  # expect GL111
        )

    def forward(self, x):
        out = self.main(x)
        out = torch.flatten(out, 1)
        return out
"""

# everything is built when the settings module is imported; the loop script only star-imports it
_SETTINGS = """\
import torch
import torch.nn as nn
import torch.optim as optim

from models import Discriminator, Generator

device = torch.device("cpu")
epochs = 20
netD = Discriminator().to(device)
netG = Generator().to(device)
adversarial_loss = nn.BCELoss().to(device)
optD = optim.Adam(netD.parameters(), 0.0002, (0.5, 0.999))
optG = optim.Adam(netG.parameters(), 0.0002, (0.5, 0.999))
"""

_LOOP = """\
import torch
from settings import *


def run(loader):
    for real in loader:
        ones = torch.ones(real.size(0), 1)
        zeros = torch.zeros(real.size(0), 1)
        netD.zero_grad()
        fake = netG(torch.randn(real.size(0), 100, 1, 1))
        loss_d = adversarial_loss(netD(real), ones) + adversarial_loss(netD(fake.detach()), zeros)
        loss_d.backward()
        optD.step()
        netG.zero_grad()
        loss_g = adversarial_loss(netD(fake), ones)
        loss_g.backward()
        optG.step()
"""


def test_a_flattened_sigmoid_stack_with_a_bce_loss_from_a_settings_module_is_reported(tmp_path):
    files = {"models.py": _DCGAN_MODELS, "settings.py": _SETTINGS, "train.py": _LOOP}
    res, found, expected = _check(tmp_path / "star", files, {"GL111"})
    assert found == expected == {("GL111", "models.py", 22)}, found
    f = next(f for f in res.findings if f.code == "GL111")
    assert [(r.file.rsplit("/", 1)[-1], r.line) for r in f.related] == [("settings.py", 11)]
    # `import settings as cfg` then cfg.adversarial_loss(...): the same loss object
    dotted = _LOOP.replace("from settings import *", "import settings as cfg").replace("adversarial_loss(", "cfg.adversarial_loss(")
    _, found, expected = _check(tmp_path / "dotted", {**files, "train.py": dotted}, {"GL111"})
    assert found == expected and found, found
    # near misses: the settings build BCEWithLogitsLoss; the flattened stack ends in a linear score
    near = {
        "logits": {**files, "settings.py": _SETTINGS.replace("nn.BCELoss()", "nn.BCEWithLogitsLoss()")},
        "linear": {**files, "models.py": _DCGAN_MODELS.replace("            nn.Sigmoid(),  # expect GL111\n", "")},
    }
    for name, project in near.items():
        project = {k: v.replace("  # expect GL111", "") for k, v in project.items()}
        _, found, _ = _check(tmp_path / name, project, {"GL111"})
        assert found == set(), (name, found)
