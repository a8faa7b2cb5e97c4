"""VAE-GAN hybrids and two-input discriminators in public training code: a module whose forward computes the
discriminator's scores on the decoder's samples (its caller's D step back-propagates them), the standard-GAN
part of such a hybrid (its learning rate), and a discriminator taking the fake as its second input; each with
near misses that stay silent.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_PARTS = """\
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU())
        self.to_mu = nn.Linear(64 * 8 * 8, z_dim)
        self.to_logvar = nn.Linear(64 * 8 * 8, z_dim)

    def forward(self, x):
        h = self.body(x).flatten(1)
        return self.to_mu(h), self.to_logvar(h).clamp(-8, 8)


class Decoder(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.fc = nn.Linear(z_dim, 64 * 8 * 8)
        self.up = nn.Sequential(nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 3, 4, 2, 1),
                                nn.Tanh())

    def forward(self, z):
        return self.up(self.fc(z).view(-1, 64, 8, 8))
"""

# the discriminator scores both batches in one call (cat inside) and hands out its hidden features too
_JOINT = _PARTS + """

class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(32, 64, 4, 2, 1),
                                  nn.LeakyReLU(0.2))
        self.head = nn.Linear(64 * 8 * 8, 1)

    def forward(self, x, other):
        h = self.body(torch.cat([x, other], 0)).flatten(1)
        return torch.sigmoid(self.head(h)), h


class VAEGAN(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.z_dim = z_dim
        self.encoder = Encoder(z_dim)
        self.decoder = Decoder(z_dim)
        self.discriminator = Discriminator()

    def forward(self, x):
        mu, logvar = self.encoder(x)
        x_rec = self.decoder(mu + torch.randn_like(mu) * torch.exp(0.5 * logvar))
        x_prior = self.decoder(torch.randn(x.size(0), self.z_dim))
        probs, feats = self.discriminator(x, x_prior)
        return x_rec, probs, feats, mu, logvar
"""

_JOINT_LOSSES = """\
import torch


def terms(x, x_rec, probs, mu, logvar):
    n = x.size(0)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), 1)
    rec = ((x_rec - x) ** 2).flatten(1).sum(1)
    real_term = -torch.log(probs[:n] + 1e-3)
    fake_term = -torch.log(1 - probs[n:] + 1e-3)
    return kld, rec, real_term, fake_term
"""

# the script itself shows no GAN loss (the terms are another module's) and clips a gradient norm: the
# family comes from the project, where the discriminator judges the decoder's samples
_JOINT_TRAIN = """\
import argparse

import torch
from torch.optim import RMSprop

from losses import terms
from vaegan import VAEGAN


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=5e-4)  # expect GL113
    args = parser.parse_args()
    net = VAEGAN()
    opt_enc = RMSprop(net.encoder.parameters(), lr=args.lr)
    opt_dec = RMSprop(net.decoder.parameters(), lr=args.lr)
    opt_dis = RMSprop(net.discriminator.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        for x in loader:
            x_rec, probs, feats, mu, logvar = net(x)
            kld, rec, real_term, fake_term = terms(x, x_rec, probs, mu, logvar)
            loss_enc = kld.sum() + rec.sum()
            loss_dis = real_term.sum() + fake_term.sum()
            loss_dec = rec.sum() - loss_dis
            net.zero_grad()
            loss_enc.backward(retain_graph=True)
            torch.nn.utils.clip_grad_norm_(net.encoder.parameters(), 5.0)
            opt_enc.step()
            net.zero_grad()
            loss_dec.backward(retain_graph=True)
            opt_dec.step()
            net.discriminator.zero_grad()
            loss_dis.backward()  # expect GL115
            opt_dis.step()


if __name__ == "__main__":
    main()
"""

# near miss: the forward scores the prior samples for the decoder's loss only; the D step makes its own calls
# on detached batches and reads nothing of the forward's output but the reconstruction
_SPLIT = _PARTS + """

class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(32 * 16 * 16, 1))

    def forward(self, x):
        return torch.sigmoid(self.body(x))


class VAEGAN(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.z_dim = z_dim
        self.encoder = Encoder(z_dim)
        self.decoder = Decoder(z_dim)
        self.discriminator = Discriminator()

    def forward(self, x):
        mu, logvar = self.encoder(x)
        x_rec = self.decoder(mu + torch.randn_like(mu) * torch.exp(0.5 * logvar))
        prior_score = self.discriminator(self.decoder(torch.randn(x.size(0), self.z_dim)))
        return x_rec, prior_score, mu, logvar
"""

_SPLIT_TRAIN = """\
import torch
from torch.optim import RMSprop

from vaegan import VAEGAN

LR = 2e-4
net = VAEGAN()
opt_dec = RMSprop(net.decoder.parameters(), lr=LR)
opt_dis = RMSprop(net.discriminator.parameters(), lr=LR)
for x in loader:
    x_rec, prior_score, mu, logvar = net(x)
    loss_dec = ((x_rec - x) ** 2).sum() - torch.log(prior_score + 1e-3).sum()
    opt_dec.zero_grad()
    loss_dec.backward()
    opt_dec.step()
    d_real = net.discriminator(x)
    d_rec = net.discriminator(x_rec.detach())
    loss_dis = -torch.log(d_real + 1e-3).sum() - torch.log(1 - d_rec + 1e-3).sum()
    opt_dis.zero_grad()
    loss_dis.backward()
    opt_dis.step()
"""

# near miss: a latent discriminator (FactorVAE's total-correlation critic) judges codes, not decoder samples
_LATENT_CRITIC = _PARTS + """

class Discriminator(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.LeakyReLU(0.2), nn.Linear(256, 2))

    def forward(self, z):
        return self.net(z)


enc, dec, disc = Encoder(), Decoder(), Discriminator()
opt_vae = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-4)
opt_d = torch.optim.Adam(disc.parameters(), lr=1e-3)
for x in loader:
    mu, logvar = enc(x)
    z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    tc = (disc(z)[:, 0] - disc(z)[:, 1]).mean()
    loss_vae = ((dec(z) - x) ** 2).sum() + kld + 6.0 * tc
    opt_vae.zero_grad()
    loss_vae.backward(retain_graph=True)
    opt_vae.step()
    z_perm = z.detach()[torch.randperm(z.size(0))]
    loss_d = torch.nn.functional.cross_entropy(disc(z.detach()), zeros) + torch.nn.functional.cross_entropy(disc(z_perm), ones)
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
"""


def test_a_vaegan_forward_scoring_decoder_samples_is_undetached_in_its_callers_d_step(tmp_path):
    res, found, expected = _check(tmp_path / "joint", {"vaegan.py": _JOINT, "train.py": _JOINT_TRAIN, "losses.py": _JOINT_LOSSES},
                                  {"GL113", "GL115"})
    assert found == expected, (found, expected)
    gl115 = next(f for f in res.findings if f.code == "GL115")
    assert gl115.evidence["through"] == "net(x)" and gl115.fix.display_only and not gl115.fix.edits
    d_call = _JOINT.splitlines().index("        probs, feats = self.discriminator(x, x_prior)") + 1
    assert [(r.file.rsplit("/", 1)[-1], r.line) for r in gl115.related] == [("vaegan.py", d_call)]
    assert "gan" in res.facts.families()  # the hybrid has a standard-GAN part
    # near misses: the D step reads only the forward's reconstruction (and detaches it); a latent critic
    _res, found, _ = _check(tmp_path / "split", {"vaegan.py": _SPLIT, "train.py": _SPLIT_TRAIN}, {"GL113", "GL115"})
    assert found == set()
    res, found, _ = _check(tmp_path / "factor", {"factor_vae.py": _LATENT_CRITIC}, {"GL113", "GL115"})
    assert found == set() and "gan" not in res.facts.families()


_PAIRED = """\
import torch
import torch.nn as nn

from nets import PairDiscriminator, UNetGenerator

netG, netD = UNetGenerator(), PairDiscriminator()
label_net = PairDiscriminator()
opt_G = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_D = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
mse = nn.MSELoss()


def train_d(real_a, real_b):
    fake_b = netG(real_a)
    pred_real = netD(real_a, real_b)
    pred_fake = netD(real_a, fake_b)  # expect GL115
    loss_D = 0.5 * (mse(pred_real, torch.ones_like(pred_real)) + mse(pred_fake, torch.zeros_like(pred_fake)))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()


def train_d_detached(real_a, real_b, labels):
    fake_b = netG(real_a)
    pred_fake = netD(real_a, fake_b.detach())
    pred_cond = netD(real_b, labels)
    loss_D = mse(pred_fake, torch.zeros_like(pred_fake)) + mse(pred_cond, torch.ones_like(pred_cond))
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()


def train_g(real_a, real_b):
    fake_b = netG(real_a)
    pred_fake = netD(real_a, fake_b)
    loss_G = mse(pred_fake, torch.ones_like(pred_fake)) + (fake_b - real_b).abs().mean()
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
"""

_PAIRED_NETS = """\
import torch
import torch.nn as nn


class UNetGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1), nn.ReLU(), nn.Conv2d(64, 3, 3, 1, 1), nn.Tanh())

    def forward(self, x):
        return self.net(x)


class PairDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(6, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 1, 4, 1, 1))

    def forward(self, a, b):
        return self.net(torch.cat([a, b], 1))
"""


_BIGAN = """\
import torch

from nets import PairDiscriminator, UNetGenerator

enc, gen, disc = UNetGenerator(), UNetGenerator(), PairDiscriminator()
G_solver = torch.optim.Adam(list(enc.parameters()) + list(gen.parameters()), lr=2e-4)
D_solver = torch.optim.Adam(disc.parameters(), lr=2e-4)
for x, z in loader:
    code = enc(x)
    sample = gen(z)
    D_real = disc(x, code)
    D_fake = disc(sample, z)  # expect GL115
    D_loss = -torch.mean(torch.log(D_real) + torch.log(1 - D_fake))
    D_loss.backward()
    D_solver.step()
"""


def test_a_two_input_discriminator_given_the_fake_second_is_read(tmp_path):
    res, found, expected = _check(tmp_path, {"train.py": _PAIRED, "nets.py": _PAIRED_NETS}, {"GL115"})
    assert found == expected, (found, expected)  # detached, a condition, and the G step's own call: silent
    f = next(f for f in res.findings if f.code == "GL115")
    assert f.evidence["fake"] == "fake_b" and [e.new for e in f.fix.edits] == ["netD(real_a, fake_b.detach())"]
    # a BiGAN's D(x, E(x)) beside D(G(z), z): both leak, the D step is reported once (at the first-input fake)
    _res, found, expected = _check(tmp_path / "bigan", {"train.py": _BIGAN, "nets.py": _PAIRED_NETS}, {"GL115"})
    assert found == expected, (found, expected)
