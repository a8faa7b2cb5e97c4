"""Values a model trains with that are written only as an `__init__` default: a LightningModule's learning rate
saved by `save_hyperparameters()` and read back as `self.hparams.lr`, with the calls that do or do not pass one.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each line
where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_NETS = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim, shape):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x)
"""

_SYSTEM = """\
import torch
import torch.nn.functional as F
import pytorch_lightning as pl

from nets import Discriminator, Generator


class GAN(pl.LightningModule):
    def __init__(
        self,
        channels,
        width,
        height,
        latent_dim: int = 64,
        lr: float = 0.001,  # expect GL113
        b1: float = 0.5,
        b2: float = 0.999,
    ):
        super().__init__()
        self.save_hyperparameters()
        shape = (channels, width, height)
        self.generator = Generator(self.hparams.latent_dim, shape)
        self.discriminator = Discriminator(shape)

    def forward(self, z):
        return self.generator(z)

    def training_step(self, batch, batch_idx, optimizer_idx):
        imgs, _ = batch
        z = torch.randn(imgs.size(0), self.hparams.latent_dim).type_as(imgs)
        ones = torch.ones(imgs.size(0), 1).type_as(imgs)
        if optimizer_idx == 0:
            return F.binary_cross_entropy_with_logits(self.discriminator(self(z)), ones)
        real = F.binary_cross_entropy_with_logits(self.discriminator(imgs), ones)
        fake = F.binary_cross_entropy_with_logits(self.discriminator(self(z).detach()), ones * 0)
        return (real + fake) / 2

    def configure_optimizers(self):
        lr = self.hparams.lr
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(self.hparams.b1, self.hparams.b2))
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(self.hparams.b1, self.hparams.b2))
        return [opt_g, opt_d], []
"""

_MAIN = """\
import pytorch_lightning as pl

from data import MNISTData
from gan import GAN

if __name__ == "__main__":
    dm = MNISTData()
    model = GAN({args})
    pl.Trainer(max_epochs=5).fit(model, dm)
"""


def _project(args: str, system: str = _SYSTEM) -> dict[str, str]:
    return {"nets.py": _NETS, "gan.py": system, "main.py": _MAIN.format(args=args)}


def test_hparams_lr_is_the_init_default_when_a_shape_splat_fills_the_required_parameters(tmp_path):
    _, found, expected = _check(tmp_path, _project("*dm.size()"), {"GL113"})
    assert found == expected and expected, (found, expected)
    # written out, the same three positional arguments
    _, found, expected = _check(tmp_path, _project("1, 28, 28"), {"GL113"})
    assert found == expected and expected, (found, expected)
    # read as self.hparams["lr"]
    subscript = _SYSTEM.replace("lr = self.hparams.lr", 'lr = self.hparams["lr"]')
    _, found, expected = _check(tmp_path, _project("*dm.size()", subscript), {"GL113"})
    assert found == expected and expected, (found, expected)


def test_calls_that_may_pass_the_rate_keep_the_default_silent(tmp_path):
    quiet = _SYSTEM.replace("  # expect GL113", "")
    for args in ("*dm.size(), lr=2e-4",  # the call's own rate (2e-4 is not above 2e-4)
                 "**vars(args)",  # a keyword splat may set lr
                 "1, 28, 28, *extra",  # the written arguments fill the shape: the splat reaches the defaults
                 "1, 28, 28, 64, 2e-4"):  # lr passed by position
        _, found, expected = _check(tmp_path, _project(args, quiet), {"GL113"})
        assert found == expected == set(), (args, found)


def test_the_dcgan_default_is_silent(tmp_path):
    dcgan = _SYSTEM.replace("lr: float = 0.001,  # expect GL113", "lr: float = 0.0002,")
    _, found, expected = _check(tmp_path, _project("*dm.size()", dcgan), {"GL113"})
    assert found == expected == set(), found
