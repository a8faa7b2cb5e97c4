"""Patterns of public training code whose evidence sits one step away from the fact a rule needs, each
with near misses that must stay silent:

- a LightningModule-style system handed the networks it trains (`GAN(cfg, netG, netD)`): its losses are
  the networks' losses;
- a KL term known by its arguments only (`prior_loss = prior_fn(mu, logvar)`, the function picked from a
  config list) weighted by a config value with a generic name (`alpha`);
- a zero-centred (R1) gradient penalty of a standard GAN: per-sample, like WGAN-GP's;
- a Langevin step written through intermediate variables (`g = grad(...); step = lr * g + noise;
  x = x + step`) in a sampler of its own file.

Written in the styles real repositories use, not copied from any. `# expect GLnnn` marks each line where
that finding must be reported; for the codes a test names, the findings must be exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)


# -- GL111: a system module handed the discriminator trains it with its BCE ---------------------------
_NETS = """\
import torch.nn as nn


class Flatten(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.width = width

    def forward(self, x):
        return x.view(-1, self.width)


class Generator(nn.Module):
    def __init__(self, nz=100, nf=64):
        super().__init__()
        self.nz, self.nf = nz, nf
        self.main = self.make_layers()

    def make_layers(self):
        return nn.Sequential(
            nn.ConvTranspose2d(self.nz, self.nf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(self.nf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(self.nf * 2, 3, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, nf=64):
        super().__init__()
        self.nf = nf
        self.main = self.make_layers()

    def make_layers(self):
        return nn.Sequential(
            self.down(3, self.nf),
            self.down(self.nf, self.nf * 2),
            self.head(),
        )

    def head(self):
        block = nn.Sequential(
            Flatten(self.nf * 2 * 2 * 2),
            nn.Linear(self.nf * 2 * 2 * 2, 1),
            nn.Sigmoid(),  # expect GL111
        )
        return block

    def down(self, c_in, c_out):
        block = nn.Sequential(
            nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.LeakyReLU(0.2, inplace=True),
        )
        return block

    def forward(self, x):
        return self.main(x)
"""

_SYSTEM = """\
import torch
import torch.nn.functional as F
import pytorch_lightning as pl


class GAN(pl.LightningModule):
    def __init__(self, generator, discriminator, lr=2e-4):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.lr = lr

    def configure_optimizers(self):
        g = torch.optim.Adam(self.generator.parameters(), lr=self.lr, betas=(0.5, 0.999))
        d = torch.optim.Adam(self.discriminator.parameters(), lr=self.lr, betas=(0.5, 0.999))
        return [g, d], []

    def gan_loss(self, pred, target):
        return F.binary_cross_entropy(pred, target)

    def training_step(self, batch, batch_idx, optimizer_idx):
        real, _ = batch
        z = torch.randn(real.size(0), 100, 1, 1, device=self.device)
        ones = torch.ones(real.size(0), 1, device=self.device)
        if optimizer_idx == 0:
            return self.gan_loss(self.discriminator(self.generator(z)), ones)
        fake = self.generator(z).detach()
        return (self.gan_loss(self.discriminator(real), ones)
                + self.gan_loss(self.discriminator(fake), torch.zeros_like(ones))) / 2
"""

_TRAIN = """\
import pytorch_lightning as pl

from net import Discriminator, Generator
from system import GAN


def main():
    netG = Generator(nz=100)
    netD = Discriminator(nf=64)
    model = GAN(netG, netD, lr=2e-4)
    pl.Trainer(max_epochs=5).fit(model)


if __name__ == "__main__":
    main()
"""


def test_a_system_module_built_with_the_discriminator_trains_it_with_its_bce(tmp_path):
    res, found, expected = _check(tmp_path, {"net.py": _NETS, "system.py": _SYSTEM, "train.py": _TRAIN}, {"GL111"})
    assert found == expected and len(found) == 1
    f = next(f for f in res.findings if f.code == "GL111")
    assert [r.file.rsplit("/", 1)[-1] for r in f.related] == ["system.py"]  # the BCE is the system's


def test_a_system_built_around_inline_constructions_trains_them_too(tmp_path):
    # GAN(Generator(nz=cfg["nz"]), Discriminator(nf=cfg["nf"])): the networks are built inside the call
    train = _TRAIN.replace("def main():", "def main(cfg):").replace(
        "    netG = Generator(nz=100)\n    netD = Discriminator(nf=64)\n    model = GAN(netG, netD, lr=2e-4)\n",
        '    model = GAN(Generator(nz=cfg["nz"]), Discriminator(nf=cfg["nf"]), lr=2e-4)\n').replace("main()\n", "main({})\n")
    _, found, expected = _check(tmp_path, {"net.py": _NETS, "system.py": _SYSTEM, "train.py": train}, {"GL111"})
    assert found == expected and len(found) == 1


def test_a_least_squares_system_handed_the_same_discriminator_stays_silent(tmp_path):
    # near miss: the Sigmoid head is the same, the system trains it with MSE (LSGAN): no BCE, no GL111
    system = _SYSTEM.replace("F.binary_cross_entropy(pred, target)", "F.mse_loss(pred, target)")
    _, found, _ = _check(tmp_path, {"net.py": _NETS, "system.py": system, "train.py": _TRAIN}, {"GL111"})
    assert found == set()


_CLASSIFIER = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import pytorch_lightning as pl


class AttributeClassifier(pl.LightningModule):
    def __init__(self, n_attrs=40):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, n_attrs), nn.Sigmoid())

    def training_step(self, batch, batch_idx):
        x, y = batch
        return F.binary_cross_entropy(self.net(x), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)
"""


def test_a_bce_module_built_beside_the_discriminator_but_not_with_it_does_not_train_it(tmp_path):
    # near miss: an attribute classifier with its own BCE is built in the same function, but the
    # discriminator is handed only to the least-squares system
    system = _SYSTEM.replace("F.binary_cross_entropy(pred, target)", "F.mse_loss(pred, target)")
    train = _TRAIN.replace("from system import GAN\n", "from system import GAN\nfrom classifier import AttributeClassifier\n") \
        .replace("    model = GAN(", "    probe = AttributeClassifier(n_attrs=40)\n    model = GAN(")
    files = {"net.py": _NETS, "system.py": system, "classifier.py": _CLASSIFIER, "train.py": train}
    _, found, _ = _check(tmp_path, files, {"GL111"})
    assert found == set()


# -- GL202: a generic config key weighting a KL loss known by its arguments ---------------------------
_VAE_CONFIG = """\
train:
  batch_size: 128
  losses:
    - bce
    - kl
  lr: 0.0005
  alpha: 0.5  # expect GL202
model:
  latent: 16
  alpha: 0.2
"""

_VAE_UTILS = """\
import torch
import torch.nn as nn


def kl_to_prior(mu, log_var):
    return torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - torch.exp(log_var), dim=1))


def build_losses(names):
    table = {"bce": nn.BCELoss(reduction="mean"), "mse": nn.MSELoss(), "kl": kl_to_prior}
    return [table[n] for n in names]
"""

_VAE_MODEL = """\
import torch
import torch.nn as nn


class VAE(nn.Module):
    def __init__(self, latent=16, slope=0.2):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(slope))
        self.mu = nn.Linear(256, latent)
        self.log_var = nn.Linear(256, latent)
        self.dec = nn.Sequential(nn.Linear(latent, 256), nn.LeakyReLU(slope), nn.Linear(256, 784), nn.Sigmoid())

    def encode(self, x):
        h = self.enc(x)
        return self.mu(h), self.log_var(h)

    def sample(self, mu, log_var):
        return mu + torch.randn_like(mu) * torch.exp(0.5 * log_var)

    def decode(self, z):
        return self.dec(z)
"""

_VAE_TRAIN = """\
import torch
import yaml

from model import VAE
from utils import build_losses


def train(cfg, loader):
    train_cfg = cfg["train"]
    alpha = train_cfg["alpha"]
    model = VAE(latent=cfg["model"]["latent"], slope=cfg["model"]["alpha"])
    recon_fn, prior_fn = build_losses(train_cfg["losses"])
    opt = torch.optim.Adam(model.parameters(), lr=train_cfg["lr"])
    for step, (x, _) in enumerate(loader):
        mu, log_var = model.encode(x)
        z = model.sample(mu, log_var)
        recon_loss = recon_fn(model.decode(z), x)
        prior_loss = prior_fn(mu, log_var)
        loss = recon_loss + alpha * prior_loss
        opt.zero_grad()
        loss.backward()
        opt.step()


if __name__ == "__main__":
    with open("config.yaml") as f:
        train(yaml.safe_load(f), [])
"""


def _vae(train: str = _VAE_TRAIN, config: str = _VAE_CONFIG) -> dict[str, str]:
    return {"config.yaml": config, "utils.py": _VAE_UTILS, "model.py": _VAE_MODEL, "train.py": train}


def test_a_config_alpha_multiplying_a_loss_of_mu_and_log_var_is_a_constant_kl_weight(tmp_path):
    res, found, expected = _check(tmp_path, _vae(), {"GL202"})
    assert found == expected and len(found) == 1
    assert [t.src for t in res.facts.code.kl_terms if t.location.file.endswith("train.py")] == ["prior_loss"]


def test_the_same_alpha_ramped_by_the_step_stays_silent(tmp_path):
    # near miss: the same link, annealed
    train = _VAE_TRAIN.replace("        loss = recon_loss + alpha * prior_loss\n",
                               "        w = min(alpha, step / 2000)\n        loss = recon_loss + w * prior_loss\n")
    _, found, _ = _check(tmp_path, _vae(train), {"GL202"})
    assert found == set()


def test_an_alpha_that_is_a_leaky_relu_slope_or_a_mixup_weight_is_no_kl_weight(tmp_path):
    # near misses: `alpha` feeds the LeakyReLU slope and a mixup draw; the KL loss is added unweighted
    train = _VAE_TRAIN.replace("        loss = recon_loss + alpha * prior_loss\n",
                               "        lam = float(np.random.beta(alpha, alpha))\n"
                               "        x = lam * x + (1 - lam) * x.flip(0)\n"
                               "        loss = recon_loss + prior_loss\n").replace("import torch\n", "import numpy as np\nimport torch\n", 1)
    config = _VAE_CONFIG.replace("  # expect GL202", "")
    _, found, _ = _check(tmp_path, _vae(train, config), {"GL202"})
    assert found == set()


def test_a_sampler_or_a_whole_elbo_of_mu_and_log_var_is_not_the_kl_term(tmp_path):
    # near misses: `z = model.sample(mu, log_var)` is a sampler (no loss in its names) and the
    # four-argument ELBO mixes reconstruction into what alpha weighs
    train = _VAE_TRAIN.replace("        prior_loss = prior_fn(mu, log_var)\n        loss = recon_loss + alpha * prior_loss\n",
                               "        elbo = elbo_loss(model.decode(z), x, mu, log_var)\n"
                               "        loss = alpha * elbo + (1 - alpha) * recon_loss\n")
    train = train.replace("from utils import build_losses\n", "from utils import build_losses, elbo_loss\n")
    utils = _VAE_UTILS + ("\n\ndef elbo_loss(recon, x, mu, log_var):\n"
                          "    return nn.functional.mse_loss(recon, x) + kl_to_prior(mu, log_var)\n")
    files = {**_vae(train, _VAE_CONFIG.replace("  # expect GL202", "")), "utils.py": utils}
    res, found, _ = _check(tmp_path, files, {"GL202"})
    assert found == set()
    assert not [t for t in res.facts.code.kl_terms if t.location.file.endswith("train.py")]


# -- GL109: a zero-centred penalty on real images of a BatchNorm discriminator ------------------------
_BN_D = """\
import torch.nn as nn


class Discriminator(nn.Module):
    def __init__(self, nc=3, ndf=64):
        super().__init__()

        def stage(c_in, c_out):
            return nn.Sequential(
                nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),  # expect GL109
                nn.LeakyReLU(0.2, inplace=True),
            )

        self.model = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            *stage(ndf, ndf * 2),
            *stage(ndf * 2, ndf * 4),
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.model(x)
"""

_G = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, nz=100, ngf=64):
        super().__init__()
        self.model = nn.Sequential(nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
                                   nn.ConvTranspose2d(ngf * 4, 3, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.model(z)
"""

_R1 = """\
from torch import autograd


def real_grad_penalty(x_real, d_real):
    g = autograd.grad(outputs=d_real.sum(), inputs=x_real, create_graph=True, retain_graph=True)[0]
    return 0.5 * g.pow(2).view(g.size(0), -1).sum(1).mean()
"""

_R1_TRAIN = """\
import torch
import torch.nn.functional as F

from models.discriminator import Discriminator
from models.generator import Generator
from models.penalties import real_grad_penalty

netG, netD = Generator(), Discriminator()
opt_g = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))

for real in loader:
    z = torch.randn(real.size(0), 100, 1, 1)
    fake = netG(z)
    real.requires_grad_()
    d_real = netD(real).view(-1)
    d_fake = netD(fake.detach()).view(-1)
    err_d = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
             + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
             + 10 * real_grad_penalty(real, d_real))
    opt_d.zero_grad()
    err_d.backward()
    opt_d.step()
    d_gen = netD(fake).view(-1)
    err_g = F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))
    opt_g.zero_grad()
    err_g.backward()
    opt_g.step()
"""

_BROKEN = "import torch\nfrom import comet_ml\n"  # one unparsable file of the repository


def _r1(d: str = _BN_D, train: str = _R1_TRAIN, penalty: str = _R1) -> dict[str, str]:
    return {"models/__init__.py": "", "models/discriminator.py": d, "models/generator.py": _G,
            "models/penalties.py": penalty, "callbacks/histogram.py": _BROKEN, "train_r1.py": train}


def test_a_zero_centred_penalty_on_real_images_of_a_batchnorm_discriminator_is_per_sample(tmp_path):
    res, found, expected = _check(tmp_path, _r1(), {"GL109"}, errors=1)
    assert found == expected and len(found) == 1
    assert "histogram.py" in str(res.errors[0])  # the unparsable file is named, the rest is checked


def test_the_same_penalty_on_a_discriminator_without_batchnorm_stays_silent(tmp_path):
    d = _BN_D.replace("nn.BatchNorm2d(c_out),  # expect GL109", "nn.InstanceNorm2d(c_out, affine=True),")
    _, found, _ = _check(tmp_path, _r1(d), {"GL109"}, errors=1)
    assert found == set()


_SALIENCY = """\
from torch import autograd


def input_saliency(x_real, d_real):
    g = autograd.grad(outputs=d_real.sum(), inputs=x_real)[0]
    return g.abs().amax(dim=1)
"""


def test_an_input_gradient_taken_for_a_saliency_map_is_no_penalty(tmp_path):
    # near miss: the same BatchNorm discriminator, autograd.grad w.r.t. the real images for a picture
    train = _R1_TRAIN.replace("real_grad_penalty", "input_saliency").replace(
        "\n             + 10 * input_saliency(real, d_real))", ")\n    heat = input_saliency(real, d_real)")
    d = _BN_D.replace("  # expect GL109", "")
    _, found, _ = _check(tmp_path, _r1(d, train, _SALIENCY), {"GL109"}, errors=1)
    assert found == set()


# -- GL304: contrastive divergence with a Langevin sampler written in steps ---------------------------
_EBM_NETS = """\
import torch.nn as nn


class MLPNet(nn.Module):
    def __init__(self, in_dim=2, hidden=(128, 128)):
        super().__init__()
        layers, d = [], in_dim
        for h in hidden:
            layers += [nn.Linear(d, h), nn.SiLU()]
            d = h
        layers.append(nn.Linear(d, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x).squeeze(-1)
"""

_SAMPLER = """\
import math

import torch
import torch.autograd as autograd


def langevin_chain(x, model, step_size, n_steps):
    noise_std = math.sqrt(2 * step_size)
    x = x.clone().requires_grad_(True)
    for _ in range(n_steps):
        e = model(x)
        g = autograd.grad(e.sum(), x)[0]
        move = -step_size * g + noise_std * torch.randn_like(x)
        x = x + move
    return x.detach()
"""

_CD_TRAIN = """\
import argparse

import torch
from torch.optim import Adam

from nets import MLPNet
from sampler import langevin_chain

parser = argparse.ArgumentParser()
parser.add_argument('--lr', type=float, default=1e-3)
parser.add_argument('--step_size', type=float, default=0.05)
parser.add_argument('--n_steps', type=int, default=60)
parser.add_argument('--reg', type=float, default=0.1)
args = parser.parse_args()

net = MLPNet()
optimizer = Adam(net.parameters(), lr=args.lr)  # expect GL304

for epoch in range(50):
    for pos in torch.randn(100, 64, 2):
        neg = langevin_chain(torch.randn_like(pos), net, args.step_size, args.n_steps)
        e_pos, e_neg = net(pos), net(neg)
        loss = (e_pos - e_neg).mean() + args.reg * (e_pos ** 2 + e_neg ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


def _cd(train: str = _CD_TRAIN, sampler: str = _SAMPLER) -> dict[str, str]:
    return {"nets.py": _EBM_NETS, "sampler.py": sampler, "train_cd.py": train}


def test_contrastive_divergence_with_a_stepwise_langevin_sampler_is_an_energy_model(tmp_path):
    res, found, expected = _check(tmp_path, _cd(), {"GL304"})
    assert found == expected and len(found) == 1
    assert [m.location.file.rsplit("/", 1)[-1] for m in res.facts.code.langevin] == ["sampler.py"]


def test_the_same_training_with_a_warm_up_scheduler_stays_silent(tmp_path):
    train = _CD_TRAIN.replace("  # expect GL304", "\nwarmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 1000))") \
        .replace("        optimizer.step()\n", "        optimizer.step()\n        warmup.step()\n")
    _, found, _ = _check(tmp_path, _cd(train), {"GL304"})
    assert found == set()


def test_input_gradient_ascent_without_noise_is_no_sampler(tmp_path):
    # near miss: the same steps with no noise (feature visualisation): not Langevin, no energy model
    sampler = _SAMPLER.replace(" + noise_std * torch.randn_like(x)", "").replace("import torch\n", "")
    train = _CD_TRAIN.replace("  # expect GL304", "")
    res, found, _ = _check(tmp_path, _cd(train, sampler), {"GL304"})
    assert found == set()
    assert res.facts.code.langevin == []


_PGD = """\
import torch
import torch.nn.functional as F


def pgd_attack(model, x, y, eps=8 / 255, alpha=2 / 255, steps=7):
    x_adv = x + eps * (2 * torch.rand_like(x) - 1)
    for _ in range(steps):
        x_adv = x_adv.detach().requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        g = torch.autograd.grad(loss, x_adv)[0]
        step = alpha * g.sign()
        x_adv = x_adv + step
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps)
    return x_adv.detach()
"""


def test_a_random_start_attack_stepping_along_the_gradient_sign_is_no_sampler(tmp_path):
    # near miss: PGD with a random start moves its input along sign(grad) through an intermediate step
    files = {**_cd(_CD_TRAIN.replace("  # expect GL304", "")), "sampler.py": _PGD}
    res, found, _ = _check(tmp_path, files, {"GL304"})
    assert found == set()
    assert res.facts.code.langevin == []
