"""GL102 (critic weaker than generator) where the networks are built inside a training system (a
LightningModule's __init__ with its own defaults) or live in files of their own named by data set; each
pattern has near misses that must stay silent. Written in those styles, not copied from any repository.

A trailing `# expect GL102` marks each line where the finding must be reported; the findings must be
exactly the marked lines. The static counts are checked against torch's own.
"""
from __future__ import annotations

import pytest
from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

# -- an MLP pair: nested `layer()` helpers spliced with *layer(...), sizes from the system's defaults ----
_MLP_NETS = """\
import numpy as np
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim, img_shape):
        super().__init__()
        self.img_shape = img_shape

        def layer(n_in, n_out, bn=True):
            out = [nn.Linear(n_in, n_out)]
            if bn:
                out.append(nn.BatchNorm1d(n_out))
            out.append(nn.LeakyReLU(0.2))
            return out

        self.net = nn.Sequential(
            *layer(latent_dim, 256, bn=False),
            *layer(256, 512),
            *layer(512, 1024),
            nn.Linear(1024, int(np.prod(img_shape))),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z).view(z.size(0), *self.img_shape)


class Discriminator(nn.Module):
    def __init__(self, img_shape):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(int(np.prod(img_shape)), D1),  # MARK
            nn.LeakyReLU(0.2),
            nn.Linear(D1, D2),
            nn.LeakyReLU(0.2),
            nn.Linear(D2, 1),
        )

    def forward(self, x):
        return self.net(x.flatten(1))
"""

_SYSTEM = """

import torch
import pytorch_lightning as pl


class GANSystem(pl.LightningModule):
    def __init__(self, latent_dim: int = 64, lr: float = 2e-4, **kwargs):
        super().__init__()
        self.save_hyperparameters()
        self.latent_dim = latent_dim
        self.lr = lr
        shape = (1, SIDE, SIDE)
        self.generator = Generator(latent_dim=self.latent_dim, img_shape=shape)
        self.discriminator = Discriminator(img_shape=shape)
        self.fixed_z = torch.randn(16, self.latent_dim)

    def forward(self, z):
        return self.generator(z)

    def configure_optimizers(self):
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=self.lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=self.lr, betas=(0.5, 0.999))
        return [opt_g, opt_d], []
"""


def _system(side: int) -> str:
    return _SYSTEM.replace("SIDE", str(side))


def _mlp(d1: int, d2: int, mark: bool) -> str:
    nets = _MLP_NETS.replace("D1", str(d1)).replace("D2", str(d2))
    return nets.replace("  # MARK", "  # expect GL102" if mark else "")


def test_a_lightning_system_builds_an_mlp_pair_with_its_own_defaults(tmp_path):
    # D 784-256-128-1 (0.23M) against G 64-256-512-1024-784 (1.48M): sizes only in the system's __init__
    res, found, expected = _check(tmp_path, {"gan.py": _mlp(256, 128, True) + _system(28)}, {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert (f.evidence["critic_params"], f.evidence["generator_params"]) == (233985, 1480208)


def test_the_mlp_counts_are_torchs():
    torch = pytest.importorskip("torch")
    scope: dict = {}
    exec(compile(_mlp(256, 128, False), "gan.py", "exec"), scope)  # our own fixture, without the system
    g, d = scope["Generator"](64, (1, 28, 28)), scope["Discriminator"]((1, 28, 28))
    assert sum(p.numel() for p in g.parameters()) == 1480208
    assert sum(p.numel() for p in d.parameters()) == 233985
    assert d(g(torch.randn(2, 64))).shape == (2, 1)


def test_a_balanced_mlp_pair_in_the_same_system_stays_silent(tmp_path):
    # near miss: D 1024-1024 hidden (1.85M) against G 256-512-1024 hidden (1.48M) at another depth
    _res, found, expected = _check(tmp_path, {"gan.py": _mlp(1024, 1024, False) + _system(28)}, {"GL102"})
    assert found == expected == set()


def test_networks_without_a_system_or_call_stay_unknown(tmp_path):
    # near miss: the same classes with nothing that builds them: img_shape is unknown, nothing is compared
    _res, found, expected = _check(tmp_path, {"gan.py": _mlp(256, 128, False)}, {"GL102"})
    assert found == expected == set()


_SYSTEM_OTHER_FILE = """\
import torch
import lightning as L

from models import Discriminator, Generator


class Adversarial(L.LightningModule):
    def __init__(self, z_size: int = 64, **kwargs):
        super().__init__()
        self.z_size = z_size
        self._build_networks((1, 28, 28))

    def _build_networks(self, shape):
        self.gen = Generator(self.z_size, shape)
        self.disc = Discriminator(shape)
"""


def test_a_system_in_its_own_file_builds_the_model_files_classes_in_a_helper(tmp_path):
    files = {"models.py": _mlp(256, 128, True), "system.py": _SYSTEM_OTHER_FILE}
    res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert (f.evidence["critic_params"], f.evidence["generator_params"]) == (233985, 1480208)


# -- a conv pair: sizes from img_shape arithmetic, a nested down() helper returning a list ---------------
_CONV_NETS = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim, img_shape):
        super().__init__()
        self.side = img_shape[1] // 4
        self.fc = nn.Sequential(nn.Linear(latent_dim, 128 * self.side ** 2))
        self.up = nn.Sequential(
            nn.BatchNorm2d(128),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 128, 3, stride=1, padding=1),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(128, 64, 3, stride=1, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.Conv2d(64, img_shape[0], 3, stride=1, padding=1),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.up(self.fc(z).view(z.size(0), 128, self.side, self.side))


class Discriminator(nn.Module):
    def __init__(self, img_shape):
        super().__init__()

        def down(c_in, c_out, bn=True):
            out = [nn.Conv2d(c_in, c_out, 3, 2, 1), nn.LeakyReLU(0.2), nn.Dropout2d(0.25)]  # MARK
            if bn:
                out.append(nn.BatchNorm2d(c_out))
            return out

        self.body = nn.Sequential(
            *down(img_shape[0], CH, bn=False),
            *down(CH, CH * 2),
            *down(CH * 2, CH * 4),
            *down(CH * 4, CH * 8),
        )
        side = img_shape[1] // 2 ** 4
        self.head = nn.Sequential(nn.Linear(CH * 8 * side ** 2, 1))

    def forward(self, x):
        return self.head(self.body(x).flatten(1))
"""


def _conv(c: int, mark: bool) -> str:
    # the finding names the critic's first layer, written in the helper
    return _CONV_NETS.replace("CH", str(c)).replace("  # MARK", "  # expect GL102" if mark else "")


def test_a_lightning_system_builds_a_conv_pair_sized_by_img_shape(tmp_path):
    # D 16-32-64-128 (98k) against G Linear(64, 8192) + convs 128-64 (0.76M), 32x32 images
    res, found, expected = _check(tmp_path, {"dcgan.py": _conv(16, True) + _system(32)}, {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert (f.evidence["critic_params"], f.evidence["generator_params"]) == (98113, 755073)


def test_the_conv_counts_are_torchs():
    torch = pytest.importorskip("torch")
    scope: dict = {}
    exec(compile(_conv(16, False), "dcgan.py", "exec"), scope)
    g, d = scope["Generator"](64, (1, 32, 32)), scope["Discriminator"]((1, 32, 32))
    assert sum(p.numel() for p in g.parameters()) == 755073
    assert sum(p.numel() for p in d.parameters()) == 98113
    assert d(g(torch.randn(2, 64))).shape == (2, 1)


def test_a_wider_conv_critic_in_the_same_system_stays_silent(tmp_path):
    # near miss: the template at 64 base channels, D 64-128-256-512 (1.55M) against the same G (0.76M)
    _res, found, expected = _check(tmp_path, {"dcgan.py": _conv(64, False) + _system(32)}, {"GL102"})
    assert found == expected == set()


# -- one file per data set and role: mnist_critic.py / mnist_generator.py ---------------------------------
_GEN_FILE = """\
import torch.nn as nn


class NAMEGenerator(nn.Module):
    def __init__(self, noise_dim):
        super().__init__()
        self.base = 64
        self.fc = nn.Linear(noise_dim, 4 * 4 * 4 * self.base)
        self.up = nn.Sequential(
            nn.ConvTranspose2d(4 * self.base, 2 * self.base, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(2 * self.base, self.base, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(self.base, 1, 4, 2, 1), nn.Sigmoid())

    def forward(self, z):
        return self.up(self.fc(z).view(-1, 4 * self.base, 4, 4))
"""

_CRITIC_FILE = """\
import torch.nn as nn


class NAMECritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.base = BASE
        self.body = nn.Sequential(
            nn.Conv2d(1, self.base, 4, 2, 1), nn.LeakyReLU(0.2),  # MARK
            nn.Conv2d(self.base, 2 * self.base, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * self.base, 4 * self.base, 4, 2, 1), nn.LeakyReLU(0.2))
        self.fc = nn.Linear(4 * 4 * 4 * self.base, 1)

    def forward(self, x):
        return self.fc(self.body(x).flatten(1))
"""


def _variant_files(name: str, base: int, mark: bool) -> dict[str, str]:
    critic = _CRITIC_FILE.replace("BASE", str(base)).replace("  # MARK", "  # expect GL102" if mark else "")
    return {f"models/{name.lower()}_generator.py": _GEN_FILE.replace("NAME", name),
            f"models/{name.lower()}_critic.py": critic.replace("NAME", name)}


def test_a_critic_pairs_with_its_data_sets_generator_in_another_file(tmp_path):
    # MNIST critic at base 32 (0.17M) against the MNIST generator, noise_dim unknown: at least its 0.66M at
    # noise_dim = 1 (1.18M at 128); the SVHN pair at base 128 (2.63M) has the stronger critic, stays silent
    files = {**_variant_files("MNIST", 32, True), **_variant_files("SVHN", 128, False)}
    res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert "MNISTGenerator" in f.message and f.evidence["critic_params"] == 166625
    assert f.evidence["generator_params"] is None and f.evidence["generator_params_at_least"] == 664769


def test_the_variant_counts_are_torchs():
    torch = pytest.importorskip("torch")
    files = _variant_files("MNIST", 32, False)
    scope: dict = {}
    for text in files.values():
        exec(compile(text, "variant.py", "exec"), scope)
    g, d = scope["MNISTGenerator"](1), scope["MNISTCritic"]()
    assert sum(p.numel() for p in d.parameters()) == 166625
    assert sum(p.numel() for p in g.parameters()) == 664769  # the fewest it can have
    assert d(g(torch.randn(2, 1))).shape == (2, 1)


def test_a_plain_critic_does_not_pair_with_generators_of_other_files(tmp_path):
    # near miss: a plain `Critic` beside two data-set generators elsewhere: which one it faces is unknown
    files = _variant_files("MNIST", 32, False)
    files.update(_variant_files("SVHN", 32, False))
    files["models/critic.py"] = _CRITIC_FILE.replace("NAMECritic", "Critic").replace("BASE", "16")
    del files["models/mnist_critic.py"], files["models/svhn_critic.py"]
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected == set()
