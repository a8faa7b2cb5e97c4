"""Course-homework repositories import torch only through a shared helper (`from utils import *`, where
utils.py does `import torch`): the training script itself never names the import. Its discriminator step is
still PyTorch's (`.backward()`), so an undetached fake is reported; a TensorFlow script (no `.backward()`,
`minimize(var_list=...)`) stays silent as before.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_UTILS = """\
import numpy as np
import torch
import torch.nn as nn
"""

_MODELS = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, z_dim=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 1))

    def forward(self, x):
        return self.net(x)
"""

_TRAIN = """\
import sys
import os
sys.path.append(os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

from utils import *
from models import Generator, Critic


def train(train_loader, z_dim=64, n_critic=5):
    G = Generator(z_dim=z_dim)
    D = Critic()
    d_optimizer = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.0, 0.9))
    g_optimizer = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.9))
    for i, batch in enumerate(train_loader):
        z = torch.randn(batch.size(0), z_dim)
        gen_samples = G(z)
        d_gen = D({fake}){mark}
        d_real = D(batch)
        d_loss = -(d_real.mean() - d_gen.mean())
        d_optimizer.zero_grad()
        d_loss.backward()
        d_optimizer.step()
        if i % n_critic == 0:
            z = torch.randn(batch.size(0), z_dim)
            g_loss = -torch.mean(D(G(z)))
            g_optimizer.zero_grad()
            g_loss.backward()
            g_optimizer.step()
"""

_TF_TRAIN = """\
from utils import *
import tensorflow as tf
from models import make_generator, make_discriminator


def train(dataset, z_dim=64):
    G = make_generator(z_dim)
    D = make_discriminator()
    for real in dataset:
        z = tf.random.normal([64, z_dim])
        fake = G(z)
        d_loss = tf.reduce_mean(D(fake)) - tf.reduce_mean(D(real))
        d_opt.minimize(d_loss, var_list=D.trainable_variables)
"""


def _files(fake: str, mark: str) -> dict[str, str]:
    return {"utils.py": _UTILS, "models.py": _MODELS, "wgan/train.py": _TRAIN.format(fake=fake, mark=mark)}


def test_undetached_fake_reported_when_torch_comes_through_a_star_import(tmp_path):
    _res, found, expected = _check(tmp_path, _files("gen_samples", "  # expect GL115"), {"GL115"})
    assert expected and found == expected


def test_detached_fake_behind_a_star_import_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, _files("gen_samples.detach()", ""), {"GL115"})
    assert not expected and found == set()


def test_tensorflow_script_behind_a_star_import_stays_silent(tmp_path):
    _res, found, _expected = _check(tmp_path, {"utils.py": "import numpy as np\n", "train.py": _TF_TRAIN}, {"GL115"})
    assert found == set()
