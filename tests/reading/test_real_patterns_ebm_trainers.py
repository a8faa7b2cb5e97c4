"""Energy-model trainers in public training code: an optimizer class picked by a flag into a name, a
learning-rate helper that nothing calls, a trainer whose KL term through the sampler sits beside its Langevin
chain; each with near misses that stay silent.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_NET = """\
import torch.nn as nn


class PointNet(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, 1))

    def forward(self, x):
        return self.body(x).squeeze(-1)
"""

_TRAINER = """\
import torch
import torch.optim as optim

from net import PointNet


class Trainer:
    def __init__(self, lr=1e-4, optimizer="sgd", steps=60, step_size=0.01):
        self.net = PointNet()
        self.lr, self.optimizer_name = lr, optimizer
        self.steps, self.step_size = steps, step_size

    def build_optimizer(self):
        if self.optimizer_name == "sgd":
            opt_class = optim.SGD
        elif self.optimizer_name == "adam":
            opt_class = optim.Adam
        else:
            raise ValueError(self.optimizer_name)
        self.opt = opt_class(self.net.parameters(), lr=self.lr)  # expect GL303 GL304

    def sample(self, x):
        x = x.clone().requires_grad_(True)
        for _ in range(self.steps):
            grad = torch.autograd.grad(self.net(x).sum(), [x])[0]
            x.data = x.data - self.step_size * grad + 0.005 * torch.randn_like(x)
        return x.detach()

    def train_step(self, real):
        fake = self.sample(torch.rand_like(real) * 2 - 1)
        loss = self.net(real).mean() - self.net(fake).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()
"""


def test_an_optimizer_class_picked_by_a_flag_into_a_name_is_the_energy_optimizer(tmp_path):
    res, found, expected = _check(tmp_path / "flag", {"net.py": _NET, "trainer.py": _TRAINER}, {"GL303", "GL304"})
    assert found == expected, (found, expected)
    opt = next(o for o in res.facts.code.optimizers if o.var == "self.opt")
    assert opt.cls == "" and opt.kwargs["lr"].src == "self.lr"  # SGD or Adam by the flag: the class is unknown
    assert "chosen at run time" in next(f for f in res.findings if f.code == "GL303").message
    one = _TRAINER.replace("""            opt_class = optim.Adam""", """            opt_class = optim.SGD""")
    res, found, expected = _check(tmp_path / "one", {"net.py": _NET, "trainer.py": one}, {"GL303", "GL304"})
    assert found == expected and [o.cls for o in res.facts.code.optimizers] == ["SGD"]
    # near misses: a name that may hold something else than an optimizer class, and a clipped, scheduled trainer
    other = _TRAINER.replace("            opt_class = optim.Adam", "            opt_class = make_lookahead")
    res, found, _ = _check(tmp_path / "other", {"net.py": _NET, "trainer.py": other.replace("  # expect GL303 GL304", "")},
                           {"GL303", "GL304"})
    assert found == set() and res.facts.code.optimizers == []
    healthy = _TRAINER.replace("  # expect GL303 GL304", "\n        self.sched = optim.lr_scheduler.LinearLR(self.opt, 0.1, 1.0, 5000)")
    healthy = healthy.replace("        loss.backward()\n", "        loss.backward()\n"
                              "        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 0.3)\n")
    _res, found, _ = _check(tmp_path / "healthy", {"net.py": _NET, "trainer.py": healthy}, {"GL303", "GL304"})
    assert found == set()


_UTILS = """\
import numpy as np


def adjust_lr(optimizer, epoch, base_lr, milestones):
    n = int(np.sum(epoch >= np.asarray(milestones)))
    if n > 0:
        for group in optimizer.param_groups:
            group['lr'] = base_lr * (0.1 ** n)


class Buffer:
    def __init__(self, size):
        self.items, self.size = [], size
"""

# an absl-style trainer: the KL term of the sampler's last step beside the Langevin chain
_ABSL_TRAIN = """\
import torch
from absl import flags

from net import PointNet
from utils import Buffer

FLAGS = flags.FLAGS
flags.DEFINE_float('lr', 2e-4, 'learning rate')


def langevin(model, x, steps=20):
    for _ in range(steps):
        x = x.detach().requires_grad_(True)
        g = torch.autograd.grad(model(x).sum(), [x], create_graph=True)[0]
        x = x - 0.01 * g + 0.005 * torch.randn_like(x)
    return x


def train(loader):
    model = PointNet()
    buffer = Buffer(10000)
    optimizer = torch.optim.Adam(model.parameters(), lr=FLAGS.lr, betas=(0.0, 0.9))  # expect GL304
    for it, real in enumerate(loader):
        fake = langevin(model, torch.randn_like(real))
        mu, logvar = fake.mean(0), fake.var(0).log()
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = model(real).mean() - model(fake.detach()).mean() + 0.1 * kl
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
"""


def test_an_lr_helper_nothing_calls_is_no_schedule_and_a_langevin_trainer_is_energy(tmp_path):
    files = {"net.py": _NET, "utils.py": _UTILS, "train.py": _ABSL_TRAIN}
    res, found, expected = _check(tmp_path / "unused", files, {"GL303", "GL304"})
    assert found == expected, (found, expected)
    train = next(f for f in res.facts.files if f.endswith("train.py"))
    assert {"energy", "vae"} <= res.facts.file_families(train)
    # the same helper called by the loop only lowers the rate later (0.1 ** n): a step decay is no warm-up
    called = _ABSL_TRAIN.replace("from utils import Buffer", "from utils import Buffer, adjust_lr").replace(
        "        fake = langevin(", "        adjust_lr(optimizer, it // 1000, FLAGS.lr, [50, 80])\n        fake = langevin(")
    _res, found, expected = _check(tmp_path / "called", {"net.py": _NET, "utils.py": _UTILS, "train.py": called},
                                   {"GL303", "GL304"})
    assert found == expected and len(expected) == 1, (found, expected)
    # near miss: a called helper that ramps the rate up from step 0 (a hand-written warm-up)
    ramp = _UTILS.replace("group['lr'] = base_lr * (0.1 ** n)", "group['lr'] = base_lr * min(1.0, (epoch + 1) / 5)")
    _res, found, _ = _check(tmp_path / "ramp", {"net.py": _NET, "utils.py": ramp,
                                               "train.py": called.replace("  # expect GL304", "")}, {"GL303", "GL304"})
    assert found == set()
