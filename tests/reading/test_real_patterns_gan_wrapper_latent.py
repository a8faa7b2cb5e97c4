"""A one-class GAN (course-homework style: `self.generator = nn.Sequential(...)` beside
`self.discriminator`, `G`/`D` methods) is built with its latent size by keyword at the call,
`GAN1d(data_dim=1, noise_dim=5)`: the small latent is reported on that argument. A wide latent, and a
wrapper whose first stack is the discriminator's (its input is the data, not the noise), stay silent; a
latent setting in another script of the repository does not hide it.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_MODEL = """\
import torch
import torch.nn as nn


class ToyGAN(nn.Module):
    def __init__(self, data_dim, noise_dim, hid_dim=8):
        super().__init__()
        self.noise_dim = noise_dim
{first}
{second}

    def G(self, n):
        return self.generator(torch.rand(n, self.noise_dim) * 2 - 1)

    def D(self, x):
        return self.discriminator(x)
"""

_GEN = """\
        self.generator = nn.Sequential(
            nn.Linear(noise_dim, hid_dim), nn.LeakyReLU(),
            nn.Linear(hid_dim, data_dim))"""

_DISC = """\
        self.discriminator = nn.Sequential(
            nn.Linear(data_dim, hid_dim * 2), nn.LeakyReLU(),
            nn.Linear(hid_dim * 2, 1), nn.Sigmoid())"""

_TRAIN = """\
import torch
from toy_gan import ToyGAN


def train(loader, k=4):
    gan = ToyGAN(data_dim={data}, noise_dim={noise}, hid_dim=16){mark}
    d_opt = torch.optim.Adam(gan.discriminator.parameters(), lr=1e-4, betas=(0.5, 0.9))
    g_opt = torch.optim.Adam(gan.generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
    for batch in loader:
        for _ in range(k):
            d_loss = -torch.mean(gan.D(batch).log() + (1 - gan.D(gan.G(len(batch)).detach())).log())
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
        g_loss = -torch.mean(gan.D(gan.G(len(batch))).log())
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
"""

_OTHER = """\
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--z_dim", type=int, default=64)
args = parser.parse_args()
"""


def _files(noise: int, data: int = 1, mark: str = "", generator_first: bool = True) -> dict[str, str]:
    first, second = (_GEN, _DISC) if generator_first else (_DISC, _GEN)
    return {"toy/toy_gan.py": _MODEL.format(first=first, second=second),
            "toy/train.py": _TRAIN.format(noise=noise, data=data, mark=mark),
            "wgan/main.py": _OTHER}


def test_small_latent_passed_by_keyword_to_a_one_class_gan_is_reported_at_the_call(tmp_path):
    _res, found, expected = _check(tmp_path, _files(5, mark="  # expect GL103"), {"GL103"})
    assert expected and found == expected


def test_wide_latent_of_a_one_class_gan_stays_silent(tmp_path):
    _res, found, _expected = _check(tmp_path, _files(16), {"GL103"})
    assert found == set()


def test_one_class_gan_whose_first_stack_is_the_discriminator_stays_silent(tmp_path):
    # its first layer made reads the 2-D data, not the (wide) noise
    _res, found, _expected = _check(tmp_path, _files(16, data=2, generator_first=False), {"GL103"})
    assert found == set()
