"""InfoNCE / NCE training whose loss is split over modules: a memory bank computing `exp(sim / T)` with T read
back from a buffer its constructor registered (the temperature passed in as `--nce_t`), a CLIP-style model whose
learnable temperature starts at `nn.Parameter(torch.tensor(0.07))` and whose `forward` returns the logits for the
training script's cross-entropy, and a SimCLR method file beside a classifier method with its own step decay.
Near misses stay silent: a sampling temperature over a linear layer's logits, attention over a temperature, a
calibration temperature, a warm-up that is really there, a scheduler with warm-up and a clip.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_CODES = {"GL302", "GL303", "GL304"}

_BANK = """\
import math

import torch
from torch import nn


class MemoryBank(nn.Module):
    def __init__(self, dim, n_data, K, T=0.07, momentum=0.5):
        super(MemoryBank, self).__init__()
        self.K = K
        self.register_buffer('params', torch.tensor([K, T, -1, momentum]))
        stdv = 1. / math.sqrt(dim / 3)
        self.register_buffer('memory', torch.rand(n_data, dim).mul_(2 * stdv).add_(-stdv))

    def forward(self, x, y, idx):
        K = int(self.params[0].item())
        T = self.params[1].item()
        Z = self.params[2].item()
        b, d = x.size(0), x.size(1)
        weight = torch.index_select(self.memory, 0, idx.view(-1)).view(b, K + 1, d)
        out = torch.bmm(weight, x.view(b, d, 1))
        out = torch.exp(torch.div(out, T))
        if Z < 0:
            self.params[2] = out.mean() * self.memory.size(0)
            Z = self.params[2].item()
        return torch.div(out, Z).squeeze().contiguous()
"""

_CRITERION = """\
import torch
from torch import nn


class NCECriterion(nn.Module):
    def __init__(self, n_data):
        super(NCECriterion, self).__init__()
        self.n_data = n_data

    def forward(self, x):
        m = x.size(1) - 1
        pn = 1 / float(self.n_data)
        log_d1 = torch.div(x.select(1, 0), x.select(1, 0).add(m * pn + 1e-7)).log_()
        log_d0 = torch.div(x.narrow(1, 1, m).clone().fill_(m * pn), x.narrow(1, 1, m).add(m * pn + 1e-7)).log_()
        return -(log_d1.sum(0) + log_d0.view(-1, 1).sum(0)) / x.shape[0]
"""

_UTIL = """\
import numpy as np


def adjust_learning_rate(epoch, opt, optimizer):
    steps = np.sum(epoch > np.asarray(opt.lr_decay_epochs))
    if steps > 0:
        new_lr = opt.learning_rate * (opt.lr_decay_rate ** steps)
        for param_group in optimizer.param_groups:
            param_group['lr'] = new_lr
"""

_WARM_UTIL = _UTIL + """\


def warmup_learning_rate(opt, epoch, idx, n_iters, optimizer):
    if epoch <= opt.warm_epochs:
        lr = opt.learning_rate * (idx + (epoch - 1) * n_iters) / (opt.warm_epochs * n_iters)
        for param_group in optimizer.param_groups:
            param_group['lr'] = lr
"""

_TRAIN_NCE = """\
import argparse

import torch

from nce.memory import MemoryBank
from nce.criterion import NCECriterion
from util import adjust_learning_rate{imports}

parser = argparse.ArgumentParser('instance discrimination')
parser.add_argument('--learning_rate', type=float, default=0.03)
parser.add_argument('--lr_decay_epochs', type=str, default='120,160,200')
parser.add_argument('--lr_decay_rate', type=float, default=0.1)
parser.add_argument('--warm', action='store_true', help='add warm-up setting')
parser.add_argument('--warm_epochs', type=int, default=5)
parser.add_argument('--nce_k', type=int, default=4096)
parser.add_argument('--nce_t', type=float, default={tau}){mark_tau}
args = parser.parse_args()
if args.warm:
    args.model_name = 'model_warm'


def main():
    model = torch.nn.Sequential(torch.nn.Linear(64, 128))
    contrast = MemoryBank(128, 1000, args.nce_k, args.nce_t)
    criterion = NCECriterion(1000)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.learning_rate, momentum=0.9){mark_opt}
    for epoch in range(1, 241):
        adjust_learning_rate(epoch, args, optimizer)
        for idx, (x, _, index) in enumerate([(torch.randn(8, 64), None, torch.arange(8))]):{warm}
            out = contrast(model(x), index, torch.randint(0, 1000, (8, 4097)))
            loss = criterion(out)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


if __name__ == '__main__':
    main()
"""

_PROBE = """\
import argparse

import torch
import torch.nn.functional as F

from util import adjust_learning_rate

parser = argparse.ArgumentParser('linear probing')
parser.add_argument('--learning_rate', type=float, default=0.1)
parser.add_argument('--lr_decay_epochs', type=str, default='30,40')
parser.add_argument('--lr_decay_rate', type=float, default=0.2)
args = parser.parse_args()

classifier = torch.nn.Linear(128, 1000)
optimizer = torch.optim.SGD(classifier.parameters(), lr=args.learning_rate, momentum=0.9)
for epoch in range(1, 61):
    adjust_learning_rate(epoch, args, optimizer)
    for x, y in [(torch.randn(8, 128), torch.randint(0, 1000, (8,)))]:
        loss = F.cross_entropy(classifier(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


# a helper module holding both the bank's builder and a fine-tuning epoch; the fine-tuning script imports it
# (so it reaches the NCE module) but trains a classifier with cross-entropy: no energy trainer of its own
_TRAINERS = """\
import torch.nn.functional as F

from nce.memory import MemoryBank


def make_bank(args, n_data):
    return MemoryBank(128, n_data, args.nce_k, args.nce_t)


def finetune_epoch(model, loader, optimizer):
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""

_FINETUNE = """\
import torch

from trainers import finetune_epoch

model = torch.nn.Linear(128, 10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(30):
    finetune_epoch(model, [(torch.randn(8, 128), torch.randint(0, 10, (8,)))], optimizer)
"""


# a script importing the NCE module itself, loading a trained bank for its nearest-neighbour labels and
# training a classifier on them: it builds the bank but never runs it in a loss
_KNN = """\
import torch
import torch.nn.functional as F

from nce.memory import MemoryBank

bank = MemoryBank(128, 1000, 4096)
bank.load_state_dict(torch.load('bank.pth'))
head = torch.nn.Linear(128, 10)
optimizer = torch.optim.Adam(head.parameters(), lr=1e-3)
for x, y in [(torch.randn(8, 128), torch.randint(0, 10, (8,)))]:
    loss = F.cross_entropy(head(x @ bank.memory[:128].t()), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def _nce(tau: str = "0.07", warm: bool = False) -> dict[str, str]:
    mark_tau = "  # expect GL302" if float(tau) < 0.1 else ""
    mark_opt = "  # expect GL303" if warm else "  # expect GL303 GL304"
    train = _TRAIN_NCE.format(
        tau=tau, mark_tau=mark_tau, mark_opt=mark_opt,
        imports=", warmup_learning_rate" if warm else "",
        warm="\n            warmup_learning_rate(args, epoch, idx, 100, optimizer)" if warm else "")
    return {"nce/__init__.py": "", "nce/memory.py": _BANK, "nce/criterion.py": _CRITERION,
            "util.py": _WARM_UTIL if warm else _UTIL, "train_ins.py": train,
            "train_cmc.py": train.replace("instance discrimination", "multiview coding"), "probe.py": _PROBE,
            "trainers.py": _TRAINERS, "finetune.py": _FINETUNE,
            "classify_knn.py": _KNN}


def test_a_memory_bank_nce_temperature_passed_as_a_flag_each_training_script_reported(tmp_path):
    res, found, expected = _check(tmp_path / "bare", _nce(), _CODES)
    assert found == expected and len(expected) == 6, (found, expected)
    assert [m.location.file.rsplit("/", 1)[-1] for m in res.facts.code.infonce] == ["memory.py"]
    # the constructor's own default is replaced at every call: it is no setting of its own
    temps = sorted((s.location.file.rsplit("/", 1)[-1], s.location.line) for s in res.facts.settings_for("temperature"))
    assert temps == [("train_cmc.py", 16), ("train_ins.py", 16)], temps


def test_near_misses_a_usual_temperature_and_a_warm_up_that_runs(tmp_path):
    res, found, expected = _check(tmp_path / "tau", _nce(tau="0.2"), _CODES)
    assert found == expected and {c for c, _, _ in found} == {"GL303", "GL304"}, (found, expected)
    res, found, expected = _check(tmp_path / "warm", _nce(warm=True), _CODES)
    assert found == expected and {c for c, _, _ in found} == {"GL302", "GL303"}, (found, expected)


def test_a_memory_bank_beside_a_sampling_temperature_over_a_linear_layer(tmp_path):
    sampler = """\
import torch
from torch import nn


class Policy(nn.Module):
    def __init__(self, n_actions, temperature=0.05):
        super().__init__()
        self.temperature = temperature
        self.head = nn.Linear(64, n_actions)

    def forward(self, x):
        logits = self.head(x)
        weights = torch.exp(torch.div(logits, self.temperature))
        return weights / weights.sum(-1, keepdim=True)


policy = Policy(6, temperature=0.05)
opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
for x in [torch.randn(4, 64)]:
    loss = -policy(x).max(-1).values.log().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
"""
    res, found, _ = _check(tmp_path / "policy", {"policy.py": sampler}, _CODES)
    assert found == set() and res.facts.code.infonce == [], (found, res.facts.code.infonce)
    # the same policy file beside the NCE project adds nothing: its script imports no InfoNCE module
    res, found, expected = _check(tmp_path / "both", {**_nce(), "policy.py": sampler}, _CODES)
    assert found == expected and len(expected) == 6, (found, expected)


_CLIP_MODEL = """\
import torch
import torch.nn as nn


class PairModel(nn.Module):
    def __init__(self, embed_dim=512):
        super(PairModel, self).__init__()
        self.image_encoder = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 1024), nn.ReLU())
        self.image_proj = nn.Linear(1024, embed_dim)
        self.text_proj = nn.Linear(768, embed_dim)
        self.temperature = nn.Parameter(torch.tensor({tau})){mark}

    def forward(self, image, text_feat):
        image_embed = self.image_proj(self.image_encoder(image))
        image_embed = image_embed / image_embed.norm(dim=1, keepdim=True)
        text_embed = self.text_proj(text_feat)
        text_embed = text_embed / text_embed.norm(dim=1, keepdim=True)
        logits = torch.matmul(image_embed, text_embed.T) / self.temperature
        return logits
"""

_CLIP_TRAIN = """\
import torch
import torch.nn as nn
import yaml

from pair_model import PairModel

with open("config.yaml") as f:
    config = yaml.safe_load(f)

model = PairModel(embed_dim=config['embed_dim'])
optimizer = torch.optim.AdamW(model.parameters(), lr=config['lr']){mark}{sched}
loss_fn = nn.CrossEntropyLoss()

for epoch in range(config['epochs']):
    for image, text_feat in [(torch.randn(2, 3, 32, 32), torch.randn(2, 768))]:
        logits = model(image, text_feat)
        labels = torch.arange(len(logits))
        loss = (loss_fn(logits, labels) + loss_fn(logits.T, labels)) / 2
        optimizer.zero_grad()
        loss.backward(){clip}
        optimizer.step(){step}
"""


def _clip(tau: str = "0.07", healthy: bool = False) -> dict[str, str]:
    train = _CLIP_TRAIN.format(
        mark="" if healthy else "  # expect GL303 GL304",
        sched="\nscheduler = get_cosine_schedule_with_warmup(optimizer, 500, 10000)" if healthy else "",
        clip="\n        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)" if healthy else "",
        step="\n        scheduler.step()" if healthy else "")
    if healthy:
        train = train.replace("import yaml\n", "import yaml\nfrom transformers import get_cosine_schedule_with_warmup\n")
    mark = "  # expect GL302" if float(tau) < 0.1 else ""
    return {"pair_model.py": _CLIP_MODEL.format(tau=tau, mark=mark), "train.py": train,
            "config.yaml": "embed_dim: 512\nbatch_size: 2\nepochs: 10\nlr: 5.0e-5\n"}


def test_a_clip_model_returning_logits_over_a_learnable_temperature(tmp_path):
    res, found, expected = _check(tmp_path / "bare", _clip(), _CODES)
    assert found == expected and len(expected) == 3, (found, expected)
    res, found, expected = _check(tmp_path / "healthy", _clip(tau="0.3", healthy=True), _CODES)
    assert found == set() and [m.location.file.rsplit("/", 1)[-1] for m in res.facts.code.infonce] == ["pair_model.py"]


def test_a_clip_model_beside_attention_and_a_calibration_temperature(tmp_path):
    model = """\
import torch
import torch.nn as nn


class ScaledDotProductAttention(nn.Module):
    def __init__(self, temperature):
        super().__init__()
        self.temperature = temperature

    def forward(self, q, k, v):
        attn = torch.matmul(q, k.transpose(2, 3)) / self.temperature
        return torch.matmul(torch.softmax(attn, dim=-1), v)


class Calibrated(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.temperature = nn.Parameter(torch.tensor(0.05))

    def forward(self, x):
        logits = self.model(x)
        return logits / self.temperature


net = Calibrated(nn.Sequential(nn.Linear(16, 10)))
attention = ScaledDotProductAttention(temperature=0.05)
optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
for x, y in [(torch.randn(4, 16), torch.randint(0, 10, (4,)))]:
    loss = nn.functional.cross_entropy(net(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""
    res, found, _ = _check(tmp_path / "attn", {"model.py": model}, _CODES)
    assert found == set() and res.facts.code.infonce == [], (found, res.facts.code.infonce)
    res, found, expected = _check(tmp_path / "both", {**_clip(), "model.py": model}, _CODES)
    assert found == expected and len(expected) == 3, (found, expected)


_SIMCLR = """\
import torch
from torch import nn
from torch.optim import Adam


class Model(torch.nn.Module):
    def __init__(self, feature_extractor):
        super(Model, self).__init__()
        self.net = feature_extractor
        self.head = nn.Sequential(nn.Linear(128, 256), nn.LeakyReLU(), nn.Linear(256, 64))
        self.optimizer = Adam([{{"params": self.net.parameters(), "lr": 0.001}}, {{"params": self.head.parameters(), "lr": 0.001}}]){mark}

    def return_loss_fn(self, x, t=0.5, eps=1e-8):
        n = torch.norm(x, p=2, dim=1, keepdim=True)
        x = (x @ x.t()) / (n * n.t()).clamp(min=eps)
        x = torch.exp(x / t)
        idx = torch.arange(x.size()[0])
        idx[::2] += 1
        idx[1::2] -= 1
        x = x[idx]
        x = x.diag() / (x.sum(0) - torch.exp(torch.tensor(1 / t)))
        return -torch.log(x.mean())

    def train(self, epoch, train_loader):
        for data in train_loader:{warm}
            self.optimizer.zero_grad()
            loss = self.return_loss_fn(self.head(self.net(data)))
            loss.backward()
            self.optimizer.step()
"""

_STANDARD = """\
import torch
from torch import nn
from torch.optim import SGD


class StandardModel(torch.nn.Module):
    def __init__(self, feature_extractor, num_classes, tot_epochs=200):
        super(StandardModel, self).__init__()
        self.tot_epochs = tot_epochs
        self.feature_extractor = feature_extractor
        self.classifier = nn.Linear(128, num_classes)
        self.ce = torch.nn.CrossEntropyLoss()
        self.optimizer = SGD([{"params": self.feature_extractor.parameters(), "lr": 0.1, "momentum": 0.9},
                              {"params": self.classifier.parameters(), "lr": 0.1, "momentum": 0.9}])

    def train(self, epoch, train_loader):
        if epoch == int(self.tot_epochs * 0.5) or epoch == int(self.tot_epochs * 0.75):
            for g in self.optimizer.param_groups:
                g["lr"] *= 0.1
        for data, target in train_loader:
            self.optimizer.zero_grad()
            loss = self.ce(self.classifier(self.feature_extractor(data)), target)
            loss.backward()
            self.optimizer.step()
"""

_ENTRY = """\
import argparse

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--method", default="simclr", help="standard, simclr")
parser.add_argument("--epochs", default=200, type=int)
args = parser.parse_args()

backbone = torch.nn.Sequential(torch.nn.Linear(32, 128))
if args.method == "standard":
    from methods.standard import StandardModel
    model = StandardModel(backbone, num_classes=10, tot_epochs=args.epochs)
elif args.method == "simclr":
    from methods.simclr import Model
    model = Model(backbone)
for epoch in range(args.epochs):
    model.train(epoch, [torch.randn(8, 32)])
"""


def test_a_simclr_method_beside_a_classifier_method_with_its_own_step_decay(tmp_path):
    files = {"methods/__init__.py": "", "methods/standard.py": _STANDARD, "train_unsupervised.py": _ENTRY}
    res, found, expected = _check(tmp_path / "bare", {**files, "methods/simclr.py": _SIMCLR.format(
        mark="  # expect GL303 GL304", warm="")}, _CODES)
    assert found == expected and len(expected) == 2, (found, expected)
    # a warm-up the SimCLR method writes by hand keeps GL304 silent
    warm = ('\n            for g in self.optimizer.param_groups:\n'
            '                g["lr"] = 0.001 * min(1.0, (epoch + 1) / 10)')
    res, found, expected = _check(tmp_path / "warm", {**files, "methods/simclr.py": _SIMCLR.format(
        mark="  # expect GL303", warm=warm)}, _CODES)
    assert found == expected and len(expected) == 1, (found, expected)
