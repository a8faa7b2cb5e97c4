"""Contrastive (InfoNCE) training in public code: a loss module that builds the logits from a similarity matrix a
few assignments back and returns them with class targets for the caller's cross-entropy, a critic holding
`nn.CosineSimilarity` under its own name, a Lightning module whose optimizer sits in a base class; each with near
misses that stay silent (Lightning's `gradient_clip_val`, a temperature-scaled classifier, attention).

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_CODES = {"GL302", "GL303"}

_LOSS = """\
import torch
import torch.nn.functional as F
from torch import nn


class NTXent(nn.Module):
    def __init__(self, temperature):
        super().__init__()
        self.temperature = temperature

    @staticmethod
    def pair_logits(feats, n, temperature):
        ids = torch.cat([torch.arange(n), torch.arange(n)])
        same = (ids[None, :] == ids[:, None]).float()
        feats = F.normalize(feats, dim=1)
        sim = torch.matmul(feats, feats.T)
        off = ~torch.eye(2 * n, dtype=torch.bool)
        same = same[off].view(2 * n, -1)
        sim = sim[off].view(2 * n, -1)
        pos = sim[same.bool()].view(2 * n, -1)
        neg = sim[~same.bool()].view(2 * n, -1)
        logits = torch.cat([pos, neg], dim=1)
        targets = torch.zeros(2 * n, dtype=torch.long).to(feats.device)
        logits = logits / temperature
        return logits, targets

    def forward(self, feats):
        return NTXent.pair_logits(feats, feats.size(0) // 2, self.temperature)
"""

_BASE = """\
import pytorch_lightning as pl
import torch


class BaseModule(pl.LightningModule):
    def __init__(self, lr):
        super().__init__()
        self.lr = lr

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.lr){mark}
        return [opt], [torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)]
"""

_MODULE = """\
import torch

from base import BaseModule
from loss import NTXent


class ContrastiveModule(BaseModule):
    def __init__(self, encoder, lr=1e-3, temperature=0.07):
        super().__init__(lr)
        self.encoder = encoder
        self.nce = NTXent(temperature)
        self.criterion = torch.nn.CrossEntropyLoss()

    def training_step(self, batch, batch_idx):
        logits, targets = self.nce(self.encoder(batch))
        return self.criterion(logits, targets)
"""

_SCRIPT = """\
import argparse

import pytorch_lightning as pl
import torch.nn as nn

from module import ContrastiveModule

parser = argparse.ArgumentParser()
parser.add_argument('--temperature', default=0.07, type=float){mark}
parser.add_argument('--lr', default=3e-4, type=float)
args = parser.parse_args()

if __name__ == "__main__":
    model = ContrastiveModule(nn.Linear(32, 16), lr=args.lr, temperature=args.temperature)
    trainer = pl.Trainer(max_epochs=100{clip})
    trainer.fit(model)
"""


# the repository's prediction script repeats the flags and trains nothing: the training script's GL302 is reported
_PREDICT = _SCRIPT.format(mark="", clip="").replace("trainer.fit(model)", "trainer.predict(model)")


def _lightning(mark_opt: str, mark_tau: str, clip: str = "") -> dict[str, str]:
    return {"loss.py": _LOSS, "base.py": _BASE.format(mark=mark_opt), "module.py": _MODULE,
            "train.py": _SCRIPT.format(mark=mark_tau, clip=clip), "predict.py": _PREDICT}


def test_lightning_infonce_module_with_its_optimizer_in_a_base_class(tmp_path):
    res, found, expected = _check(tmp_path / "bare", _lightning("  # expect GL303", "  # expect GL302"), _CODES)
    assert found == expected and len(expected) == 2, (found, expected)
    assert [m.location.file.rsplit("/", 1)[-1] for m in res.facts.code.infonce] == ["loss.py"]
    # Lightning clips for the module when the Trainer is given gradient_clip_val: GL303 stays silent
    res, found, expected = _check(tmp_path / "clip", _lightning("", "  # expect GL302", ", gradient_clip_val=0.5"), _CODES)
    assert found == expected and {c for c, _, _ in found} == {"GL302"}, (found, expected)


_CRITIC = """\
import torch
from torch import nn


class PairCritic(nn.Module):
    def __init__(self, dim, temperature=0.5):
        super().__init__()
        self.temperature = temperature
        self.proj = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, 64))
        self.cos_sim = nn.CosineSimilarity(dim=-1)

    def forward(self, h1, h2):
        z1, z2 = self.proj(h1), self.proj(h2)
        scores = self.cos_sim(z1.unsqueeze(1), z2.unsqueeze(0)) / self.temperature
        labels = torch.arange(scores.size(0), device=scores.device)
        return scores, labels
"""

_TRAIN = """\
import torch
import torch.nn as nn
import torch.optim as optim

from critic import PairCritic

backbone = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 128))
critic = PairCritic(128, temperature=0.5)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(list(backbone.parameters()) + list(critic.parameters()), lr=0.3, momentum=0.9){mark}

for x1, x2 in [(torch.randn(8, 32), torch.randn(8, 32))]:
    optimizer.zero_grad()
    scores, labels = critic(backbone(x1), backbone(x2))
    loss = criterion(scores, labels)
    loss.backward(){clip}
    optimizer.step()
"""


def test_a_critic_holding_cosine_similarity_returns_logits_and_diagonal_targets(tmp_path):
    res, found, expected = _check(tmp_path / "bare", {"critic.py": _CRITIC, "train.py": _TRAIN.format(
        mark="  # expect GL303", clip="")}, _CODES)
    assert found == expected and len(expected) == 1, (found, expected)
    clip = "\n    torch.nn.utils.clip_grad_norm_(backbone.parameters(), 1.0)"
    res, found, _ = _check(tmp_path / "clip", {"critic.py": _CRITIC, "train.py": _TRAIN.format(mark="", clip=clip)}, _CODES)
    assert found == set(), found


def test_near_misses_a_temperature_scaled_classifier_and_attention_are_no_infonce(tmp_path):
    classifier = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Calibrated(nn.Module):
    def __init__(self, temperature=0.05):
        super().__init__()
        self.temperature = temperature
        self.head = nn.Linear(32, 10)

    def forward(self, x, y):
        logits = self.head(x)
        logits = logits / self.temperature
        return F.cross_entropy(logits, y)


class Attention(nn.Module):
    def __init__(self, temperature=0.05):
        super().__init__()
        self.temperature = temperature

    def forward(self, q, k, v):
        attn = torch.matmul(q, k.transpose(-1, -2)) / self.temperature
        return attn.softmax(-1) @ v, torch.arange(q.size(1))[None]


model = Calibrated()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
"""
    res, found, _ = _check(tmp_path / "cls", {"model.py": classifier}, _CODES)
    assert found == set() and res.facts.code.infonce == [], (found, res.facts.code.infonce)


_PAIR_NET = """\
import torch.nn as nn


class ContrastNet(nn.Module):
    def __init__(self, dim=128):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 256))
        self.head = nn.Linear(256, dim)

    def forward(self, x):
        h = self.enc(x)
        return h, self.head(h)
"""

_PRETRAIN = """\
import torch
import torch.nn.functional as F

from models import ContrastNet


def nt_xent(z, t=0.5):
    z = F.normalize(z, dim=1)
    scores = z @ z.t()
    logits = scores / t
    logits = logits - torch.eye(z.size(0)) * 1e5
    targets = torch.arange(z.size(0)) ^ 1
    return F.cross_entropy(logits, targets)


model = ContrastNet().cuda()
optimizer = torch.optim.SGD(model.parameters(), 0.3, momentum=0.9)  # expect GL303
for x in [torch.randn(16, 32)]:
    optimizer.zero_grad()
    _, z = model(x)
    loss = nt_xent(z)
    loss.backward()
    optimizer.step()
"""

_LINEAR_EVAL = """\
import torch
import torch.nn as nn
import torch.nn.functional as F

from models import ContrastNet


class LinearEval(nn.Module):
    def __init__(self, encoder, feature_dim, n_classes):
        super().__init__()
        self.enc = encoder
        self.lin = nn.Linear(feature_dim, n_classes)

    def forward(self, x):
        return self.lin(self.enc(x))


pre = ContrastNet()
model = LinearEval(pre.enc, 256, 10)
optimizer = torch.optim.SGD(model.lin.parameters(), 0.2, momentum=0.9)
for x, y in [(torch.randn(16, 32), torch.randint(0, 10, (16,)))]:
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
"""


def test_the_linear_evaluation_script_beside_the_pretraining_is_not_the_energy_trainer(tmp_path):
    # both scripts name their network `model`: the linear probe's `model = LinearEval(...)` (a classifier
    # head) must not decide the role of the pretraining script's `model = ContrastNet().cuda()`
    res, found, expected = _check(tmp_path / "two", {"models.py": _PAIR_NET, "pretrain.py": _PRETRAIN,
                                                     "linear_eval.py": _LINEAR_EVAL}, _CODES)
    assert found == expected and len(expected) == 1, (found, expected)
