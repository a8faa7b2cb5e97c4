"""H13's other misses and false positives, in the styles real repositories use (not copied from any):

- GL113: a learning rate chosen per numbered experiment, `lr_d = 2e-4 if case <= 3 else 1e-3`, in a
  `train(case)` that `__main__` runs for each case of a loop: the cases the loop reaches train at 1e-3.
  Silent: a loop that reaches only the 2e-4 branch, a condition on a flag, a function no call runs.
- GL103: a trainer class (not a network) whose required `__init__` parameter `G_input_dim` is the generator's
  noise size, built by a helper in its own file; the driver passes `G_input_dim=4` by keyword. Silent: 16, and
  a required parameter the class never reads.
- GL115: a module-level helper handed the critic and the batches (`critic_gap(real, fake, f=self.D)`, which
  calls `f(fake)`), given a fake from the class's own sampling method without .detach() in the D step.
  Silent: the fake detached, the helper detaching inside, and the same helper in the generator's step.
- GL105: `n_critic: 1` in the config.yaml of a BCE GAN whose training code never reads the key: it updates no
  critic. Still reported: the key read by the critic loop of a WGAN-GP, and (unread) a WGAN-GP's 1:1 loop.
- GL109: a penalised critic with three BatchNorm layers is one finding (its first BatchNorm, the others
  related, every BatchNorm1d in the one fix); two such critic classes are two findings.

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


def _trainer_project(init_g: str, main_call: str) -> dict[str, str]:
    gan = f"""\
import torch
import torch.nn as nn
import torch.optim as optim


def make_generator(input_dim, output_dim, hidden=64):
    return nn.Sequential(nn.Linear(input_dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, output_dim))


def make_critic(input_dim, hidden=64):
    return nn.Sequential(nn.Linear(input_dim, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))


class ToyWGAN:
    def __init__(self, G_input_dim, data_dim, lr=1e-4):
        self.nz = {init_g}
        self.G = make_generator({init_g}, data_dim)
        self.D = make_critic(data_dim)
        self.opt_G = optim.Adam(self.G.parameters(), lr=lr, betas=(0.0, 0.9))
        self.opt_D = optim.Adam(self.D.parameters(), lr=lr, betas=(0.0, 0.9))

    def sample(self, n):
        return self.G(torch.randn(n, self.nz))

    def critic_step(self, real):
        fake = self.sample(real.size(0)).detach()
        eps = torch.rand(real.size(0), 1)
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        grad = torch.autograd.grad(self.D(mixed).sum(), mixed, create_graph=True)[0]
        loss = self.D(fake).mean() - self.D(real).mean() + 10 * ((grad.norm(2, dim=1) - 1) ** 2).mean()
        self.opt_D.zero_grad()
        loss.backward()
        self.opt_D.step()

    def generator_step(self, n):
        loss = -self.D(self.sample(n)).mean()
        self.opt_G.zero_grad()
        loss.backward()
        self.opt_G.step()
"""
    main = f"""\
import torch

from gan import ToyWGAN

if __name__ == "__main__":
    data = torch.randn(4096, 1) * 0.5 + 3
    gan = {main_call}
    for step in range(2000):
        for _ in range(5):
            gan.critic_step(data[torch.randint(0, 4096, (256,))])
        gan.generator_step(256)
"""
    return {"gan.py": gan, "main.py": main}


def test_gl103_noise_size_passed_to_a_trainer_class_by_keyword(tmp_path):
    files = _trainer_project("G_input_dim", "ToyWGAN(G_input_dim=4, data_dim=1)  # expect GL103")
    _, found, expected = _check(tmp_path, files, {"GL103"})
    assert expected and found == expected


def test_gl103_silent_at_16_and_for_a_parameter_the_class_never_reads(tmp_path):
    _, found, _ = _check(tmp_path / "wide", _trainer_project("G_input_dim", "ToyWGAN(G_input_dim=16, data_dim=1)"), {"GL103"})
    assert found == set()
    _, found, _ = _check(tmp_path / "unread", _trainer_project("32", "ToyWGAN(G_input_dim=4, data_dim=1)"), {"GL103"})
    assert found == set()


def _helper_gan(fake_line: str, helper_body: str = "torch.mean(f(x_real)) - torch.mean(f(x_fake))") -> dict[str, str]:
    return {"wgan.py": f"""\
import torch
import torch.nn as nn
import torch.optim as optim


def critic_gap(x_real, x_fake, f):
    return {helper_body}


def penalty(critic, mixed):
    scores = critic(mixed)
    grad = torch.autograd.grad(outputs=scores, inputs=mixed, grad_outputs=torch.ones_like(scores), create_graph=True)[0]
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


class ToyWGAN:
    def __init__(self, noise_dim=16, data_dim=2):
        self.noise_dim = noise_dim
        self.G = nn.Sequential(nn.Linear(noise_dim, 64), nn.ReLU(), nn.Linear(64, data_dim))
        self.D = nn.Sequential(nn.Linear(data_dim, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
        self.G_opt = optim.Adam(self.G.parameters(), lr=1e-4, betas=(0.0, 0.9))
        self.D_opt = optim.Adam(self.D.parameters(), lr=1e-4, betas=(0.0, 0.9))

    def sample(self, n):
        z = torch.randn(n, self.noise_dim)
        out = self.G(z)
        return out.view(n, -1)

    def critic_step(self, real):
        n = real.shape[0]
{fake_line}
        eps = torch.rand(n, 1)
        mixed = (real * eps + fake.detach() * (1 - eps)).requires_grad_(True)
        gap = critic_gap(x_real=real, x_fake=fake, f=self.D)  # expect GL115
        loss = -(gap - 10 * penalty(self.D, mixed))
        self.D_opt.zero_grad()
        loss.backward()
        self.D_opt.step()
        return float(gap)

    def generator_step(self, n):
        fake = self.sample(n)
        loss = -torch.mean(self.D(fake))
        self.G_opt.zero_grad()
        loss.backward()
        self.G_opt.step()
"""}


def _unmarked(files: dict[str, str]) -> dict[str, str]:
    return {k: v.replace("  # expect GL115", "") for k, v in files.items()}


def test_gl115_fake_handed_to_a_helper_that_applies_the_critic(tmp_path):
    _, found, expected = _check(tmp_path, _helper_gan("        fake = self.sample(n)"), {"GL115"})
    assert expected and found == expected


def test_gl115_silent_when_detached_outside_or_inside_the_helper(tmp_path):
    files = _unmarked(_helper_gan("        fake = self.sample(n).detach()"))
    _, found, _ = _check(tmp_path / "outside", files, {"GL115"})
    assert found == set()
    files = _unmarked(_helper_gan("        fake = self.sample(n)", "f(x_real).mean() - f(x_fake.detach()).mean()"))
    _, found, _ = _check(tmp_path / "inside", files, {"GL115"})
    assert found == set()


def test_gl115_silent_for_the_helper_in_the_generator_step(tmp_path):
    files = _unmarked(_helper_gan("        fake = self.sample(n).detach()"))
    files["wgan.py"] = files["wgan.py"].replace(
        "        loss = -torch.mean(self.D(fake))\n", "        loss = -critic_gap(x_real=fake, x_fake=fake, f=self.D)\n")
    assert "critic_gap(x_real=fake" in files["wgan.py"]
    _, found, _ = _check(tmp_path, files, {"GL115"})
    assert found == set()


_BCE_TRAIN = """\
import torch
import torch.nn as nn
import yaml

from models import Discriminator, Generator

with open("config.yaml") as f:
    cfg = yaml.safe_load(f)

G, D = Generator(), Discriminator()
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
data = torch.randn(1024, 784)
for epoch in range(cfg["max_epoch"]):
    for real in data.split(cfg["batch_size"]):
        z = torch.randn(real.size(0), 64)
        fake = G(z)
        d_loss = bce(D(real), torch.ones(real.size(0), 1)) + bce(D(fake.detach()), torch.zeros(real.size(0), 1))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = bce(D(fake), torch.ones(real.size(0), 1))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
"""

_GP_TRAIN = """\
import torch
import yaml

from models import Discriminator, Generator

with open("config.yaml") as f:
    cfg = yaml.safe_load(f)


def penalty(D, real, fake):
    eps = torch.rand(real.size(0), 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad = torch.autograd.grad(D(mixed).sum(), mixed, create_graph=True)[0]
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


G, D = Generator(), Discriminator()
opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.0, 0.9))
data = torch.randn(1024, 784)
for epoch in range(cfg["max_epoch"]):
    for real in data.split(cfg["batch_size"]):
{critic}
        g_loss = -D(G(torch.randn(real.size(0), 64))).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
"""

_ONE_CRITIC_STEP = """\
        fake = G(torch.randn(real.size(0), 64)).detach()
        d_loss = D(fake).mean() - D(real).mean() + 10 * penalty(D, real, fake)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()  # expect GL105"""

_CONFIG = "batch_size: 64\nmax_epoch: 20\n\nn_critic: 1 # critic steps per generator step\nn_noise: 64\n"


def test_gl105_silent_for_a_key_no_training_code_reads(tmp_path):
    files = {"models.py": _HINGE_MODELS, "train.py": _BCE_TRAIN, "config.yaml": _CONFIG}
    _, found, _ = _check(tmp_path, files, {"GL105"})
    assert found == set()


def test_gl105_reported_where_the_key_is_read_or_the_loop_is_one_to_one(tmp_path):
    loop = ("        for _ in range(cfg[\"n_critic\"]):\n"
            + "\n".join("    " + line for line in _ONE_CRITIC_STEP.replace("  # expect GL105", "").splitlines()))
    files = {"models.py": _HINGE_MODELS, "train.py": _GP_TRAIN.format(critic=loop),
             "config.yaml": _CONFIG.replace("n_critic: 1 #", "n_critic: 1  # expect GL105 #")}
    _, found, expected = _check(tmp_path / "read", files, {"GL105"})
    assert expected and found == expected
    files = {"models.py": _HINGE_MODELS, "train.py": _GP_TRAIN.format(critic=_ONE_CRITIC_STEP), "config.yaml": _CONFIG}
    _, found, expected = _check(tmp_path / "unread", files, {"GL105"})
    assert expected and found == expected


_BN_CRITICS = """\
import torch
import torch.nn as nn


class Critic(nn.Module):
    def __init__(self, ch=8):
        super(Critic, self).__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, ch, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ch * 2),  # expect GL109
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ch * 2, ch * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ch * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ch * 4, 1, 4, 1, 0, bias=False),
        )

    def forward(self, x):
        return self.main(x).view(x.size(0))


class MLPCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(784, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),  # expect GL109
            nn.Linear(256, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2),
            nn.Linear(128, 1))

    def forward(self, x):
        return self.net(x.view(x.size(0), -1))


class Generator(nn.Module):
    def __init__(self, nz=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(nz, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)
"""

_BN_TRAIN = """\
import torch

from models import CRITIC, Generator


def gradient_penalty(netD, real, fake):
    alpha = torch.rand(real.size(0), 1, 1, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grad = torch.autograd.grad(netD(x_hat).sum(), x_hat, create_graph=True)[0]
    return ((grad.view(grad.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()


netG = Generator()
netD = CRITIC()
opt_g = torch.optim.Adam(netG.parameters(), lr=1e-4, betas=(0.5, 0.9))
opt_d = torch.optim.Adam(netD.parameters(), lr=1e-4, betas=(0.5, 0.9))
for step in range(100):
    real = torch.randn(64, 1, 28, 28)
    for _ in range(5):
        fake = netG(torch.randn(64, 64)).detach()
        d_loss = netD(fake).mean() - netD(real).mean() + 10 * gradient_penalty(netD, real, fake)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
    g_loss = -netD(netG(torch.randn(64, 64))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
"""


def test_gl109_one_finding_per_penalised_critic_class(tmp_path):
    files = {"models.py": _BN_CRITICS, "train_conv.py": _BN_TRAIN.replace("CRITIC", "Critic"),
             "train_mlp.py": _BN_TRAIN.replace("CRITIC", "MLPCritic")}
    res, found, expected = _check(tmp_path, files, {"GL109"})
    assert len(expected) == 2 and found == expected
    (mlp,) = [f for f in res.findings if f.code == "GL109" and "MLPCritic" in f.message]
    assert len(mlp.fix.edits) == 2 and all("LayerNorm" in e.new for e in mlp.fix.edits)
    lines = _BN_CRITICS.splitlines()
    assert lines.index("            nn.BatchNorm2d(ch * 4),") + 1 in [
        r.line for f in res.findings if f.code == "GL109" and "`Critic`" in f.message for r in f.related]
