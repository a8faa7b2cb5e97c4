"""GL102 (critic weaker than generator) with the sizes passed at a call site in another file (constants and
argparse defaults of the training script; a shape test in the model file is not how it trains). Each
pattern has near misses that must stay silent. Written in those styles, not copied from any repository.

A trailing `# expect GL102` marks each line where the finding must be reported; the findings must be
exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)


# -- sizes given at a call site in the training script ----------------------------------------------
# the critic's blocks come from a helper method returning nn.Sequential; the generator starts at 16x its
# base width (a DCGAN that is not a mirror: 1024-512-256-128 against 64-128-256-512 at base 64)
_MODELS = """\
import torch
import torch.nn as nn


class Discriminator(nn.Module):
    def __init__(self, img_channels, feat_d):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(img_channels, feat_d, 4, 2, 1),  # MARK_D
            nn.LeakyReLU(0.2),
            self._down(feat_d, feat_d * 2),
            self._down(feat_d * 2, feat_d * 4),
            self._down(feat_d * 4, feat_d * 8),
            nn.Conv2d(feat_d * 8, 1, 4, 2, 0),
        )

    def _down(self, c_in, c_out):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), nn.LeakyReLU(0.2))

    def forward(self, x):
        return self.body(x)


class Generator(nn.Module):
    def __init__(self, noise_dim, img_channels, feat_g):
        super().__init__()
        self.body = nn.Sequential(
            self._up(noise_dim, feat_g * TOP, 4, 1, 0),
            self._up(feat_g * TOP, feat_g * TOP // 2, 4, 2, 1),
            self._up(feat_g * TOP // 2, feat_g * TOP // 4, 4, 2, 1),
            self._up(feat_g * TOP // 4, feat_g * TOP // 8, 4, 2, 1),
            nn.ConvTranspose2d(feat_g * TOP // 8, img_channels, 4, 2, 1),
            nn.Tanh(),
        )

    def _up(self, c_in, c_out, k, s, p):
        return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, k, s, p, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())

    def forward(self, z):
        return self.body(z)


def test():
    x = torch.randn(2, 3, 64, 64)
    assert Discriminator(3, 8)(x).shape == (2, 1, 1, 1)
    gen = Generator(100, 3, 8)
    assert gen(torch.randn(2, 100, 1, 1)).shape == (2, 3, 64, 64)
"""

_TRAIN = """\
import torch
import torch.nn as nn
from models import Discriminator, Generator

NOISE = 100
IMG_CHANNELS = 1
FEATURES_D = FD
FEATURES_G = 64

gen = Generator(NOISE, IMG_CHANNELS, FEATURES_G)
disc = Discriminator(IMG_CHANNELS, FEATURES_D)
opt_g = torch.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
criterion = nn.BCEWithLogitsLoss()
"""

_TRAIN_ARGPARSE = """\
import argparse
import torch
import torch.nn as nn
from models import Discriminator, Generator

parser = argparse.ArgumentParser()
parser.add_argument("--nz", type=int, default=100)
parser.add_argument("--channels", type=int, default=3)
parser.add_argument("--features_d", type=int, default=32)
parser.add_argument("--features_g", type=int, default=32)
opt = parser.parse_args()


def main():
    generator = Generator(opt.nz, img_channels=opt.channels, feat_g=opt.features_g)
    discriminator = Discriminator(img_channels=opt.channels, feat_d=opt.features_d)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4)
    criterion = nn.BCEWithLogitsLoss()


if __name__ == "__main__":
    main()
"""


def _models(top: int, mark: bool) -> str:
    return _MODELS.replace("TOP", str(top)).replace("  # MARK_D", "  # expect GL102" if mark else "")


def test_call_site_sizes_in_the_training_script_reach_the_model_file(tmp_path):
    # D 64-128-256-512 against G 1024-512-256-128, sizes only in train.py; model.py's shape test builds
    # both with 8 channels, which is not how the project trains them
    files = {"models.py": _models(16, True), "train.py": _TRAIN.replace("FD", "64")}
    res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert f.evidence["critic"][:4] == [64, 128, 256, 512]
    assert f.evidence["generator"][:4] == [1024, 512, 256, 128]


def test_argparse_defaults_passed_by_keyword_in_main(tmp_path):
    files = {"models.py": _models(16, True), "train.py": _TRAIN_ARGPARSE}
    res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert f.evidence["critic"][:4] == [32, 64, 128, 256]


def test_the_model_file_alone_says_nothing_about_sizes(tmp_path):
    # near miss: without the training script only the shape test's toy sizes are known
    _res, found, expected = _check(tmp_path, {"models.py": _models(16, False)}, {"GL102"})
    assert found == expected == set()


def test_a_mirrored_dcgan_built_at_a_call_site_stays_silent(tmp_path):
    # near miss: G 512-256-128-64 against D 64-128-256-512 (equal widths, mirrored)
    files = {"models.py": _models(8, False), "train.py": _TRAIN.replace("FD", "64")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected == set()


def test_a_wider_critic_passed_at_the_call_site_stays_silent(tmp_path):
    # near miss: FEATURES_D = 256 gives D 256-512-1024-2048 against G 1024-512-256-128
    files = {"models.py": _models(16, False), "train.py": _TRAIN.replace("FD", "256")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected == set()


def test_call_sites_that_disagree_leave_the_sizes_unknown(tmp_path):
    # near miss: two scripts build the critic with different widths; which one trains is not in the code
    files = {"models.py": _models(16, False), "train_small.py": _TRAIN.replace("FD", "16"),
             "train_large.py": _TRAIN.replace("FD", "256")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected == set()


# -- the same bare call in two scripts (training and a critic pretraining script) -----------------------
_DEFAULT_NETS = """\
import torch.nn as nn


class Critic(nn.Module):
    def __init__(self, n_in=784, h1=C1, h2=256):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(n_in, h1), nn.LeakyReLU(0.2),  # MARK
                               nn.Linear(h1, h2), nn.LeakyReLU(0.2), nn.Linear(h2, 1))

    def forward(self, x):
        return self.f(x.flatten(1))


class Generator(nn.Module):
    def __init__(self, n_out=784, h=(128, 256, 512, 1024), nz=100):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(nz, h[0]), nn.ReLU(), nn.Linear(h[0], h[1]), nn.ReLU(),
                               nn.Linear(h[1], h[2]), nn.ReLU(), nn.Linear(h[2], h[3]), nn.ReLU(),
                               nn.Linear(h[3], n_out), nn.Tanh())

    def forward(self, z):
        return self.f(z)
"""
_MAIN = "from nets import Critic, Generator\n\nD = Critic()\nG = Generator()\n"
_PRETRAIN = "from nets import Generator\n\n\ndef pretrain(D):\n    helper_g = Generator()\n    return helper_g\n"


def test_two_bare_calls_build_one_shape(tmp_path):
    # critic 784-512-256-1 (533.5k) against 100-128-256-512-1024-784 (1.51M), built by main.py and again,
    # with no arguments, by the pretraining script
    nets = _DEFAULT_NETS.replace("C1", "512").replace("  # MARK", "  # expect GL102")
    _res, found, expected = _check(tmp_path, {"nets.py": nets, "main.py": _MAIN, "pretrain.py": _PRETRAIN},
                                   {"GL102"})
    assert found == expected and len(found) == 1


def test_a_bare_default_critic_as_wide_stays_silent(tmp_path):
    # near miss: h1 = 2048 gives the critic 2.27M parameters against the generator's 1.51M
    nets = _DEFAULT_NETS.replace("C1", "2048").replace("  # MARK", "")
    _res, found, expected = _check(tmp_path, {"nets.py": nets, "main.py": _MAIN, "pretrain.py": _PRETRAIN},
                                   {"GL102"})
    assert found == expected == set()
