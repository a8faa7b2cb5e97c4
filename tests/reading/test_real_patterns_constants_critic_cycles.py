"""A WGAN-GP whose constants module names its critic updates per generator step `CRITIC_CYCLES`
(`for _ in range(CRITIC_CYCLES):` in the trainer's critic-step method, the generator's step in another): below 5 it is reported on the constant; 5 stays silent.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_CONFIG = """\
import torch

BATCH_SIZE = 64
LEARNING_RATE = 1e-4
BETA_1 = 0.5
BETA_2 = 0.9
CRITIC_CYCLES = {cycles}  # critic updates per generator update{mark}
GRADIENT_PENALTY_LAMBDA = 10
Z_DIM = 128
"""

_TRAINER = """\
import torch
from torch import autograd

from src.config import BATCH_SIZE, LEARNING_RATE, BETA_1, BETA_2, CRITIC_CYCLES, GRADIENT_PENALTY_LAMBDA, Z_DIM


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1, 1, 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad = autograd.grad(critic(mixed).sum(), mixed, create_graph=True)[0]
    return ((grad.view(grad.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()


class Trainer:
    def __init__(self, generator, critic, gen_optimizer, crit_optimizer, loader):
        self.gen, self.crit, self.loader = generator, critic, loader
        self.g_opt, self.c_opt = gen_optimizer, crit_optimizer

    def critic_step(self, real):
        total = 0.0
        for _ in range(CRITIC_CYCLES):
            self.c_opt.zero_grad()
            fake = self.gen(torch.randn(real.size(0), Z_DIM, 1, 1)).detach()
            loss_c = self.crit(fake).mean() - self.crit(real).mean()
            loss_c = loss_c + GRADIENT_PENALTY_LAMBDA * gradient_penalty(self.crit, real, fake)
            loss_c.backward()
            self.c_opt.step()
            total += loss_c.item() / CRITIC_CYCLES
        return total

    def generator_step(self, n):
        self.g_opt.zero_grad()
        loss_g = -self.crit(self.gen(torch.randn(n, Z_DIM, 1, 1))).mean()
        loss_g.backward()
        self.g_opt.step()
        return loss_g.item()

    def train_epoch(self):
        for real in self.loader:
            self.critic_step(real)
            self.generator_step(real.size(0))
"""


_MAIN = """\
import torch

from src.config import LEARNING_RATE, BETA_1, BETA_2
from src.models import Generator, Critic
from src.trainer import Trainer

gen, crit = Generator(), Critic()
gen_opt = torch.optim.Adam(gen.parameters(), lr=LEARNING_RATE, betas=(BETA_1, BETA_2))
crit_opt = torch.optim.Adam(crit.parameters(), lr=LEARNING_RATE, betas=(BETA_1, BETA_2))
Trainer(gen, crit, gen_opt, crit_opt, loader=[torch.rand(8, 3, 64, 64)]).train_epoch()
"""


def _files(cycles: int, mark: str = "") -> dict[str, str]:
    return {"src/__init__.py": "", "src/config.py": _CONFIG.format(cycles=cycles, mark=mark),
            "src/trainer.py": _TRAINER, "main.py": _MAIN}


def test_critic_cycles_below_five_in_a_constants_module_is_reported(tmp_path):
    _res, found, expected = _check(tmp_path, _files(3, "  # expect GL105"), {"GL105"})
    assert expected and found == expected


def test_five_critic_cycles_stay_silent(tmp_path):
    _res, found, _expected = _check(tmp_path, _files(5), {"GL105"})
    assert found == set()
