"""GL206 reads a VAE's latent from the literal width its mean and log-variance heads share, beside settings of
any shape (a list-valued setting once crashed the rule). Written in the styles of public VAE scripts."""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_SCRIPT = """\
import torch
import torch.nn as nn


class VAE(nn.Module):
  def __init__(self, ndf=32):
    super().__init__()
    self.conv1_en = nn.Conv2d(3, ndf, 4, stride=2, padding=1)
    self.fc1 = nn.Linear(16*16*ndf, 300)  # expect GL206
    self.fc2 = nn.Linear(16*16*ndf, 300)
    self.de1 = nn.Linear(300, 16*16*ndf)

  def encoder(self, x):
    out = torch.relu(self.conv1_en(x)).view(x.size(0), -1)
    mean = self.fc1(out)
    logvar = self.fc2(out)
    return mean, logvar

  def forward(self, x):
    mean, logvar = self.encoder(x)
    z = mean + torch.randn_like(mean) * torch.exp(0.5*logvar)
    return self.de1(z), mean, logvar


def loss_function(recon_x, x, mu, logvar):
  KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
  return KLD + torch.nn.functional.mse_loss(recon_x, x)


latent_dim = 20
fixed_z = torch.randn(24, latent_dim)
"""


def test_head_width_is_the_latent_beside_a_list_valued_setting(tmp_path):
    files = {"vae.py": _SCRIPT, "config.yaml": "hidden_dims: [32, 64, 128]\nlatent_dim: [8, 8]\n"}
    res, found, expected = _check(tmp_path, files, {"GL206"})
    assert found == expected and expected, (found, expected)
    [finding] = [f for f in res.findings if f.code == "GL206"]
    assert finding.fix is not None and not finding.fix.edits  # three places hold the width: no single edit


def test_heads_of_different_or_unknown_width_stay_silent(tmp_path):
    quiet = _SCRIPT.replace("  # expect GL206", "")
    for text in (quiet.replace("self.fc2 = nn.Linear(16*16*ndf, 300)", "self.fc2 = nn.Linear(16*16*ndf, 200)"),
                 quiet.replace(", 300)", ", width)").replace("ndf=32)", "ndf=32, width=None)"),
                 quiet.replace("    logvar = self.fc2(out)", "    spread = self.fc2(out)")):
        _, found, _ = _check(tmp_path, {"vae.py": text}, {"GL206"})
        assert found == set(), found
