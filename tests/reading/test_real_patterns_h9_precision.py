"""Precision on GAN projects that borrow a VAE's or a classifier's pieces: an ALI/BiGAN inference network's
reparameterisation with no KL term, an auxiliary classifier's Adam, a sampling script's batch size; and an
InfoNCE written as the diagonal of a LogSoftmax over a score matrix. Each with its near miss.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_BIGAN_MODELS = """\
import torch
import torch.nn as nn


class InferenceNet(nn.Module):
    def __init__(self, z_dim=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 128), nn.LeakyReLU(0.2))
        self.fc = nn.Linear(128, 2 * z_dim)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)  # expect GL205
        eps = torch.randn_like(std)
        return eps.mul(std).add_(mu)

    def forward(self, x):
        mu, logvar = torch.chunk(self.fc(self.body(x)), 2, dim=1)
        return self.reparameterize(mu, logvar), mu, logvar


class Generator(nn.Module):
    def __init__(self, z_dim=8):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 128), nn.ReLU(), nn.Linear(128, 64), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, z_dim=8):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64 + z_dim, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))

    def forward(self, x, z):
        return self.net(torch.cat([x, z], 1))
"""

_BIGAN_TRAIN = """\
import itertools
import torch
import torch.nn.functional as F

from models import Discriminator, Generator, InferenceNet

G, E, D = Generator(), InferenceNet(), Discriminator()
opt_g = torch.optim.Adam(itertools.chain(G.parameters(), E.parameters()), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

for x in loader:
    z = torch.randn(x.size(0), 8)
    z_inf, mu, logvar = E(x)
    d_real, d_fake = D(x, z_inf), D(G(z), z)
    loss_d = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \\
        F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
    opt_d.zero_grad()
    loss_d.backward(retain_graph=True)
    opt_d.step()
    loss_g = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake)) + \\
        F.binary_cross_entropy_with_logits(d_real, torch.zeros_like(d_real))
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
"""


def test_a_bigan_inference_network_with_no_kl_term_is_no_vae(tmp_path):
    files = {"models.py": _BIGAN_MODELS.replace("  # expect GL205", ""), "train.py": _BIGAN_TRAIN}
    res, found, expected = _check(tmp_path / "bigan", files, {"GL205"})
    assert res.facts.code.logvar_exps and not res.facts.code.kl_terms  # the exp is read; no KL term is
    assert found == expected == set(), found
    # near miss: the same encoder with a KL term on its log-variance (a VAE-GAN) is a VAE's, and fires
    vaegan = _BIGAN_TRAIN.replace(
        "    loss_g = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake)) + \\\n",
        "    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())  # expect GL205\n"
        "    loss_g = kld + F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake)) + \\\n")
    res, found, expected = _check(tmp_path / "vaegan", {"models.py": _BIGAN_MODELS, "train.py": vaegan}, {"GL205"})
    assert res.facts.code.kl_terms and len(expected) == 2
    assert found == expected, (found, expected)


_GAN_MODULE = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 64), nn.Tanh())
        self.optimizer = torch.optim.Adam

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 1))
        self.optimizer = torch.optim.Adam

    def forward(self, x):
        return self.net(x)


class LogisticRegression(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(64, 10)

    def forward(self, x):
        return torch.log_softmax(self.linear(x), dim=1)
"""

_CLASSIFIER_TRAIN = """\
import argparse
import torch
import torch.nn.functional as F

from models import Discriminator, Generator, LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=2e-4)
parser.add_argument("--b1", type=float, default=0.9)
parser.add_argument("--b2", type=float, default=0.999)
args = parser.parse_args()

classifier = LogisticRegression().to("cpu")
optimizer_c = torch.optim.Adam(classifier.parameters(), lr=args.lr, betas=(args.b1, args.b2))
generator, discriminator = Generator(), Discriminator()
optimizer_g = generator.optimizer(generator.parameters(), lr=args.lr, betas=(0.5, 0.999))
optimizer_d = discriminator.optimizer(discriminator.parameters(), lr=args.lr, betas=(0.5, 0.999))

for x, y in loader:
    loss = F.nll_loss(classifier(x), y)
    optimizer_c.zero_grad()
    loss.backward()
    optimizer_c.step()
    fake = generator(torch.randn(x.size(0), 8))
    d_loss = F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(x.size(0), 1)) + \\
        F.binary_cross_entropy_with_logits(discriminator(fake.detach()), torch.zeros(x.size(0), 1))
    optimizer_d.zero_grad()
    d_loss.backward()
    optimizer_d.step()
"""


def test_the_adam_of_a_classifier_beside_a_gan_is_no_players(tmp_path):
    files = {"models.py": _GAN_MODULE, "train.py": _CLASSIFIER_TRAIN}
    res, found, expected = _check(tmp_path / "clf", files, {"GL112"})
    # the players' optimizers are the classes their networks store (`self.optimizer = torch.optim.Adam`)
    assert "gan" in res.facts.families() and [(o.var, o.role) for o in res.facts.code.optimizers] == [
        ("optimizer_c", None), ("optimizer_g", "generator"), ("optimizer_d", "critic")]
    assert found == expected == set(), found
    # near miss: the same Adam over the discriminator, with the same beta1 = 0.9 from --b1, is a player's
    disc = _CLASSIFIER_TRAIN.replace(
        "optimizer_c = torch.optim.Adam(classifier.parameters(), lr=args.lr, betas=(args.b1, args.b2))",
        "optimizer_c = torch.optim.Adam(discriminator.parameters(), lr=args.lr, betas=(args.b1, args.b2))  # expect GL112")
    res, found, expected = _check(tmp_path / "disc", {"models.py": _GAN_MODULE, "train.py": disc}, {"GL112"})
    assert len(expected) == 1 and found == expected, (found, expected)


_GAN_TRAIN = """\
import argparse
import torch
import torch.nn.functional as F

from models import Discriminator, Generator

parser = argparse.ArgumentParser()
parser.add_argument("--batchsize", type=int, default=64)
args = parser.parse_args()

generator, discriminator = Generator(), Discriminator()
opt_g = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
loader = torch.utils.data.DataLoader(dataset, batch_size=args.batchsize, shuffle=True)
for x in loader:
    fake = generator(torch.randn(x.size(0), 8))
    d_loss = F.binary_cross_entropy_with_logits(discriminator(x), torch.ones(x.size(0), 1)) + \\
        F.binary_cross_entropy_with_logits(discriminator(fake.detach()), torch.zeros(x.size(0), 1))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = F.binary_cross_entropy_with_logits(discriminator(fake), torch.ones(x.size(0), 1))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
"""

_INFER = """\
import argparse
from pathlib import Path

import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gen_model_file", type=Path)
    parser.add_argument("--n_row", type=int, default=10)
    parser.add_argument("--batchsize", "-b", type=int, default=10)
    args = parser.parse_args()
    gen = torch.load(args.gen_model_file, map_location="cpu")
    gen.eval()
    with torch.no_grad():
        images = gen(torch.randn(args.batchsize, 8))
    torch.save(images, "samples.pt")


if __name__ == "__main__":
    main()
"""


def test_the_batch_of_a_script_that_only_samples_is_no_training_batch(tmp_path):
    files = {"models.py": _GAN_MODULE, "train.py": _GAN_TRAIN, "infer.py": _INFER}
    res, found, expected = _check(tmp_path / "infer", files, {"GL106"})
    assert "gan" in res.facts.families() and any(s.leaf == "batchsize" and s.value == 10 for s in res.facts.settings)
    assert found == expected == set(), found
    # near miss: a script of the same shape that fine-tunes the generator (an optimizer, a step) trains with it
    tune = _INFER.replace("    gen.eval()\n    with torch.no_grad():\n        images = gen(torch.randn(args.batchsize, 8))\n",
                          "    opt = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.5, 0.999))\n"
                          "    images = gen(torch.randn(args.batchsize, 8))\n"
                          "    opt.zero_grad()\n    images.mean().backward()\n    opt.step()\n")
    tune = tune.replace('default=10)\n    args', 'default=10)  # expect GL106\n    args')
    res, found, expected = _check(tmp_path / "tune", {**files, "infer.py": tune}, {"GL106"})
    assert len(expected) == 1 and found == expected, (found, expected)


_CPC_MODEL = """\
import torch
import torch.nn as nn


class CPC(nn.Module):
    def __init__(self, timestep=4, dim=64):
        super().__init__()
        self.timestep = timestep
        self.encoder = nn.Sequential(nn.Conv1d(1, dim, 10, stride=5), nn.ReLU())
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.Wk = nn.ModuleList([nn.Linear(dim, dim) for _ in range(timestep)])
        self.lsoftmax = nn.LogSoftmax(dim=1)

    def forward(self, x):
        batch = x.size(0)
        z = self.encoder(x).transpose(1, 2)
        t = z.size(1) - self.timestep - 1
        c, _ = self.gru(z[:, :t + 1, :])
        ct = c[:, t, :]
        nce = 0
        for k in range(self.timestep):
            pred = self.Wk[k](ct)
            total = torch.mm(z[:, t + k + 1, :], torch.transpose(pred, 0, 1))
            nce += torch.sum(torch.diag(self.lsoftmax(total)))
        return nce / (-1.0 * batch * self.timestep)
"""

_CPC_MAIN = """\
import torch
import torch.optim as optim

from model import CPC

model = CPC()
optimizer = optim.Adam(model.parameters(), lr=2e-4, betas=(0.9, 0.98), eps=1e-9)  # expect GL303

for x in loader:
    loss = model(x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""

_CLASSIFIER_MODEL = """\
import torch
import torch.nn as nn


class SpeakerClassifier(nn.Module):
    def __init__(self, dim=64, n_speakers=10):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, n_speakers))
        self.lsoftmax = nn.LogSoftmax(dim=1)

    def forward(self, x):
        return self.lsoftmax(self.fc(x))
"""

_CLASSIFIER_MAIN = """\
import torch
import torch.nn.functional as F
import torch.optim as optim

from model import SpeakerClassifier

model = SpeakerClassifier()
optimizer = optim.Adam(model.parameters(), lr=2e-4)

for x, y in loader:
    loss = F.nll_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_cpc_infonce_as_the_diagonal_of_a_log_softmax_over_scores(tmp_path):
    res, found, expected = _check(tmp_path / "cpc", {"model.py": _CPC_MODEL, "main.py": _CPC_MAIN}, {"GL303"})
    assert [(m.location.file.rsplit("/", 1)[-1], m.location.line) for m in res.facts.code.infonce] == [("model.py", 24)]
    assert len(expected) == 1 and found == expected, (found, expected)
    # near misses: a classifier's LogSoftmax over a linear layer, and its diagonal (a confusion-style read-out)
    res, found, _ = _check(tmp_path / "clf", {"model.py": _CLASSIFIER_MODEL, "main.py": _CLASSIFIER_MAIN}, {"GL303"})
    assert found == set() and res.facts.code.infonce == [] and "energy" not in res.facts.families()
    diag = _CLASSIFIER_MODEL.replace("        return self.lsoftmax(self.fc(x))",
                                     "        return torch.diag(self.lsoftmax(self.fc(x)))")
    res, found, _ = _check(tmp_path / "diag", {"model.py": diag, "main.py": _CLASSIFIER_MAIN}, {"GL303"})
    assert found == set() and res.facts.code.infonce == []


_LAUNCHER = """\
import argparse

from train import train

parser = argparse.ArgumentParser()
parser.add_argument("--batch-size", type=int, default=32)  # expect GL106
args = parser.parse_args()
train(batch_size=args.batch_size)
"""

def test_a_launcher_calling_the_projects_training_function_trains(tmp_path):
    # main.py holds the flags and calls train() of train.py, which builds the optimizers: its batch is the
    # training batch, not a sampler's (a script that trains nothing must import no file that trains)
    import textwrap

    body = _GAN_TRAIN.split("generator, discriminator = ", 1)[1]
    train_fn = ("import torch\nimport torch.nn.functional as F\n\nfrom models import Discriminator, Generator\n\n\n"
                "def train(batch_size):\n    generator, discriminator = "
                + textwrap.indent(body, "    ").lstrip().replace("args.batchsize", "batch_size"))
    files = {"models.py": _GAN_MODULE, "train.py": train_fn, "main.py": _LAUNCHER}
    res, found, expected = _check(tmp_path, files, {"GL106"})
    assert len(expected) == 1 and found == expected, (found, expected)
