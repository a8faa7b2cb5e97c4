"""Settings reached by value flow in public training code: optimizer classes chosen by a dict lookup, a
getattr on torch.optim or a helper that builds the optimizer, each with near misses that stay silent.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_NETS = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, nz=128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(nz, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x)
"""

# a trainer module: the class table, a helper building from it, one trainer per player
_TRAINERS = """\
import torch

from penalty import gradient_penalty

OPTIMS = {
    'adam': torch.optim.Adam,
    'rmsprop': torch.optim.RMSprop,
}


def build_optimizer(net, name, lr, **extra):
    if name not in OPTIMS:
        raise ValueError(name)
    return OPTIMS[name](net.parameters(), lr=lr, **extra)


class GenTrainer:
    def __init__(self, generator, optim='adam', lr=1e-4, **optim_kwargs):
        self.generator = generator
        self.opt = build_optimizer(self.generator, optim, lr, **optim_kwargs)


class CriticTrainer:
    def __init__(self, critic, optim='adam', lr=1e-4):
        self.critic = critic
        self.opt = build_optimizer(self.critic, optim, lr)  # expect GL112

    def step(self, real, fake):
        loss = self.critic(fake).mean() - self.critic(real).mean() + 10 * gradient_penalty(self.critic, real, fake)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
"""

_PENALTY = """\
import torch


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1)
    x = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad = torch.autograd.grad(critic(x).sum(), x, create_graph=True)[0]
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()
"""


def test_a_helper_building_adam_from_a_class_table_is_read_at_its_call(tmp_path):
    files = {"models.py": _NETS, "trainers.py": _TRAINERS, "penalty.py": _PENALTY}
    res, found, expected = _check(tmp_path, files, {"GL112"})
    assert found == expected, (found, expected)  # the generator's betas come through **optim_kwargs: unknown
    opt = next(o for o in res.facts.code.optimizers if o.role == "critic")
    assert opt.cls == "Adam" and opt.network_var == "self.critic"


def test_a_helper_whose_key_is_rmsprop_or_unknown_stays_silent(tmp_path):
    trainers = _TRAINERS.replace("optim='adam', lr=1e-4):\n        self.critic", "optim='rmsprop', lr=1e-4):\n        self.critic")
    trainers = trainers.replace("  # expect GL112", "")
    res, found, _ = _check(tmp_path, {"models.py": _NETS, "trainers.py": trainers, "penalty.py": _PENALTY}, {"GL112"})
    assert found == set()
    assert [o.cls for o in res.facts.code.optimizers if o.role == "critic"] == ["RMSprop"]
    unknown = _TRAINERS.replace("optim='adam', lr=1e-4):\n        self.critic", "optim, lr=1e-4):\n        self.critic")
    res, found, _ = _check(tmp_path, {"models.py": _NETS, "trainers.py": unknown.replace("  # expect GL112", ""),
                                      "penalty.py": _PENALTY}, {"GL112"})
    assert found == set() and [o.cls for o in res.facts.code.optimizers if o.role == "critic"] == [""]


def test_the_fix_passes_betas_through_the_helper(tmp_path):
    from ganlint.checking.runner import check_paths

    res, found, expected = _check(tmp_path, {"models.py": _NETS, "trainers.py": _TRAINERS, "penalty.py": _PENALTY}, {"GL112"})
    f = next(f for f in res.findings if f.code == "GL112")
    assert [e.new for e in f.fix.edits] == ["build_optimizer(self.critic, optim, lr, betas=(0.5, 0.9))"], f.fix.edits
    helper = _TRAINERS.replace("lr=lr, **extra)", "lr=lr)").replace("def build_optimizer(net, name, lr, **extra)",
                                                                     "def build_optimizer(net, name, lr)")
    helper = helper.replace(", **optim_kwargs)\n", ")\n")
    (tmp_path / "trainers.py").write_text(helper)
    f = next(f for f in check_paths([str(tmp_path)]).findings if f.code == "GL112" and f.evidence["role"] == "critic")
    assert not f.fix.edits  # the helper takes no betas=: no edit that would break the call


# a training script: the class picked by an argparse flag, or by getattr on torch.optim
_SCRIPT = """\
import argparse
import torch
import torch.nn as nn

from models import Critic, Generator

OPTIMIZER = {'adam': torch.optim.Adam, 'sgd': torch.optim.SGD, 'rms': torch.optim.RMSprop}

parser = argparse.ArgumentParser()
parser.add_argument('--optimizer', type=str, default='adam')
parser.add_argument('--lr', type=float, default=1e-4)
opt = parser.parse_args()

G, D = Generator(), Critic()
optimizer_G = OPTIMIZER[opt.optimizer](G.parameters(), lr=opt.lr, betas=(0.5, 0.9))
optimizer_D = OPTIMIZER[opt.optimizer](D.parameters(), lr=opt.lr)  # expect GL112
"""


def test_a_class_table_indexed_by_a_flag_takes_the_flag_default(tmp_path):
    res, found, expected = _check(tmp_path, {"models.py": _NETS, "train.py": _SCRIPT}, {"GL112"})
    assert found == expected, (found, expected)
    silent = _SCRIPT.replace("default='adam'", "default='rms'").replace("  # expect GL112", "")
    res, found, _ = _check(tmp_path, {"models.py": _NETS, "train.py": silent}, {"GL112"})
    assert found == set() and {o.cls for o in res.facts.code.optimizers} == {"RMSprop"}
    unknown = _SCRIPT.replace("OPTIMIZER[opt.optimizer](D", "OPTIMIZER[os.environ['OPTIM']](D").replace("  # expect GL112", "")
    res, found, _ = _check(tmp_path, {"models.py": _NETS, "train.py": "import os\n" + unknown}, {"GL112"})
    assert found == set()


def test_getattr_on_torch_optim_with_a_known_name(tmp_path):
    script = _SCRIPT.replace("OPTIMIZER[opt.optimizer](D.parameters()", "getattr(torch.optim, 'Adam')(D.parameters()")
    res, found, expected = _check(tmp_path, {"models.py": _NETS, "train.py": script}, {"GL112"})
    assert found == expected, (found, expected)
    # the name a parameter of a helper nobody calls: unknown
    lookup = script.replace("getattr(torch.optim, 'Adam')", "getattr(torch.optim, name)")
    lookup = lookup.replace("optimizer_D = getattr", "def build(name):\n    return getattr").replace("  # expect GL112", "")
    res, found, _ = _check(tmp_path, {"models.py": _NETS, "train.py": lookup}, {"GL112"})
    assert found == set()


# -- a critic loop counted by a trainer attribute read from a settings dict module -------------------
_SETTINGS = """\
# training settings
config = {
    "batch_size": 64,
    "epochs": 100,
    "crit_repeats": 2,  # expect GL105
    "gp_lambda": 10,
    "schedule": {
        "warm": {"crit_repeats": 5},
    },
}
"""

_TRAIN_CLASS = """\
import torch

from penalty import gradient_penalty
from settings import config


class Trainer:
    def __init__(self, generator, critic):
        self.generator, self.critic = generator, critic
        self.crit_repeats = config["crit_repeats"]
        self.gp_lambda = config["gp_lambda"]
        self.scaler = torch.cuda.amp.GradScaler()
        self.optimizer_c = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.0, 0.9))
        self.optimizer_g = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.0, 0.9))

    def _critic_update(self, real):
        fake = self.generator(torch.randn(real.size(0), 128)).detach()
        loss = self.critic(fake).mean() - self.critic(real).mean()
        loss = loss + self.gp_lambda * gradient_penalty(self.critic, real, fake)
        self.optimizer_c.zero_grad()
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer_c)
        self.scaler.update()

    def fit(self, loader):
        for real in loader:
            for _ in range(self.crit_repeats):
                self._critic_update(real)
            loss_g = -self.critic(self.generator(torch.randn(real.size(0), 128))).mean()
            self.optimizer_g.zero_grad()
            loss_g.backward()
            self.optimizer_g.step()
"""


def test_a_critic_loop_count_follows_the_attribute_to_the_settings_dict(tmp_path):
    files = {"models.py": _NETS, "penalty.py": _PENALTY, "settings.py": _SETTINGS, "trainer.py": _TRAIN_CLASS}
    _, found, expected = _check(tmp_path, files, {"GL105"})
    assert found == expected and expected, (found, expected)  # the top-level entry, not the nested one


def test_critic_loop_near_misses_stay_silent(tmp_path):
    base = {"models.py": _NETS, "penalty.py": _PENALTY}
    five = _SETTINGS.replace('"crit_repeats": 2,  # expect GL105', '"crit_repeats": 5,')
    _, found, _ = _check(tmp_path, {**base, "settings.py": five, "trainer.py": _TRAIN_CLASS}, {"GL105"})
    assert found == set()
    quiet = _SETTINGS.replace("  # expect GL105", "")
    # the attribute set to two different values: the count is not known
    twice = _TRAIN_CLASS.replace("    def fit(self, loader):\n", "    def warm_up(self):\n        self.crit_repeats = 1\n\n"
                                 "    def fit(self, loader):\n")
    _, found, _ = _check(tmp_path, {**base, "settings.py": quiet, "trainer.py": twice}, {"GL105"})
    assert found == set()
    # the loop's helper steps the generator: not a critic loop
    gen = _TRAIN_CLASS.replace("self.scaler.step(self.optimizer_c)", "self.scaler.step(self.optimizer_g)")
    _, found, _ = _check(tmp_path, {**base, "settings.py": quiet, "trainer.py": gen}, {"GL105"})
    assert found == set()


# -- PyTorch Lightning: automatic optimization toggles the optimizers, manual optimization does not --
_LIGHTNING_NETS = _NETS.replace("class Critic", "class Discriminator")

_MANUAL = """\
import torch
import torch.nn.functional as F
import pytorch_lightning as pl

from models import Discriminator, Generator


class GAN(pl.LightningModule):
    def __init__(self, latent_dim=128, lr=2e-4):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.generator = Generator(latent_dim)
        self.discriminator = Discriminator()

    def forward(self, z):
        return self.generator(z)

    def training_step(self, batch, batch_idx):
        imgs, _ = batch
        opt_g, opt_d = self.optimizers()
        z = torch.randn(imgs.size(0), self.hparams.latent_dim).type_as(imgs)
        ones, zeros = torch.ones(imgs.size(0), 1).type_as(imgs), torch.zeros(imgs.size(0), 1).type_as(imgs)

        g_loss = F.binary_cross_entropy_with_logits(self.discriminator(self(z)), ones)
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()

        real_loss = F.binary_cross_entropy_with_logits(self.discriminator(imgs), ones)
        fake_loss = F.binary_cross_entropy_with_logits(self.discriminator(self(z)), zeros)  # expect GL115
        d_loss = (real_loss + fake_loss) / 2
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()

    def configure_optimizers(self):
        lr = self.hparams.lr
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
        return [opt_g, opt_d]
"""

_AUTOMATIC = """\
import torch
import torch.nn.functional as F
import pytorch_lightning as pl

from models import Discriminator, Generator


class GAN(pl.LightningModule):
    def __init__(self, latent_dim=128, lr=2e-4):
        super().__init__()
        self.generator = Generator(latent_dim)
        self.discriminator = Discriminator()

    def forward(self, z):
        return self.generator(z)

    def training_step(self, batch, batch_idx, optimizer_idx):
        imgs, _ = batch
        z = torch.randn(imgs.size(0), 128).type_as(imgs)
        if optimizer_idx == 0:
            return F.binary_cross_entropy_with_logits(self.discriminator(self(z)), torch.ones(imgs.size(0), 1))
        if optimizer_idx == 1:
            real_loss = F.binary_cross_entropy_with_logits(self.discriminator(imgs), torch.ones(imgs.size(0), 1))
            d_fake = self.discriminator(self(z))
            fake_loss = F.binary_cross_entropy_with_logits(d_fake, torch.zeros(imgs.size(0), 1))
            d_loss = (real_loss + fake_loss) / 2
            return d_loss

    def configure_optimizers(self):
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        return [opt_g, opt_d], []
"""


def test_manual_optimization_follows_self_call_to_the_generator(tmp_path):
    _, found, expected = _check(tmp_path, {"models.py": _LIGHTNING_NETS, "gan.py": _MANUAL}, {"GL115"})
    assert found == expected and expected, (found, expected)
    direct = _MANUAL.replace("self.discriminator(self(z)), zeros", "self.discriminator(self.generator(z)), zeros")
    _, found, expected = _check(tmp_path, {"models.py": _LIGHTNING_NETS, "gan.py": direct}, {"GL115"})
    assert found == expected and expected, (found, expected)


def test_manual_optimization_near_misses_stay_silent(tmp_path):
    quiet = _MANUAL.replace("  # expect GL115", "")
    detached = quiet.replace("self.discriminator(self(z)), zeros", "self.discriminator(self(z).detach()), zeros")
    toggled = quiet.replace("        real_loss = F.binary", "        self.toggle_optimizer(opt_d)\n        real_loss = F.binary")
    for text in (detached, toggled):
        _, found, _ = _check(tmp_path, {"models.py": _LIGHTNING_NETS, "gan.py": text}, {"GL115"})
        assert found == set()


def test_automatic_optimization_with_two_optimizers_toggles_them(tmp_path):
    for text in (_AUTOMATIC, _AUTOMATIC.replace("self.discriminator(self(z))\n", "self.discriminator(self.generator(z))\n")):
        _, found, _ = _check(tmp_path, {"models.py": _LIGHTNING_NETS, "gan.py": text}, {"GL115"})
        assert found == set()
    # the same step outside a LightningModule: a plain class, nothing toggles
    plain = _AUTOMATIC.replace("class GAN(pl.LightningModule):", "class GAN(torch.nn.Module):")
    plain = plain.replace("            d_fake = self.discriminator(self(z))\n", "            d_fake = self.discriminator(self(z))  # expect GL115\n")
    _, found, expected = _check(tmp_path, {"models.py": _LIGHTNING_NETS, "gan.py": plain}, {"GL115"})
    assert found == expected and expected, (found, expected)


def test_a_class_table_indexed_by_a_name_bound_to_a_flag(tmp_path):
    script = _SCRIPT.replace("optimizer_D = OPTIMIZER[opt.optimizer](D", "choice = opt.optimizer\noptimizer_D = OPTIMIZER[choice](D")
    _, found, expected = _check(tmp_path, {"models.py": _NETS, "train.py": script}, {"GL112"})
    assert found == expected and expected, (found, expected)
