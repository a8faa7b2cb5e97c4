"""A repository's analysis script (loads the trained model, plots, interpolates; trains nothing) repeats the
training script's settings: the training script's finding is the one reported. A config module every script
imports, and an analysis script that is the only place a setting is written, stay reported. And the model
class of such repositories: a KL weight stored from a constructor default (`self.beta = beta`) is a constant.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_MODELS = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvVAE(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.z_dim = z_dim
        self.enc = nn.Linear(784, 256)
        self.fc_mu = nn.Linear(256, z_dim)
        self.fc_logvar = nn.Linear(256, z_dim)
        self.dec = nn.Linear(z_dim, 784)

    def forward(self, x):
        h = F.relu(self.enc(x))
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-10, 10))
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.clamp(-10, 10).exp())
        return torch.sigmoid(self.dec(z)), kld
"""

_TRAIN = """\
import torch
import torch.optim as optim

import models

Z_DIM = 64{mark}
LR = 1e-4

model = models.ConvVAE(z_dim=Z_DIM)
optimizer = optim.Adam(model.parameters(), lr=LR)

for x in [torch.rand(8, 784)]:
    recon, kld = model(x)
    loss = torch.nn.functional.binary_cross_entropy(recon, x, reduction='sum') + kld
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""

_ANALYZE = """\
import torch

import models

CHECKPOINT = './checkpoints/last.pt'
Z_DIM = 64{mark}

model = models.ConvVAE(z_dim=Z_DIM)
model.load_state_dict(torch.load(CHECKPOINT))

with torch.no_grad():
    z = torch.randn(16, Z_DIM)
    samples = model.dec(z)
"""


def test_the_analysis_scripts_copy_of_the_latent_size_is_left_to_the_training_script(tmp_path):
    files = {"models.py": _MODELS, "train.py": _TRAIN.format(mark="  # expect GL206"),
             "analyze.py": _ANALYZE.format(mark="")}
    res, found, expected = _check(tmp_path / "both", files, {"GL206"})
    assert found == expected and len(expected) == 1, (found, expected)
    # near miss: with no training script read, the analysis script's setting is the only one: reported
    res, found, expected = _check(tmp_path / "alone", {"models.py": _MODELS, "analyze.py": _ANALYZE.format(
        mark="  # expect GL206")}, {"GL206"})
    assert found == expected and len(expected) == 1, (found, expected)


def test_a_config_module_that_the_scripts_import_stays_reported(tmp_path):
    config = "Z_DIM = 64  # expect GL206\nLR = 1e-4\n"
    train = _TRAIN.format(mark="").replace("Z_DIM = 64\nLR = 1e-4\n", "from config import Z_DIM, LR\n")
    analyze = _ANALYZE.format(mark="").replace("Z_DIM = 64\n", "from config import Z_DIM\n")
    assert "Z_DIM = 64" not in train + analyze
    res, found, expected = _check(tmp_path / "cfg", {"models.py": _MODELS, "config.py": config, "train.py": train,
                                                     "analyze.py": analyze}, {"GL206"})
    assert found == expected and len(expected) == 1, (found, expected)


_BETA_VAE = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class BetaVAE(nn.Module):
    def __init__(self, z_dim=10, beta=4.0):{mark}
        super(BetaVAE, self).__init__()
        self.beta = beta
        self.enc = nn.Linear(784, 2 * z_dim)
        self.dec = nn.Linear(z_dim, 784)
{extra}
    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-10, 10))
        return torch.sigmoid(self.dec(z)), mu, logvar

    def loss(self, recon, x, mu, logvar):
        rec = F.binary_cross_entropy(recon, x, reduction='sum')
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.clamp(-10, 10).exp())
        return (rec + self.beta * kld) / x.size(0)


class WideBetaVAE(BetaVAE):
    def __init__(self):
        super(WideBetaVAE, self).__init__(z_dim=32)
"""

_BETA_TRAIN = """\
import torch

import models

model = models.BetaVAE(z_dim=10)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
for x in [torch.rand(8, 784)]:
    recon, mu, logvar = model(x)
    loss = model.loss(recon, x, mu, logvar){epoch}
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_a_kl_weight_stored_from_a_constructor_default_is_constant_from_step_0(tmp_path):
    files = {"models.py": _BETA_VAE.format(mark="  # expect GL202", extra=""), "train.py": _BETA_TRAIN.format(epoch="")}
    res, found, expected = _check(tmp_path / "default", files, {"GL202"})
    assert found == expected and len(expected) == 1, (found, expected)
    # near miss: a method ramps self.beta per epoch: the constructor's value is only its ceiling
    ramp = "\n    def set_epoch(self, epoch):\n        self.beta = 4.0 * min(1.0, epoch / 20)\n"
    files = {"models.py": _BETA_VAE.format(mark="", extra=ramp),
             "train.py": _BETA_TRAIN.format(epoch="\n    model.set_epoch(0)")}
    res, found, _ = _check(tmp_path / "ramp", files, {"GL202"})
    assert found == set(), found
