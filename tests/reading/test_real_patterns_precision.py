"""Settings and trainers attributed to the program that really uses them, each with a near miss that must
still be reported: a discriminator-step flag read only by a standard GAN's trainer, a LightningModule's
batch size that never reaches a loader, a linear-probe script beside a contrastive pretraining, and a
learning rate passed at the only call of a subclass that inherits its base's `__init__`.

Every project is written in the style real repositories use (not copied from any). A trailing
`# expect GLnnn` marks each line where that finding must be reported; for the codes a test names, the
findings are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)


# -- a step-count flag belongs to the family of the trainer that reads it --------------------------
_FLAGS = """\
import argparse

from models.bce_gan.trainer import GANTrainer
from models.wgan.trainer import WGANTrainer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--model', type=str, default='GAN', choices=['GAN', 'WGAN'])
    parser.add_argument('--lr', type=float, default=5e-5)
    parser.add_argument('--nz', type=int, default=16)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--d-steps', type=int, default=2){d_mark}
    parser.add_argument('--critic-steps', type=int, default=5)
    args = parser.parse_args()
    trainer = GANTrainer(args) if args.model == 'GAN' else WGANTrainer(args)
    trainer.run()


if __name__ == '__main__':
    main()
"""

_BCE_TRAINER = """\
import torch
import torch.nn as nn


class GANTrainer:
    def __init__(self, args):
        self.args = args
        self.G = nn.Sequential(nn.Linear(args.nz, 64), nn.ReLU(), nn.Linear(64, 8))
        self.D = nn.Sequential(nn.Linear(8, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=args.lr, betas=(0.5, 0.999))
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=args.lr, betas=(0.5, 0.999))
        self.bce = nn.BCEWithLogitsLoss()

    def run(self, batches=100):
        for _ in range(batches):
            real = torch.randn(self.args.batch_size, 8)
            for _ in range(self.args.d_steps):
                fake = self.G(torch.randn(real.size(0), self.args.nz)).detach()
                d_real, d_fake = self.D(real), self.D(fake)
                d_loss = self.bce(d_real, torch.ones_like(d_real)) + self.bce(d_fake, torch.zeros_like(d_fake))
                self.opt_d.zero_grad()
                d_loss.backward()
                self.opt_d.step()
            d_out = self.D(self.G(torch.randn(real.size(0), self.args.nz)))
            g_loss = self.bce(d_out, torch.ones_like(d_out))
            self.opt_g.zero_grad()
            g_loss.backward()
            self.opt_g.step()
"""

_WGAN_TRAINER = """\
import torch
import torch.nn as nn


class WGANTrainer:
    def __init__(self, args):
        self.args = args
        self.G = nn.Sequential(nn.Linear(args.nz, 64), nn.ReLU(), nn.Linear(64, 8))
        self.critic = nn.Sequential(nn.Linear(8, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
        self.opt_critic = torch.optim.RMSprop(self.critic.parameters(), lr=args.lr)
        self.opt_g = torch.optim.RMSprop(self.G.parameters(), lr=args.lr)

    def run(self, batches=100):
        for _ in range(batches):
            real = torch.randn(self.args.batch_size, 8)
            for _ in range(self.args.{steps}):
                fake = self.G(torch.randn(real.size(0), self.args.nz)).detach()
                c_loss = self.critic(fake).mean() - self.critic(real).mean()
                self.opt_critic.zero_grad()
                c_loss.backward()
                self.opt_critic.step()
                for p in self.critic.parameters():
                    p.data.clamp_(-0.01, 0.01)
            g_loss = -self.critic(self.G(torch.randn(real.size(0), self.args.nz))).mean()
            self.opt_g.zero_grad()
            g_loss.backward()
            self.opt_g.step()
"""


def _two_trainers(wgan_steps: str, d_mark: str = "") -> dict[str, str]:
    return {"main.py": _FLAGS.format(d_mark=d_mark), "models/bce_gan/trainer.py": _BCE_TRAINER,
            "models/wgan/trainer.py": _WGAN_TRAINER.format(steps=wgan_steps)}


def test_a_discriminator_step_flag_read_only_by_the_bce_trainer_is_no_wgan_n_critic(tmp_path):
    res, found, expected = _check(tmp_path, _two_trainers("critic_steps"), {"GL105"})
    assert found == expected == set(), found
    assert "wgan" in res.facts.families()  # the project does hold a WGAN: the rule runs and stays silent


def test_the_same_flag_read_by_the_wasserstein_trainer_is_reported(tmp_path):
    # near miss: the WGAN's critic loop repeats `d_steps` (2 < 5) instead of its own flag
    _, found, expected = _check(tmp_path, _two_trainers("d_steps", "  # expect GL105"), {"GL105"})
    assert found == expected == {("GL105", "main.py", 13)}, found


# -- a LightningModule's batch size that no loader reads is not the training batch -----------------
_DATA = """\
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset


class PointsData(pl.LightningDataModule):
    def __init__(self, n=4096, batch_size=32):
        super().__init__()
        self.n = n
        self.batch_size = batch_size

    def setup(self, stage=None):
        self.train_set = TensorDataset(torch.randn(self.n, 2))

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True)
"""

_LIT_GAN = """\
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F


class LitGAN(pl.LightningModule):
    def __init__(self, dim, nz=8, lr=2e-4, beta1=0.5, batch_size=16):{mark}
        super().__init__()
        self.save_hyperparameters()
        self.gen = nn.Sequential(nn.Linear(nz, 64), nn.ReLU(), nn.Linear(64, dim))
        self.disc = nn.Sequential(nn.Linear(dim, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))

    def training_step(self, batch, batch_idx, optimizer_idx):
        (x,) = batch
        z = torch.randn(x.size(0), self.hparams.nz).type_as(x)
        if optimizer_idx == 0:
            d_out = self.disc(self.gen(z))
            return F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))
        d_real, d_fake = self.disc(x), self.disc(self.gen(z).detach())
        return (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))

    def configure_optimizers(self):
        betas = (self.hparams.beta1, 0.999)
        return [torch.optim.Adam(self.gen.parameters(), lr=self.hparams.lr, betas=betas),
                torch.optim.Adam(self.disc.parameters(), lr=self.hparams.lr, betas=betas)], []
{own_loader}"""

_LIT_MAIN = """\
import pytorch_lightning as pl

from data import PointsData
from gan import LitGAN

if __name__ == "__main__":
    dm = PointsData(batch_size=128)
    pl.Trainer(max_epochs=20).fit(LitGAN(2), dm)
"""

_OWN_LOADER = """
    def train_dataloader(self):
        data = torch.utils.data.TensorDataset(torch.randn(4096, 2))
        return torch.utils.data.DataLoader(data, batch_size=self.hparams.batch_size, shuffle=True)
"""


def test_a_saved_batch_size_no_loader_reads_is_not_the_gan_batch(tmp_path):
    files = {"data.py": _DATA, "gan.py": _LIT_GAN.format(mark="", own_loader=""), "train.py": _LIT_MAIN}
    res, found, expected = _check(tmp_path, files, {"GL106"})
    assert found == expected == set(), found
    assert "gan" in res.facts.families()


def test_a_saved_batch_size_the_module_s_own_loader_reads_is_reported(tmp_path):
    # near miss: the LightningModule builds its own loader from self.hparams.batch_size (16 < 64)
    files = {"data.py": _DATA, "gan.py": _LIT_GAN.format(mark="  # expect GL106", own_loader=_OWN_LOADER),
             "train.py": _LIT_MAIN.replace("dm = PointsData(batch_size=128)\n", "").replace(", dm)", ")")}
    _, found, expected = _check(tmp_path, files, {"GL106"})
    assert found == expected == {("GL106", "gan.py", 8)}, found


_HANDED_ON = """
    def train_dataloader(self):
        return make_loader(self.hparams)
"""

_LOADERS = """\
import torch
from torch.utils.data import DataLoader, TensorDataset


def make_loader(hp):
    return DataLoader(TensorDataset(torch.randn(4096, hp.dim)), batch_size=hp.batch_size, shuffle=True)
"""


def test_a_saved_batch_size_handed_on_with_the_hyperparameters_is_reported(tmp_path):
    # near miss: the module hands its saved hyperparameters on whole to a loader helper of another file
    gan = _LIT_GAN.format(mark="  # expect GL106", own_loader=_HANDED_ON).replace(
        "import torch.nn.functional as F\n", "import torch.nn.functional as F\n\nfrom loaders import make_loader\n")
    files = {"loaders.py": _LOADERS, "gan.py": gan,
             "train.py": _LIT_MAIN.replace("dm = PointsData(batch_size=128)\n", "").replace(", dm)", ")")}
    _, found, expected = _check(tmp_path, files, {"GL106"})
    assert found == expected == {("GL106", "gan.py", 10)}, found


# -- a linear probe beside a contrastive pretraining is not the energy model's trainer -------------
_BUILDER = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Contrast(nn.Module):
    def __init__(self, encoder, dim=128, T=0.2):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(512, dim)
        self.T = T

    def nce(self, q, k):
        q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
        logits = torch.einsum('nc,mc->nm', q, k) / self.T
        return F.cross_entropy(logits, torch.arange(q.size(0), device=q.device))

    def forward(self, x1, x2):
        q1, q2 = self.head(self.encoder(x1)), self.head(self.encoder(x2))
        return self.nce(q1, q2) + self.nce(q2, q1)
"""

_PROBE = """\
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument('--lr', type=float, default=0.1)
parser.add_argument('--epochs', type=int, default=90)


def main(loader, encoder):
    args = parser.parse_args()
    for p in encoder.parameters():
        p.requires_grad = False
    classifier = nn.Linear(512, 1000)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(classifier.parameters(), args.lr, momentum=0.9){mark}
    for epoch in range(args.epochs):
        for images, target in loader:
            loss = criterion(classifier(encoder(images)), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
"""

_PRETRAIN = """\
import argparse
import math

import torch

import builder

parser = argparse.ArgumentParser()
parser.add_argument('--lr', type=float, default=1.5e-4)
parser.add_argument('--epochs', type=int, default=100)
parser.add_argument('--warmup-epochs', type=int, default=10)


def adjust_learning_rate(optimizer, epoch, args):
    if epoch < args.warmup_epochs:
        lr = args.lr * epoch / args.warmup_epochs
    else:
        lr = args.lr * 0.5 * (1. + math.cos(math.pi * (epoch - args.warmup_epochs) / (args.epochs - args.warmup_epochs)))
    for param_group in optimizer.param_groups:
        param_group['lr'] = lr


def main(loader, encoder):
    args = parser.parse_args()
    model = builder.Contrast(encoder)
    optimizer = torch.optim.AdamW(model.parameters(), args.lr, weight_decay=0.1){mark}
    for epoch in range(args.epochs):
        for i, (x1, x2) in enumerate(loader):
            adjust_learning_rate(optimizer, epoch + i / len(loader), args)
            loss = model(x1, x2)
            optimizer.zero_grad()
            loss.backward(){clip}
            optimizer.step()
"""

_CLIP_LINE = "\n            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)"


def test_a_linear_probe_read_first_is_not_taken_for_the_contrastive_trainer(tmp_path):
    # eval_linear.py is read before pretrain.py; only pretrain.py imports the module holding the InfoNCE
    files = {"builder.py": _BUILDER, "eval_linear.py": _PROBE.format(mark=""),
             "pretrain.py": _PRETRAIN.format(mark="  # expect GL303", clip="")}
    res, found, expected = _check(tmp_path, files, {"GL303", "GL304"})
    assert found == expected == {("GL303", "pretrain.py", 26)}, found
    assert "energy" in res.facts.families()


def test_a_clipped_pretraining_leaves_the_probe_silent_too(tmp_path):
    # near miss: the pretraining clips; the probe beside it still is no energy trainer
    files = {"builder.py": _BUILDER, "eval_linear.py": _PROBE.format(mark=""),
             "pretrain.py": _PRETRAIN.format(mark="", clip=_CLIP_LINE)}
    _, found, expected = _check(tmp_path, files, {"GL303"})
    assert found == expected == set(), found


def test_without_an_importing_trainer_the_linear_probe_is_still_no_energy_trainer(tmp_path):
    # near miss: the pretraining reaches the builder some way the reader does not follow (no import of it).
    # The linear probe's script trains a classifier and shows no energy model, nor do the files of its program:
    # it is not reported (it once was, as the first optimizer read); the broken pretraining is not either
    files = {"builder.py": _BUILDER, "eval_linear.py": _PROBE.format(mark=""),
             "pretrain.py": _PRETRAIN.format(mark="", clip="").replace("import builder\n", "builder = None\n")}
    res, found, expected = _check(tmp_path, files, {"GL303"})
    assert "energy" in res.facts.families()
    assert found == expected == set(), found


_OBJECTIVE = """\
import torch
import torch.nn.functional as F


def nt_xent(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = (z @ z.t()) / temperature
    sim.fill_diagonal_(-1e9)
    n = z1.size(0)
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, targets)
"""

_TRAIN_UTILS = """\
import torch
import torch.nn as nn

from objective import nt_xent


def train_contrastive(model, optimizer, loader, epochs):
    for _ in range(epochs):
        for x1, x2 in loader:
            loss = nt_xent(model(x1), model(x2))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def linear_eval(features, labels, n_class, steps=100):
    clf = nn.Linear(features.size(1), n_class)
    opt = torch.optim.SGD(clf.parameters(), lr=0.1)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(clf(features), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return clf
"""

_PRETRAIN_VIA_UTILS = """\
import torch

from utils.train_utils import train_contrastive


def main(model, loader):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3){mark}
    train_contrastive(model, optimizer, loader, epochs=100)
"""


def test_the_trainer_reaching_the_infonce_through_a_helper_module_is_the_site(tmp_path):
    # the helper module imports the objective and also trains a linear classifier: the pretraining script,
    # which reaches the objective through it, builds the energy model's optimizer
    files = {"objective.py": _OBJECTIVE, "utils/__init__.py": "", "utils/train_utils.py": _TRAIN_UTILS,
             "eval_linear.py": _PROBE.format(mark=""), "pretrain.py": _PRETRAIN_VIA_UTILS.format(mark="  # expect GL303")}
    _, found, expected = _check(tmp_path, files, {"GL303"})
    assert found == expected == {("GL303", "pretrain.py", 7)}, found


# -- a learning rate passed at the only call of a subclass is not its base's default ----------------
_LIT_VAE = """\
import pytorch_lightning as pl
import torch
import torch.nn as nn
import torch.nn.functional as F


class BaseVAE(pl.LightningModule):
    def __init__(self, n_in, n_z, beta=1.0, lr=1e-3):{mark}
        super().__init__()
        self.beta, self.lr = beta, lr
        self.enc = self.make_encoder(n_in, n_z)
        self.dec = self.make_decoder(n_z, n_in)

    def training_step(self, batch, batch_idx):
        (x,) = batch
        mu, log_var = self.enc(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * log_var.clamp(-10, 10))
        kl = -0.5 * torch.mean(1 + log_var - mu.pow(2) - log_var.exp())
        return F.mse_loss(self.dec(z), x) + self.beta * kl

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


class DenseVAE(BaseVAE):
    def make_encoder(self, n_in, n_z):
        return nn.Sequential(nn.Linear(n_in, 64), nn.ReLU(), nn.Linear(64, 2 * n_z))

    def make_decoder(self, n_z, n_in):
        return nn.Sequential(nn.Linear(n_z, 64), nn.ReLU(), nn.Linear(64, n_in))
"""

_VAE_MAIN = """\
import argparse

import pytorch_lightning as pl

from model import DenseVAE

parser = argparse.ArgumentParser()
parser.add_argument('--n-in', type=int, default=20)
parser.add_argument('--n-z', type=int, default=4)
parser.add_argument('--lr', type=float, default=1e-3){mark}
args = parser.parse_args()
vae = DenseVAE(args.n_in, args.n_z, {lr})
pl.Trainer(max_epochs=10).fit(vae)
"""


def test_a_rate_passed_at_the_subclass_call_is_reported_at_its_flag_only(tmp_path):
    files = {"model.py": _LIT_VAE.format(mark=""), "train.py": _VAE_MAIN.format(mark="  # expect GL203", lr="lr=args.lr")}
    _, found, expected = _check(tmp_path, files, {"GL203"})
    assert found == expected == {("GL203", "train.py", 10)}, found


def test_a_subclass_call_without_a_rate_trains_at_the_base_default(tmp_path):
    # near miss: the call passes the shape only, so the base's __init__ default 1e-3 is what trains
    files = {"model.py": _LIT_VAE.format(mark="  # expect GL203"),
             "train.py": _VAE_MAIN.format(mark="", lr="beta=0.5").replace(
                 "parser.add_argument('--lr', type=float, default=1e-3)\n", "")}
    _, found, expected = _check(tmp_path, files, {"GL203"})
    assert found == expected == {("GL203", "model.py", 8)}, found


# -- one unclamped log-variance exponentiated in both branches of one forward is one finding --------
_BRANCHED_VAE = """\
import torch
import torch.nn as nn


class VAE(nn.Module):
    def __init__(self, n_in=784, n_z=16):
        super().__init__()
        self.enc = nn.Linear(n_in, 2 * n_z)
        self.dec = nn.Linear(n_z, n_in)

    def forward(self, x):
        if self.training:
            mu, logvar = self.enc(x).chunk(2, dim=1)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # expect GL205
            return self.dec(z), mu, logvar
        mu, logvar = self.enc(x).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.dec(z)


def kl_term(mu, logvar):
    return -0.5 * torch.mean(torch.sum(1 + logvar - mu ** 2 - logvar.exp(), dim=1))  # expect GL205
"""


def test_the_evaluation_branch_s_copy_of_the_exp_is_related_to_the_first_not_reported_again(tmp_path):
    res, found, expected = _check(tmp_path, {"vae.py": _BRANCHED_VAE}, {"GL205"})
    assert found == expected == {("GL205", "vae.py", 14), ("GL205", "vae.py", 22)}, found
    first = next(f for f in res.findings if f.code == "GL205" and f.location.line == 14)
    assert [r.line for r in first.related] == [17]
    assert len(first.fix.edits) == 2  # both exps are clamped by its own edits


def test_exps_of_the_log_variance_in_two_functions_stay_two_findings(tmp_path):
    # near miss: the second exp is in a helper of its own (another function): reported on its own
    helper = _BRANCHED_VAE.replace(
        "        mu, logvar = self.enc(x).chunk(2, dim=1)\n        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)\n"
        "        return self.dec(z)\n",
        "        return self.dec(self.enc(x).chunk(2, dim=1)[0])\n\n"
        "    def sample_posterior(self, x):\n"
        "        mu, logvar = self.enc(x).chunk(2, dim=1)\n"
        "        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # expect GL205\n")
    assert helper != _BRANCHED_VAE
    _, found, expected = _check(tmp_path, {"vae.py": helper}, {"GL205"})
    assert found == expected and len(expected) == 3, found
