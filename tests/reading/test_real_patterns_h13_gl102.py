"""H13 GL102 (critic weaker than generator): (1) an InfoGAN whose generator projects z through two Linear
layers (1024 units, then 128*7*7 viewed as 128 channels) before its transposed convs, against a critic of
convs 64/128 then a 1024-unit Linear with a score layer and a separate code head: the mirror, silent; the same
critic at half the widths is weaker.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_INFOGAN_LINEAR = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, noise=62, codes=12):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(noise + codes, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
            nn.Linear(1024, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z, c):
        h = self.fc(torch.cat([z, c], 1)).view(-1, 128, 7, 7)
        return self.deconv(h)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, W1, 4, 2, 1), nn.LeakyReLU(0.1),{mark}
            nn.Conv2d(W1, W2, 4, 2, 1), nn.BatchNorm2d(W2), nn.LeakyReLU(0.1))
        self.fc = nn.Sequential(nn.Linear(W2 * 7 * 7, W3), nn.BatchNorm1d(W3), nn.LeakyReLU(0.1))
        self.score = nn.Sequential(nn.Linear(W3, 1), nn.Sigmoid())

    def forward(self, x):
        f = self.fc(self.conv(x).view(x.size(0), -1))
        return self.score(f), f


class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(W3, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.1), nn.Linear(128, 14))

    def forward(self, f):
        return self.net(f)


G, D, Q = Generator(), Discriminator(), QNet()
"""


def _infogan(w1: int, w2: int, w3: int, mark: str = "") -> str:
    return (_INFOGAN_LINEAR.replace("{mark}", mark).replace("W1", str(w1)).replace("W2", str(w2))
            .replace("W3", str(w3)))


def test_infogan_linear_projection_mirrored_by_conv_then_linear_critic_is_silent(tmp_path):
    _res, found, expected = _check(tmp_path, {"model.py": _infogan(64, 128, 1024)}, {"GL102"})
    assert found == expected == set()


def test_infogan_critic_at_half_the_widths_is_weaker(tmp_path):
    _res, found, expected = _check(tmp_path, {"model.py": _infogan(32, 64, 512, "  # expect GL102")}, {"GL102"})
    assert expected and found == expected
