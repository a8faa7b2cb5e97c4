"""Mode flags that pick the standard-GAN branch by default: a store_true `--wass` (default False) chooses
`self.optimizer = torch.optim.RMSprop if wass else torch.optim.Adam` in the networks' __init__ (the script
then calls `generator.optimizer(params, lr=args.lr)`), a loss stored on the discriminator
(`self.criterion = nn.BCELoss()`), and weight clipping written only under `if args.wass:`. The default run
trains a standard GAN with Adam's default betas and a Sigmoid + BCELoss discriminator; a flag whose value
the code does not fix decides nothing (precision first). Each pattern has near misses that stay silent.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_MODELS = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim, wass=True):
        super().__init__()
        self.optimizer = torch.optim.RMSprop if wass else torch.optim.Adam
        self.model = nn.Sequential(nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.model(z)


class Discriminator(nn.Module):
    def __init__(self, wass=True):
        super().__init__()
        self.optimizer = torch.optim.RMSprop if wass else torch.optim.Adam
        self.criterion = nn.BCELoss()
        self.body = nn.Sequential(
            nn.Linear(784, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 1),
            nn.Sigmoid(),  # MARK111
        )

    def forward(self, x):
        return self.body(x)
"""

_TRAIN = """\
import argparse
import torch
from models import Generator, Discriminator


def handle_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latent_dim", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--wass", action="store_true", help="train a WGAN instead")
    parser.add_argument("--ali", action="store_true")
    parser.add_argument("--clip", type=float, default=0.01)
    args = parser.parse_args()
    if args.ali:
        args.wass = True
    OVERRIDE
    return args


def adversarial_loss(discriminator, wass, x, real):
    if wass:
        return -torch.mean(discriminator(x)) if real else torch.mean(discriminator(x))
    labels = torch.ones(x.size(0), 1) if real else torch.zeros(x.size(0), 1)
    return discriminator.criterion(discriminator(x), labels)


def clip_weights(discriminator, c):
    for p in discriminator.parameters():
        p.data.clamp_(-c, c)


if __name__ == "__main__":
    args = handle_args()
    generator = Generator(args.latent_dim, WASS)
    discriminator = Discriminator(args.wass)
    optimizer_g = generator.optimizer(generator.parameters(), lr=args.lr)  # MARK112
    optimizer_d = discriminator.optimizer(discriminator.parameters(), lr=args.lr)  # MARK112
    for epoch in range(args.epochs):
        for real in loader:
            fake = generator(torch.randn(real.size(0), args.latent_dim))
            loss_d = adversarial_loss(discriminator, args.wass, real, True) + \\
                adversarial_loss(discriminator, args.wass, fake.detach(), False)
            optimizer_d.zero_grad()
            loss_d.backward()
            optimizer_d.step()
            if args.wass:
                clip_weights(discriminator, args.clip)
            loss_g = adversarial_loss(discriminator, args.wass, fake, True)
            optimizer_g.zero_grad()
            loss_g.backward()
            optimizer_g.step()
"""


def _project(override: str = "", wass: str = "args.wass", gl112: bool = True, gl111: bool = True) -> dict[str, str]:
    train = _TRAIN.replace("OVERRIDE", override or "pass").replace("WASS", wass).replace(
        "  # MARK112", "  # expect GL112" if gl112 else "")
    models = _MODELS.replace("  # MARK111", "  # expect GL111" if gl111 else "")
    return {"models.py": models, "train.py": train}


def test_the_default_run_trains_adam_with_default_betas_and_a_sigmoid_bce_discriminator(tmp_path):
    _res, found, expected = _check(tmp_path, _project(), {"GL111", "GL112", "GL105"})
    assert len(expected) == 3 and found == expected


def test_a_flag_turned_on_after_parsing_picks_the_wgan_branch(tmp_path):
    # `args.wass = True` in every run: RMSprop, and the clipping runs (a WGAN: no BCE rule, no Adam rule)
    files = _project(override="args.wass = True", gl112=False, gl111=False)
    _res, found, expected = _check(tmp_path, files, {"GL111", "GL112"})
    assert not expected and found == set()


def test_a_flag_the_code_does_not_fix_decides_no_optimizer(tmp_path):
    # the generator's mode comes from an unknown call: which optimizer it stores is not in the code
    files = _project(wass="mode_of(args)")
    files["train.py"] = files["train.py"].replace(
        "optimizer_g = generator.optimizer(generator.parameters(), lr=args.lr)  # expect GL112",
        "optimizer_g = generator.optimizer(generator.parameters(), lr=args.lr)")
    _res, found, expected = _check(tmp_path, files, {"GL112"})
    assert found == expected == {("GL112", "train.py", 38)}  # the discriminator's only


# -- clipping written inline under the flag: the flag's default decides whether the run is a WGAN ---------------
_INLINE = """\
import argparse
import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--nz", type=int, default=64)
parser.add_argument("--clip_value", type=float, default=0.01)
WGAN_FLAG
opt = parser.parse_args()

netG = nn.Sequential(nn.Linear(opt.nz, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())
netD = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
opt_g = torch.optim.RMSprop(netG.parameters(), lr=5e-5)
opt_d = torch.optim.RMSprop(netD.parameters(), lr=5e-5)
for real in loader:
    fake = netG(torch.randn(real.size(0), opt.nz))
    if opt.wgan or opt.debug_wgan:
        loss_d = netD(fake.detach()).mean() - netD(real).mean()
    else:
        loss_d = nn.functional.softplus(netD(fake.detach())).mean() + nn.functional.softplus(-netD(real)).mean()
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()  # MARK
    if opt.wgan or opt.debug_wgan:
        for p in netD.parameters():
            p.data.clamp_(-opt.clip_value, opt.clip_value)
    loss_g = -netD(fake).mean() if opt.wgan else nn.functional.softplus(-netD(fake)).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
"""


def _inline(default_on: bool) -> dict[str, str]:
    flags = ('parser.add_argument("--wgan", type=int, default=1)' if default_on
             else 'parser.add_argument("--wgan", action="store_true")')
    flags += '\nparser.add_argument("--debug_wgan", action="store_true")'
    return {"train.py": _INLINE.replace("WGAN_FLAG", flags).replace("  # MARK", "  # expect GL105" if default_on else "")}


def test_clipping_only_under_flags_that_are_off_by_default_makes_no_wgan(tmp_path):
    res, found, expected = _check(tmp_path, _inline(default_on=False), {"GL105"})
    assert not expected and found == set() and "wgan" not in res.facts.families()


def test_clipping_under_a_flag_that_is_on_by_default_is_a_wgans(tmp_path):
    res, found, expected = _check(tmp_path, _inline(default_on=True), {"GL105"})
    assert "wgan" in res.facts.families() and expected and found == expected


# -- a models file holding an ALI inference network (VAE-like evidence) beside the GAN's players ---------------
_INFERENCE = """

class InferenceNet(nn.Module):
    def __init__(self, z_dim=64):
        super().__init__()
        self.body = nn.Linear(784, 2 * z_dim)

    def forward(self, x):
        mu, logvar = self.body(x).chunk(2, dim=1)
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-10, 10))
"""


def test_a_models_file_with_an_inference_network_still_judges_its_discriminator_as_a_gans(tmp_path):
    files = _project()
    files["models.py"] += _INFERENCE
    _res, found, expected = _check(tmp_path, files, {"GL111", "GL112"})
    assert ("GL111", "models.py", 24) in expected and found == expected


_PIXEL_VAE = """\
import torch
import torch.nn as nn


class MaskedConv2d(nn.Conv2d):
    def forward(self, x):
        return super().forward(x)


class VAE(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.enc = nn.Sequential(MaskedConv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 28 * 28, 2 * z_dim))
        self.dec = nn.Sequential(nn.Linear(z_dim, 784), nn.Sigmoid())

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-10, 10))
        return self.dec(z), mu, logvar
"""

_PIXEL_TRAIN = """\
import torch
import torch.nn.functional as F
from models import VAE

BATCH_SIZE = 32
model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=3e-4)
for x in loader:
    x_rec, mu, logvar = model(x)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    loss = F.binary_cross_entropy(x_rec, x.view(-1, 784), reduction="sum") + kld
    opt.zero_grad()
    loss.backward()
    opt.step()
"""


def test_a_vae_models_file_whose_layer_name_reads_as_a_critic_is_no_gan(tmp_path):
    # `MaskedConv2d` ends in "2d" (a "D"), but nothing in the file generates: no GAN rule judges the project
    res, found, _expected = _check(tmp_path, {"models.py": _PIXEL_VAE, "train.py": _PIXEL_TRAIN}, {"GL106", "GL112"})
    assert found == set() and "gan" not in res.facts.families()
