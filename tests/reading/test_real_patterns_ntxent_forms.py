"""Hand-written NT-Xent losses in the two forms public SimCLR code writes besides `cross_entropy(logits / tau)`:
the softmax spelled out with exp and log (`-log(exp(pos / tau) / sum(mask * exp(sim / tau)))`), and the
temperature folded into the normalised embeddings (`z = F.normalize(z) / sqrt(tau)`, `log_softmax(z @ z.t())`).
The network they train is called `encoder`, which in a project without a VAE is the contrastive model.
Near misses stay silent: a VAE's encoder (its KL has exp and log), a classifier's log-softmax over a linear layer
after normalised features.

`# expect GLnnn` marks each line where that finding must be reported; the findings of the codes a test names are
exactly the marked lines (projects written in real repositories' styles, not copied from any).
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_CODES = {"GL303", "GL304"}

_EXP_LOG_LOSS = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class PairLoss(nn.Module):
    def __init__(self, batch_size, temperature=0.5):
        super().__init__()
        self.batch_size = batch_size
        self.temperature = temperature
        self.register_buffer("neg_mask", (~torch.eye(2 * batch_size, dtype=torch.bool)).float())

    def forward(self, emb_i, emb_j):
        reps = torch.cat([F.normalize(emb_i, dim=1), F.normalize(emb_j, dim=1)], dim=0)
        sims = F.cosine_similarity(reps.unsqueeze(1), reps.unsqueeze(0), dim=2)
        pos = torch.cat([torch.diag(sims, self.batch_size), torch.diag(sims, -self.batch_size)])
        top = torch.exp(pos / self.temperature)
        bottom = self.neg_mask * torch.exp(sims / self.temperature)
        return torch.sum(-torch.log(top / torch.sum(bottom, dim=1))) / (2 * self.batch_size)
"""

_SCRIPT = """\
import torch
import torch.nn as nn
from pair_loss import PairLoss

encoder = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 16))
criterion = PairLoss(128)
optimizer = torch.optim.SGD(encoder.parameters(), lr=0.1, momentum=0.9)  # expect GL303 GL304
for step in range(100):
    x = torch.randn(128, 32)
    loss = criterion(encoder(x + 0.1 * torch.randn_like(x)), encoder(x + 0.1 * torch.randn_like(x)))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""

_FOLDED_LOSS = """\
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiViewLoss(nn.Module):
    def __init__(self, tau=0.5, views=2):
        super().__init__()
        self.tau, self.views = tau, views

    def forward(self, z):
        n = z.shape[0]
        z = F.normalize(z, p=2, dim=1) / np.sqrt(self.tau)
        logits = z @ z.t()
        logits[np.arange(n), np.arange(n)] = -1e9
        logprob = F.log_softmax(logits, dim=1)
        m = self.views
        labels = (np.repeat(np.arange(n), m) + np.tile(np.arange(m) * n // m, n)) % n
        labels = labels.reshape(n, m)[:, 1:].reshape(-1)
        return -logprob[np.repeat(np.arange(n), m - 1), labels].sum() / n / (m - 1)
"""

_TRAINER = """\
import torch
import torch.nn as nn
from multiview import MultiViewLoss


class Pretrainer:
    def __init__(self, args):
        self.encoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 64))
        self.criterion = MultiViewLoss(tau=args.tau)
        self.optimizer = torch.optim.Adam(self.encoder.parameters(), lr=args.lr)  # expect GL303
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: min(1.0, (s + 1) / 500))

    def train_step(self, views):
        loss = self.criterion(self.encoder(torch.cat(views)))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        return loss.item()
"""


def test_exp_log_ntxent_trains_an_encoder_without_clipping(tmp_path):
    _, found, expected = _check(tmp_path, {"pair_loss.py": _EXP_LOG_LOSS, "train.py": _SCRIPT}, _CODES)
    assert expected and found == expected


def test_temperature_folded_into_normalised_embeddings(tmp_path):
    _, found, expected = _check(tmp_path, {"multiview.py": _FOLDED_LOSS, "pretrain.py": _TRAINER}, _CODES)
    assert expected and found == expected


_VAE = """\
import torch
import torch.nn as nn
import torch.nn.functional as F

encoder = nn.Linear(784, 40)
decoder = nn.Linear(20, 784)
optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-4)


def loss_fn(x):
    mu, logvar = encoder(x).chunk(2, dim=1)
    z = mu + torch.exp(0.5 * logvar.clamp(-10, 10)) * torch.randn_like(mu)
    rec = F.binary_cross_entropy(torch.sigmoid(decoder(z)), x, reduction="sum")
    sims = F.normalize(z, dim=1) @ F.normalize(z, dim=1).t()
    spread = torch.log(torch.exp(sims / 0.5).sum(1)).mean()  # a diagnostic of the codes, logged
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.clamp(-10, 10).exp())
    return rec + kld, spread


for x in [torch.rand(16, 784)]:
    loss, _ = loss_fn(x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""

_CLASSIFIER = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Probe(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(32, 64)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        h = F.normalize(self.body(x), dim=1)
        return F.log_softmax(self.fc(h), dim=1)


encoder = Probe()
optimizer = torch.optim.SGD(encoder.parameters(), lr=0.1)
for x, y in [(torch.randn(8, 32), torch.randint(0, 10, (8,)))]:
    loss = F.nll_loss(encoder(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_near_misses_a_vae_encoder_and_a_normalised_classifier(tmp_path):
    _, found, _ = _check(tmp_path / "vae", {"vae.py": _VAE}, _CODES)
    assert not found
    _, found, _ = _check(tmp_path / "probe", {"probe.py": _CLASSIFIER}, _CODES)
    assert not found
