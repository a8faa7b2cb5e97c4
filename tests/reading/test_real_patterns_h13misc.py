"""H13's other misses and false positives, in the styles real repositories use (not copied from any):

- GL113: a learning rate chosen per numbered experiment, `lr_d = 2e-4 if case <= 3 else 1e-3`, in a
  `train(case)` that `__main__` runs for each case of a loop: the cases the loop reaches train at 1e-3.
  Silent: a loop that reaches only the 2e-4 branch, a condition on a flag, a function no call runs.

`# expect GLnnn` marks each line where that finding must be reported, and the findings of the codes a test
names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_HINGE_MODELS = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, z_dim=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, slope=0.1):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(slope), nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x)
"""


def _case_script(choice: str, main: str) -> str:
    return f"""\
import torch
import torch.nn.functional as F

from models import Discriminator, Generator


def train(case, n_epoch=10):
    n_dis = 5 if case <= 1 else 1
    slope = 0.1 if case <= 3 else 0.2
{choice}
    netG, netD = Generator(), Discriminator(slope=slope)
    opt_g = torch.optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(netD.parameters(), lr=lr_d, betas=(0.5, 0.9))
    data = torch.randn(640, 784)
    for epoch in range(n_epoch):
        for i, real in enumerate(data.split(64)):
            z = torch.randn(real.size(0), 64)
            fake = netG(z)
            opt_d.zero_grad()
            d_loss = F.relu(1.0 - netD(real)).mean() + F.relu(1.0 + netD(fake.detach())).mean()
            d_loss.backward()
            opt_d.step()
            if i % n_dis == 0:
                opt_g.zero_grad()
                g_loss = -netD(fake).mean()
                g_loss.backward()
                opt_g.step()

{main}"""


def _lr_project(choice: str, main: str) -> dict[str, str]:
    return {"models.py": _HINGE_MODELS, "train_cases.py": _case_script(choice, main)}


def test_gl113_rate_of_the_cases_a_main_loop_runs(tmp_path):
    main = "if __name__ == \"__main__\":\n    for i in range(6):\n        train(i)\n"
    _, found, expected = _check(tmp_path, _lr_project("    lr_d = 0.0002 if case <= 3 else 0.001  # expect GL113", main), {"GL113"})
    assert expected and found == expected


def test_gl113_cases_from_a_list_and_a_nested_choice(tmp_path):
    main = "if __name__ == \"__main__\":\n    for c in [0, 2, 4]:\n        train(c)\n"
    choice = "    lr_d = 0.0002 if case < 2 else (0.0001 if case < 4 else 0.0005)  # expect GL113"
    _, found, expected = _check(tmp_path, _lr_project(choice, main), {"GL113"})
    assert expected and found == expected


def test_gl113_silent_when_the_loop_reaches_only_the_low_rate(tmp_path):
    main = "if __name__ == \"__main__\":\n    for i in range(4):\n        train(i)\n"
    _, found, _ = _check(tmp_path, _lr_project("    lr_d = 0.0002 if case <= 3 else 0.001", main), {"GL113"})
    assert found == set()


def test_gl113_silent_when_a_flag_or_an_unknown_value_chooses(tmp_path):
    main = ("if __name__ == \"__main__\":\n    import sys\n    train(int(sys.argv[1]))\n")
    _, found, _ = _check(tmp_path / "argv", _lr_project("    lr_d = 0.0002 if case <= 3 else 0.001", main), {"GL113"})
    assert found == set()
    _, found, _ = _check(tmp_path / "uncalled", _lr_project("    lr_d = 0.0002 if case <= 3 else 0.001", ""), {"GL113"})
    assert found == set()
