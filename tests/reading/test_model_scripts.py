"""A repository of several GAN scripts sharing one `models/` package: each script trains the critic of
the module it imports and the loss its flag selects by default (written in the style such repositories
use, not copied from any). `# expect GLnnn` marks each line where that finding must be reported; for the
codes a test names, the findings must be exactly the marked lines."""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)


def _models(norm: str, mark: str = "") -> str:
    """A critic family: a base class and thin subclasses that only change the image size."""
    return f"""\
import torch.nn as nn


class Critic(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 4, 2, 1), {norm}(128), nn.LeakyReLU(0.2),{mark}
            nn.Conv2d(128, 256, 4, 2, 1), {norm}(256), nn.LeakyReLU(0.2),{mark}
        )
        self.head = nn.Linear(256 * (size // 8) ** 2, 1)

    def forward(self, x):
        return self.head(self.body(x).flatten(1))


class Critic32(Critic):
    def __init__(self):
        super().__init__(32)


class Critic64(Critic):
    def __init__(self):
        super().__init__(64)
"""


_LOSSES = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class BCE(nn.Module):
    def forward(self, real, fake=None):
        if fake is None:
            return F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
        return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


class Wass(nn.Module):
    def forward(self, real, fake=None):
        if fake is None:
            return -real.mean()
        return fake.mean() - real.mean()
"""


def _script(module: str, loss: str, steps: int, penalty: bool, mark: str = "") -> str:
    gp = """
def penalty(critic, real, fake):
    t = torch.rand(real.size(0), 1, 1, 1)
    mixed = (t * real + (1 - t) * fake).requires_grad_(True)
    grad = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)[0]
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
""" if penalty else ""
    extra = " + 10 * penalty(net_D, real, fake)" if penalty else ""
    return f"""\
import torch
from absl import app, flags

import models.{module} as nets
import models.losses as losses

critics = {{'c32': nets.Critic32, 'c64': nets.Critic64}}
loss_table = {{'bce': losses.BCE, 'was': losses.Wass}}

FLAGS = flags.FLAGS
flags.DEFINE_enum('arch', 'c32', critics.keys(), "critic architecture")
flags.DEFINE_integer('n_dis', {steps}, "critic steps per generator step"){mark}
flags.DEFINE_enum('loss', '{loss}', loss_table.keys(), "loss function")
{gp}

def main(argv):
    net_D = critics[FLAGS.arch]()
    loss_fn = loss_table[FLAGS.loss]()
    opt_D = torch.optim.Adam(net_D.parameters(), lr=2e-4, betas=(0.0, 0.9))
    for step in range(1000):
        real = torch.randn(64, 3, 32, 32)
        for _ in range(FLAGS.n_dis):
            fake = torch.randn(64, 3, 32, 32)
            loss = loss_fn(net_D(real), net_D(fake)){extra}
            opt_D.zero_grad()
            loss.backward()
            opt_D.step()


if __name__ == '__main__':
    app.run(main)
"""


def test_penalty_trains_the_critic_of_the_module_its_script_imports(tmp_path):
    """The BatchNorm critic is trained by a BCE script; the penalised script imports another critic."""
    files = {
        "models/__init__.py": "",
        "models/classic.py": _models("nn.BatchNorm2d"),
        "models/penalised.py": _models("nn.LayerNorm"),
        "models/losses.py": _LOSSES,
        "classic.py": _script("classic", "bce", 1, penalty=False),
        "penalised.py": _script("penalised", "was", 5, penalty=True),
    }
    _res, found, expected = _check(tmp_path, files, {"GL109", "GL105"})
    assert expected == set()
    assert found == expected


def test_penalised_batchnorm_critic_is_reported_once_per_class(tmp_path):
    """Near miss: the penalised script imports the BatchNorm critic; once for the class (at its first
    BatchNorm, the second one related), not per layer and not per subclass."""
    models = _models("nn.BatchNorm2d", "  # expect GL109")
    second = "nn.BatchNorm2d(256), nn.LeakyReLU(0.2),  # expect GL109"
    models = models.replace(second, second.replace("  # expect GL109", ""))
    files = {
        "models/__init__.py": "",
        "models/classic.py": models,
        "models/losses.py": _LOSSES,
        "penalised.py": _script("classic", "was", 5, penalty=True),
    }
    res, found, expected = _check(tmp_path, files, {"GL109"})
    assert len(expected) == 1
    assert found == expected
    (finding,) = [f for f in res.findings if f.code == "GL109"]
    second_line = models.splitlines().index("            nn.Conv2d(128, 256, 4, 2, 1), " + second.replace("  # expect GL109", "")) + 1
    assert second_line in [r.line for r in finding.related]


def test_selected_wasserstein_loss_with_one_critic_step_fires(tmp_path):
    """Near miss: the flag selects the Wasserstein loss by default and the critic steps once."""
    files = {
        "models/__init__.py": "",
        "models/plain.py": _models("nn.LayerNorm"),
        "models/losses.py": _LOSSES,
        "wgan.py": _script("plain", "was", 1, penalty=False, mark="  # expect GL105"),
    }
    _res, found, expected = _check(tmp_path, files, {"GL105"})
    assert len(expected) == 1
    assert found == expected


def test_selected_standard_loss_with_one_step_is_no_wgan(tmp_path):
    """The same script with the standard loss selected: the listed Wasserstein option does not count."""
    files = {
        "models/__init__.py": "",
        "models/plain.py": _models("nn.LayerNorm"),
        "models/losses.py": _LOSSES,
        "gan.py": _script("plain", "bce", 1, penalty=False),
        "wgan_gp.py": _script("plain", "was", 5, penalty=True),
    }
    _res, found, expected = _check(tmp_path, files, {"GL105"})
    assert expected == set()
    assert found == expected


# -- absl flagfiles named *.txt: read only when every line is a flag; each selects its own loss --------
def _flags(loss: str, steps: int, mark: str = "") -> str:
    return f"--arch=c32\n--batch_size=64\n# critic steps per generator step\n--n_dis={steps}{mark}\n--loss={loss}\n--record\n"


def test_txt_flagfiles_judged_by_the_loss_they_select(tmp_path):
    """A `--loss=was` flagfile with one critic step fires; `--loss=bce` / `--loss=hinge` ones stay silent,
    as do a requirements.txt and a notes file that only mention flags."""
    files = {
        "models/__init__.py": "",
        "models/plain.py": _models("nn.LayerNorm"),
        "models/losses.py": _LOSSES,
        "gan.py": _script("plain", "bce", 1, penalty=False),
        "wgan_gp.py": _script("plain", "was", 5, penalty=True),
        "configs/wgan_small.txt": _flags("was", 1, "  # expect GL105"),
        "configs/dcgan.txt": _flags("bce", 1),
        "configs/hinge.txt": _flags("hinge", 1),
        "requirements.txt": "torch>=1.8\nabsl-py\n",
        "NOTES.txt": "run with\n--n_dis=1\n--loss=was\n",
    }
    res, found, expected = _check(tmp_path, files, {"GL105"})
    assert len(expected) == 1
    assert found == expected
    read = {f.rsplit("/", 1)[-1] for f in res.files}
    assert "wgan_small.txt" in read
    assert "requirements.txt" not in read and "NOTES.txt" not in read


def test_strict_txt_flagfile_shape():
    from ganlint.reading.config.flagfile import looks_like_flagfile

    assert looks_like_flagfile("# comment\n--lr=2e-4\n\n--record\n", strict=True)
    assert not looks_like_flagfile("--lr 2e-4\n", strict=True)  # a space-separated value: not clearly one
    assert not looks_like_flagfile("--lr=2e-4\nsee README\n", strict=True)
    assert not looks_like_flagfile("torch>=1.8\n", strict=True)
