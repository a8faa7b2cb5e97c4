"""Precision on patterns of held-out set 15: a critic class that defines a weight-clipping method nobody
calls beside a gradient penalty; each with its near miss.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_GAN_MODULE = """\
import torch
import torch.nn as nn


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class WassersteinGAN:
    def __init__(self, clip_value=0.01, gp_weight=10.0):
        self.critic, self.generator = Critic(), Generator()
        self.clip_value, self.gp_weight = clip_value, gp_weight
        self.opt_c = torch.optim.Adam(self.critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=1e-4, betas=(0.5, 0.9))

    def restrict_critic(self):
        for p in self.critic.parameters():
            p.data.clamp_(-self.clip_value, self.clip_value)  # expect GL114

    def penalty(self, real, fake):
        a = torch.rand(real.size(0), 1)
        x = (a * real + (1 - a) * fake).requires_grad_(True)
        g = torch.autograd.grad(self.critic(x).sum(), x, create_graph=True)[0]
        return ((g.norm(2, dim=1) - 1) ** 2).mean()

    def critic_step(self, real):
        fake = self.generator(torch.randn(real.size(0), 64)).detach()
        loss = self.critic(fake).mean() - self.critic(real).mean() + self.gp_weight * self.penalty(real, fake)
        self.opt_c.zero_grad()
        loss.backward()
        self.opt_c.step()
        self.restrict_critic()

    def generator_step(self, batch_size):
        loss = -self.critic(self.generator(torch.randn(batch_size, 64))).mean()
        self.opt_g.zero_grad()
        loss.backward()
        self.opt_g.step()
"""

_TRAIN = """\
from gan import WassersteinGAN

gan = WassersteinGAN()
for real in loader:
    for _ in range(5):
        gan.critic_step(real)
    gan.generator_step(real.size(0))
"""


def test_a_clipping_method_nothing_calls_clips_nothing(tmp_path):
    never = _GAN_MODULE.replace("        self.restrict_critic()\n", "").replace("  # expect GL114", "")
    res, found, expected = _check(tmp_path / "never", {"gan.py": never, "train.py": _TRAIN}, {"GL114"})
    assert found == expected == set(), found
    assert len(res.facts.code.weight_clips) == 1 and res.facts.code.penalties
    # near misses: the method called after the critic's step, or called from the training script
    res, found, expected = _check(tmp_path / "called", {"gan.py": _GAN_MODULE, "train.py": _TRAIN}, {"GL114"})
    assert len(expected) == 1 and found == expected, (found, expected)
    outside = _TRAIN.replace("        gan.critic_step(real)\n", "        gan.critic_step(real)\n        gan.restrict_critic()\n")
    res, found, expected = _check(tmp_path / "outside", {"gan.py": _GAN_MODULE.replace(
        "        self.restrict_critic()\n", ""), "train.py": outside}, {"GL114"})
    assert len(expected) == 1 and found == expected, (found, expected)
    # a framework hook is called by its name, never written: `on_after_backward` clips every step
    hook = _GAN_MODULE.replace("        self.restrict_critic()\n", "").replace("restrict_critic", "on_after_backward")
    res, found, expected = _check(tmp_path / "hook", {"gan.py": hook, "train.py": _TRAIN}, {"GL114"})
    assert len(expected) == 1 and found == expected, (found, expected)


_LIGHTNING_CLASSIFIER = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
from pytorch_lightning import LightningModule


class TemplateModel(LightningModule):
    def __init__(self, hparams):
        super().__init__()
        self.hparams = hparams
        self.c_d1 = nn.Linear(784, 500)
        self.c_d1_bn = nn.BatchNorm1d(500)
        self.c_d2 = nn.Linear(500, 10)

    def forward(self, x):
        return self.c_d2(self.c_d1_bn(torch.tanh(self.c_d1(x.view(x.size(0), -1)))))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        return {"loss": loss}

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate)
"""


def test_a_template_classifier_beside_the_gan_trains_no_player(tmp_path):
    files = {"gan.py": _GAN_MODULE.replace("  # expect GL114", ""), "train.py": _TRAIN, "template.py": _LIGHTNING_CLASSIFIER}
    res, found, expected = _check(tmp_path / "template", files, {"GL112"})
    assert found == expected == set(), found
    assert "wgan-gp" in res.facts.families() and len(res.facts.code.optimizers) == 3
    # near misses: the same module trained on the generator's fakes (an auxiliary classifier of the GAN), or
    # with a loss that is no classification loss: a GAN player's optimizer by another name
    at = "lr=self.hparams.learning_rate)\n"
    for old, new in (("loss = F.cross_entropy(self(x), y)", "loss = F.cross_entropy(self(x), y) + F.cross_entropy(self(fake), y)"),
                     ("loss = F.cross_entropy(self(x), y)", "loss = self(x).mean()"),
                     ("self.c_d2 = nn.Linear(500, 10)", "self.c_d2 = nn.Linear(500, 10)\n        self.netG = None")):
        near = _LIGHTNING_CLASSIFIER.replace(old, new).replace(at, at.replace("\n", "  # expect GL112\n"))
        res, found, expected = _check(tmp_path / f"near{len(new)}", {**files, "template.py": near}, {"GL112"})
        assert len(expected) == 1 and found == expected, (new, found, expected)


_DCGAN_MODELS = """\
import torch.nn as nn


class Discriminator(nn.Module):
    def __init__(self, nc=1, ndf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 7, 1, 0))

    def forward(self, x):
        return self.main(x).view(-1)
"""

_WGAN_MODELS = """\
import torch.nn as nn


class Discriminator(nn.Module):
    def __init__(self, nc=1, ndf=64):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 7, 1, 0))

    def forward(self, x):
        return self.main(x).view(-1)
"""

_WGAN_GP_SCRIPT = """\
import torch
import models.wgan_model as wgan

discriminator = wgan.Discriminator(nc=1)
optimizerD = torch.optim.Adam(discriminator.parameters(), lr=1e-4, betas=(0.5, 0.9))
for real in loader:
    fake = generate(real.size(0)).detach()
    a = torch.rand(real.size(0), 1, 1, 1)
    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)
    grads = torch.autograd.grad(discriminator(x_hat).sum(), x_hat, create_graph=True)[0]
    gp = ((grads.view(grads.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
    lossD = discriminator(fake).mean() - discriminator(real).mean() + 10 * gp
    optimizerD.zero_grad()
    lossD.backward()
    optimizerD.step()
"""

_DCGAN_SCRIPT = """\
import torch
import torch.nn as nn
import models.dcgan_model as dcgan

netD = dcgan.Discriminator(nc=1)
criterion = nn.BCEWithLogitsLoss()
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
for real in loader:
    fake = generate(real.size(0)).detach()
    lossD = criterion(netD(real), torch.ones(real.size(0))) + criterion(netD(fake), torch.zeros(real.size(0)))
    optD.zero_grad()
    lossD.backward()
    optD.step()
"""


def test_a_penalty_on_another_modules_critic_of_the_same_name(tmp_path):
    files = {"models/dcgan_model.py": _DCGAN_MODELS, "models/wgan_model.py": _WGAN_MODELS,
             "wgan_gp.py": _WGAN_GP_SCRIPT, "dcgan.py": _DCGAN_SCRIPT}
    res, found, expected = _check(tmp_path / "apart", files, {"GL109"})
    assert found == expected == set(), found
    assert res.facts.code.penalties
    # near miss: the penalised script builds the Discriminator of the module with the BatchNorm
    bn = "            nn.BatchNorm2d(ndf * 2),\n"
    near = {**files, "models/dcgan_model.py": _DCGAN_MODELS.replace(bn, bn.replace("\n", "  # expect GL109\n")),
            "wgan_gp.py": _WGAN_GP_SCRIPT.replace("import models.wgan_model as wgan", "import models.dcgan_model as wgan")}
    res, found, expected = _check(tmp_path / "same", near, {"GL109"})
    assert len(expected) == 1 and found == expected, (found, expected)


_TRAINERS = """\
import torch
import torch.nn.functional as F


class ContrastiveTrainer:
    def __init__(self, model, head, optimizer, loader, temperature=0.5):
        self.model, self.head, self.optimizer = model, head, optimizer
        self.loader, self.temperature = loader, temperature

    def _loss(self, z):
        z = F.normalize(z, dim=1)
        logits = z @ z.T / self.temperature
        logits.fill_diagonal_(float("-inf"))
        n = z.size(0) // 2
        targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
        return F.cross_entropy(logits, targets)

    def fit(self, epochs):
        for _ in range(epochs):
            for a, b in self.loader:
                z = self.head(self.model(torch.cat([a, b])))
                loss = self._loss(z)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()

    def evaluate(self):
        with torch.no_grad():
            return [self._loss(self.head(self.model(torch.cat([a, b])))).item() for a, b in self.loader]


class ProbeTrainer:
    def __init__(self, model, optimizer, loader, loss_fn):
        self.model, self.optimizer, self.loader, self.loss_fn = model, optimizer, loader, loss_fn

    def fit(self, epochs):
        for _ in range(epochs):
            for x, y in self.loader:
                loss = self.loss_fn(self.model(x), y)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
"""

_PRETRAIN = """\
import torch.nn as nn
from torch.optim import AdamW

from trainer import ContrastiveTrainer


def main():
    model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64))
    head = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 16))
    optimizer = AdamW(list(model.parameters()) + list(head.parameters()), lr=1e-3)  # expect GL303
    trainer = ContrastiveTrainer(model=model, head=head, optimizer=optimizer, loader=pair_loader())
    trainer.fit(epochs=100)


if __name__ == "__main__":
    main()
"""

_PROBE_SCRIPT = """\
from torch import nn
from torch.optim import AdamW

from trainer import ProbeTrainer


def main():
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = AdamW(model.parameters(), lr=1e-3)
    trainer = ProbeTrainer(model=model, optimizer=optimizer, loader=feature_loader(), loss_fn=nn.CrossEntropyLoss())
    trainer.fit(epochs=50)


if __name__ == "__main__":
    main()
"""


def test_the_pretraining_script_not_the_linear_probe_trains_the_contrastive_model(tmp_path):
    files = {"pyproject.toml": '[project]\nname = "contrastive"\nversion = "0.1.0"\n', "src/trainer.py": _TRAINERS,
             "scripts/linear_probe.py": _PROBE_SCRIPT, "scripts/pretrain.py": _PRETRAIN}
    res, found, expected = _check(tmp_path / "simclr", files, {"GL303"})
    assert len(expected) == 1 and found == expected, (found, expected)
    assert res.facts.code.infonce and [o.location.file.rsplit("/", 1)[-1] for o in res.facts.code.optimizers] == [
        "linear_probe.py", "pretrain.py"]
    # near miss: the pretraining script only evaluates a trained model (a method that runs no backward): it is
    # not taken for the contrastive training
    evaluated = _PRETRAIN.replace("trainer.fit(epochs=100)", "print(trainer.evaluate())")
    res, found, expected = _check(tmp_path / "evaluated", {**files, "scripts/pretrain.py": evaluated}, {"GL303"})
    assert ("GL303", "pretrain.py", 10) not in found, found
