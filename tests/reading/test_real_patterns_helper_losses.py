"""GL110 through a multi-output loss helper of another file (VAE-GAN style): the helper returns the
discriminator's hand-written terms, one of them -log(1 - D(x_p)) on decoder samples, and the decoder's loss
subtracts the discriminator's loss (`loss_decoder = gamma * feat - (1 - gamma) * loss_discriminator`): the
decoder minimises log(1 - D(G(z))), the saturating minimax form. Near misses stay silent: a decoder loss
built from the helper's -log(D(x_p)) terms (non-saturating), and the discriminator's own loss.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_MODELS = """\
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, z_dim=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(784, 256), nn.ReLU())
        self.mu, self.logvar = nn.Linear(256, z_dim), nn.Linear(256, z_dim)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    def __init__(self, z_dim=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2))
        self.head = nn.Sequential(nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, x):
        f = self.features(x)
        return self.head(f), f
"""

_TERMS = """\
import torch


def gan_terms(mu, logvar, feat_real, feat_rec, d_real, d_sampled):
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), 1)
    feat = torch.sum(0.5 * (feat_real - feat_rec) ** 2, 1)
    dis_real = -torch.log(d_real + 1e-3)
    dis_sampled = -torch.log(1 - d_sampled + 1e-3)
    gen_sampled = -torch.log(d_sampled + 1e-3)
    return kl, feat, dis_real, dis_sampled, gen_sampled
"""

_TRAIN = """\
import torch
from torch.optim import RMSprop

from losses import gan_terms
from models import Decoder, Discriminator, Encoder

GAMMA = 0.75
enc, dec, dis = Encoder(), Decoder(), Discriminator()
opt_enc = RMSprop(enc.parameters(), lr=3e-4)
opt_dec = RMSprop(dec.parameters(), lr=3e-4)
opt_dis = RMSprop(dis.parameters(), lr=3e-4)
for x in loader:
    mu, logvar = enc(x)
    x_rec = dec(mu + torch.randn_like(mu) * torch.exp(0.5 * logvar))
    x_p = dec(torch.randn_like(mu))
    d_real, f_real = dis(x)
    _, f_rec = dis(x_rec)
    d_p, _ = dis(x_p)
    kl, feat, dis_real, dis_sampled, gen_sampled = gan_terms(mu, logvar, f_real, f_rec, d_real, d_p)
    loss_encoder = torch.sum(kl) + torch.sum(feat)
    loss_discriminator = torch.sum(dis_real) + torch.sum(dis_sampled)
    DECODER_LOSS
    opt_enc.zero_grad()
    loss_encoder.backward(retain_graph=True)
    opt_enc.step()
    opt_dec.zero_grad()
    loss_decoder.backward(retain_graph=True)
    opt_dec.step()
    opt_dis.zero_grad()
    loss_discriminator.backward()
    opt_dis.step()
"""

_MINIMAX = "loss_decoder = torch.sum(GAMMA * feat) - (1.0 - GAMMA) * loss_discriminator  # expect GL110"
_NON_SATURATING = "loss_decoder = torch.sum(GAMMA * feat) + (1.0 - GAMMA) * torch.sum(gen_sampled)"


def _project(decoder_loss: str) -> dict[str, str]:
    return {"models.py": _MODELS, "losses.py": _TERMS, "train.py": _TRAIN.replace("DECODER_LOSS", decoder_loss)}


def test_a_decoder_subtracting_the_discriminators_loss_minimises_the_saturating_form(tmp_path):
    res, found, expected = _check(tmp_path, _project(_MINIMAX), {"GL110"})
    assert expected and found == expected
    finding = next(f for f in res.findings if f.code == "GL110")
    assert not finding.fix.edits  # the helper and its caller change together, by hand


def test_a_decoder_minimising_the_helpers_non_saturating_terms_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, _project(_NON_SATURATING), {"GL110"})
    assert not expected and found == set()


def test_a_loss_helper_written_as_a_static_method_of_the_network(tmp_path):
    # `VAEGAN.loss(...)` of models.py, imported with the class
    helper = "\n\nclass VAEGAN:\n    @staticmethod\n    def loss(" + _TERMS.split("def gan_terms(", 1)[1].replace("\n", "\n    ")
    files = _project(_MINIMAX)
    files["models.py"] = _MODELS + helper.rstrip() + "\n"
    files["train.py"] = files["train.py"].replace("from losses import gan_terms\n", "").replace(
        "from models import Decoder, Discriminator, Encoder", "from models import VAEGAN, Decoder, Discriminator, Encoder").replace(
        "= gan_terms(", "= VAEGAN.loss(")
    del files["losses.py"]
    _res, found, expected = _check(tmp_path, files, {"GL110"})
    assert expected and found == expected


def test_the_same_helper_name_in_two_modules_is_read_from_the_imported_one(tmp_path):
    # losses_v2.gan_terms returns only non-saturating terms at the same positions: the import decides
    v2 = _TERMS.replace("dis_sampled = -torch.log(1 - d_sampled + 1e-3)", "dis_sampled = -torch.log(d_sampled + 1e-3)")
    files = _project(_MINIMAX.replace("  # expect GL110", ""))
    files["losses_v2.py"] = v2
    files["train.py"] = files["train.py"].replace("from losses import gan_terms", "from losses_v2 import gan_terms")
    _res, found, expected = _check(tmp_path, files, {"GL110"})
    assert not expected and found == set()
