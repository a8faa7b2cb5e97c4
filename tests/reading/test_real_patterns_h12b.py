"""A VAE-GAN's decoder loss that subtracts the discriminator's BCE loss (GL110): the discriminator's terms
BCE(D(x_tilde), 0) + BCE(D(x_p), 0) + BCE(D(x), 1), built inline with a BCE criterion or by a same-file
helper that sums them, and `dec_loss = gamma * rec - dis_loss`: the decoder minimises log(1 - D(G(z))),
the saturating minimax form. Near misses stay silent: the non-saturating BCE(D(x_p), 1) added to the
decoder's loss, and the discriminator's loss subtracted in a loss that trains the discriminator.

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
    def __init__(self, z_dim=16):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(784, 400), nn.ReLU())
        self.mu = nn.Linear(400, z_dim)
        self.logvar = nn.Linear(400, z_dim)

    def forward(self, x):
        h = self.body(x)
        return self.mu(h), self.logvar(h).clamp(-8, 8)


class Decoder(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 400), nn.ReLU(), nn.Linear(400, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(784, 400), nn.LeakyReLU(0.2))
        self.out = nn.Linear(400, 1)

    def forward(self, x):
        return torch.sigmoid(self.out(self.features(x))).view(-1)

    def feature(self, x):
        return self.features(x)
"""

_TRAIN = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

from models import Decoder, Discriminator, Encoder

W_REC = 10.0
encoder, decoder, discriminator = Encoder(), Decoder(), Discriminator()
opt_enc = optim.Adam(encoder.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_dec = optim.Adam(decoder.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_dis = optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCELoss()

HELPER

def train(loader):
    for x, _ in loader:
        x = x.view(x.size(0), -1)
        mu, logvar = encoder(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        x_tilde = decoder(z)
        x_p = decoder(torch.randn_like(mu))
        ones = torch.ones(x.size(0))
        zeros = torch.zeros(x.size(0))
        d_tilde, d_p, d_real = discriminator(x_tilde), discriminator(x_p), discriminator(x)
        DIS_LOSS
        rec_loss = ((discriminator.feature(x_tilde) - discriminator.feature(x)) ** 2).mean()
        kld = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
        enc_loss = kld + rec_loss
        DEC_LOSS
        opt_dis.zero_grad()
        dis_loss.backward(retain_graph=True)
        opt_dis.step()
        opt_dec.zero_grad()
        dec_loss.backward(retain_graph=True)
        opt_dec.step()
        opt_enc.zero_grad()
        enc_loss.backward()
        opt_enc.step()
"""

_INLINE = "dis_loss = bce(d_tilde, zeros) + bce(d_p, zeros) + bce(d_real, ones)"
_HELPER = """\
def gan_loss(on_rec, on_prior, on_data, real_label, fake_label):
    rec_term = F.binary_cross_entropy(on_rec, fake_label)
    prior_term = F.binary_cross_entropy(on_prior, fake_label)
    return rec_term + prior_term + F.binary_cross_entropy(on_data, real_label)
"""
_BY_HELPER = "dis_loss = gan_loss(d_tilde, d_p, d_real, ones, zeros)"
_MINIMAX = "dec_loss = W_REC * rec_loss - dis_loss  # expect GL110"


def _project(dis_loss: str, dec_loss: str, helper: str = "") -> dict[str, str]:
    train = _TRAIN.replace("HELPER\n", helper).replace("DIS_LOSS", dis_loss).replace("DEC_LOSS", dec_loss)
    return {"models.py": _MODELS, "train.py": train}


def test_a_decoder_loss_subtracting_the_inline_bce_discriminator_loss_is_saturating(tmp_path):
    res, found, expected = _check(tmp_path, _project(_INLINE, _MINIMAX), {"GL110"})
    assert expected and found == expected
    assert "discriminator(x_tilde)" in next(f for f in res.findings if f.code == "GL110").message


def test_the_discriminator_loss_summed_by_a_same_file_helper(tmp_path):
    _res, found, expected = _check(tmp_path, _project(_BY_HELPER, _MINIMAX, _HELPER), {"GL110"})
    assert expected and found == expected


def test_the_non_saturating_bce_against_real_labels_added_stays_silent(tmp_path):
    dec = "dec_loss = W_REC * rec_loss + bce(d_p, ones) + bce(d_tilde, ones)"
    _res, found, expected = _check(tmp_path, _project(_INLINE, dec), {"GL110"})
    assert not expected and found == set()


def test_a_discriminator_loss_subtracted_in_the_discriminators_own_loss_stays_silent(tmp_path):
    # the discriminator's step minimises its own loss written as minus a gain: not the generator's
    files = _project("dis_gain = -(bce(d_tilde, zeros) + bce(d_real, ones))\n        dis_loss = 0.0 - dis_gain",
                     "dec_loss = W_REC * rec_loss + bce(d_p, ones)")
    _res, found, expected = _check(tmp_path, files, {"GL110"})
    assert not expected and found == set()


def test_a_weight_that_may_be_negative_is_not_followed(tmp_path):
    dec = "dec_loss = W_REC * rec_loss + torch.tanh(rec_loss) * dis_loss"
    _res, found, expected = _check(tmp_path, _project(_INLINE, dec), {"GL110"})
    assert not expected and found == set()


# GL102: a VAE-GAN's decoder makes the batches the discriminator judges: it is the generator the critic's
# capacity is compared with
_VAEGAN_MODELS = """\
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc_mu = nn.Linear(512, z_dim)
        self.fc_logvar = nn.Linear(512, z_dim)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)


class Decoder(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.fc1 = nn.Linear(z_dim, 512)
        self.fc2 = nn.Linear(512, 512)
        self.fc3 = nn.Linear(512, 512)
        self.fc4 = nn.Linear(512, 784)

    def forward(self, z):
        h = torch.relu(self.fc1(z))
        h = torch.relu(self.fc2(h))
        return torch.tanh(self.fc4(torch.relu(self.fc3(h))))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.LeakyReLU(0.2)
        self.l1 = nn.Linear(IN, CRITIC_1)  # expect GL102
        self.l2 = nn.Linear(CRITIC_1, CRITIC_2)
        self.l3 = nn.Linear(CRITIC_2, CRITIC_3)
        self.l4 = nn.Linear(CRITIC_3, 1)

    def forward(self, x):
        h = self.act(self.l2(self.act(self.l1(x))))
        return torch.sigmoid(self.l4(self.act(self.l3(h))))
"""

_VAEGAN_TRAIN = """\
import torch
import torch.nn.functional as F
from torch import optim

from nets import *

encoder = Encoder()
decoder = Decoder()
discriminator = Discriminator()
opt_enc = optim.Adam(encoder.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_dec = optim.Adam(decoder.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_dis = optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))


def train(loader):
    for x in loader:
        mu, logvar = encoder(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        x_tilde = decoder(z)
        x_p = decoder(torch.randn_like(mu))
        JUDGED
        real = discriminator(REAL_IN)
        dis_loss = F.binary_cross_entropy(real, torch.ones_like(real)) + F.binary_cross_entropy(fake, torch.zeros_like(fake))
        opt_dis.zero_grad()
        dis_loss.backward(retain_graph=True)
        opt_dis.step()
        kld = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
        dec_loss = F.mse_loss(x_tilde, x) + F.binary_cross_entropy(discriminator(x_p), torch.ones_like(fake))
        opt_dec.zero_grad()
        dec_loss.backward(retain_graph=True)
        opt_dec.step()
        enc_loss = kld + F.mse_loss(x_tilde, x)
        opt_enc.zero_grad()
        enc_loss.backward()
        opt_enc.step()
"""


def _vaegan(widths: tuple[int, int, int], judged: str = "fake = discriminator(x_p.detach())", real: str = "x",
            width_in: str = "784") -> dict[str, str]:
    models = _VAEGAN_MODELS.replace("IN", width_in)
    for i, w in enumerate(widths, 1):
        models = models.replace(f"CRITIC_{i}", str(w))
    if widths == (512, 512, 512) or width_in != "784":
        models = models.replace("  # expect GL102", "")
    return {"nets.py": models, "train.py": _VAEGAN_TRAIN.replace("JUDGED", judged).replace("REAL_IN", real)}


def test_a_discriminator_weaker_than_the_decoder_whose_samples_it_judges(tmp_path):
    res, found, expected = _check(tmp_path, _vaegan((512, 256, 128)), {"GL102"})
    assert expected and found == expected
    assert "generator `Decoder`" in next(f for f in res.findings if f.code == "GL102").message


def test_a_discriminator_mirroring_the_decoder_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, _vaegan((512, 512, 512)), {"GL102"})
    assert not expected and found == set()


def test_an_adversarial_autoencoders_critic_of_latent_codes_stays_silent(tmp_path):
    # the critic judges the encoder's codes against prior samples: the decoder makes no judged batch
    files = _vaegan((64, 32, 16), judged="fake = discriminator(z.detach())\n        x_p = x_tilde",
                    real="torch.randn_like(z)", width_in="16")
    files["train.py"] = files["train.py"].replace("discriminator(x_p), ", "discriminator(z), ")
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert not expected and found == set()
