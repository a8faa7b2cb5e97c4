"""H12 recall: (1) a WGAN with weight clipping whose trainer class runs its critic's update and its generator's
update in helper methods, `self.train_D(x)` then `self.train_G()` once per batch: 1 critic update per generator
step (GL105 on the critic's `.step()`); (2) an InfoNCE loss module whose temperature is its constructor's default
(`def __init__(self, temperature=0.07)`), built in another file without the argument (GL302 on the default).

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_WGAN_TRAINER = """\
import torch
import torch.nn as nn


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x.view(x.size(0), -1))


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class WGAN:
    def __init__(self, clip=0.01):
        self.G, self.D = Generator(), Critic()
        self.c = clip
        self.d_optim = torch.optim.RMSprop(self.D.parameters(), lr=5e-5)
        self.g_optim = torch.optim.RMSprop(self.G.parameters(), lr=5e-5)

    def train_D(self, real):
        self.d_optim.zero_grad()
        fake = self.G(torch.randn(real.size(0), 64)).detach()
        loss = -torch.mean(self.D(real)) + torch.mean(self.D(fake))
        loss.backward()
        self.d_optim.step(){mark}
        for p in self.D.parameters():
            p.data.clamp_(-self.c, self.c)
        return loss.item()

    def train_G(self, n):
        self.g_optim.zero_grad()
        loss = -torch.mean(self.D(self.G(torch.randn(n, 64))))
        loss.backward()
        self.g_optim.step()
        return loss.item()

    def train(self, loader, epochs):
        for epoch in range(epochs):
            d_total, g_total = 0.0, 0.0
            for i, (img, _) in enumerate(loader):
{body}
            print(epoch, d_total, g_total)


if __name__ == "__main__":
    WGAN().train([], 10)
"""

_ONE_EACH = "                d_total += self.train_D(img)\n                g_total += self.train_G(img.size(0))"
_FIVE = ("                for _ in range(5):\n                    d_total += self.train_D(img)\n"
         "                g_total += self.train_G(img.size(0))")


def test_critic_and_generator_steps_in_helper_methods_once_each_per_batch(tmp_path):
    files = {"wgan.py": _WGAN_TRAINER.replace("{mark}", "  # expect GL105").replace("{body}", _ONE_EACH)}
    _, found, expected = _check(tmp_path, files, {"GL105"})
    assert expected and found == expected


def test_critic_helper_repeated_five_times_is_silent(tmp_path):
    files = {"wgan.py": _WGAN_TRAINER.replace("{mark}", "").replace("{body}", _FIVE)}
    _, found, expected = _check(tmp_path, files, {"GL105"})
    assert not expected and found == set()


def test_bce_gan_with_helper_steps_once_each_is_silent(tmp_path):
    text = (_WGAN_TRAINER.replace("{mark}", "").replace("{body}", _ONE_EACH)
            .replace("-torch.mean(self.D(real)) + torch.mean(self.D(fake))",
                     "self.bce(self.D(real), torch.ones(real.size(0), 1)) + self.bce(self.D(fake), torch.zeros(real.size(0), 1))")
            .replace("-torch.mean(self.D(self.G(torch.randn(n, 64))))",
                     "self.bce(self.D(self.G(torch.randn(n, 64))), torch.ones(n, 1))")
            .replace("        for p in self.D.parameters():\n            p.data.clamp_(-self.c, self.c)\n", "")
            .replace("        self.c = clip\n", "        self.bce = nn.BCEWithLogitsLoss()\n")
            .replace("torch.optim.RMSprop", "torch.optim.Adam").replace("lr=5e-5", "lr=2e-4"))
    _, found, expected = _check(tmp_path, {"gan.py": text}, {"GL105"})
    assert not expected and found == set()


_CLIP_LOSS = """\
import torch
from torch import nn


class ContrastiveLoss(nn.Module):
    def __init__(self, temperature=0.07):{mark}
        super().__init__()
        self.temperature = temperature

    def forward(self, img_emb, txt_emb):
        img_emb = img_emb / img_emb.norm(dim=1, keepdim=True)
        txt_emb = txt_emb / txt_emb.norm(dim=1, keepdim=True)
        logits = (img_emb @ txt_emb.T) / self.temperature
        targets = torch.arange(logits.size(0), device=logits.device)
        return (nn.CrossEntropyLoss()(logits, targets) + nn.CrossEntropyLoss()(logits.T, targets)) / 2
"""

_CLIP_TRAIN = """\
import torch
from losses.contrastive import ContrastiveLoss


def fit(image_encoder, text_encoder, loader, epochs=5, learning_rate=1e-4):
    criterion = ContrastiveLoss({args}).to("cpu")
    params = list(image_encoder.parameters()) + list(text_encoder.parameters())
    optimizer = torch.optim.AdamW(params, lr=learning_rate)
    for _ in range(epochs):
        for images, tokens in loader:
            loss = criterion(image_encoder(images), text_encoder(tokens))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
"""


def _clip(mark: str, args: str) -> dict[str, str]:
    return {"losses/contrastive.py": _CLIP_LOSS.replace("{mark}", mark), "train.py": _CLIP_TRAIN.replace("{args}", args)}


def test_infonce_loss_module_temperature_left_at_its_constructor_default(tmp_path):
    _, found, expected = _check(tmp_path, _clip("  # expect GL302", ""), {"GL302"})
    assert expected and found == expected


def test_infonce_loss_module_built_with_a_usual_temperature_is_silent(tmp_path):
    _, found, expected = _check(tmp_path, _clip("", "temperature=0.2"), {"GL302"})
    assert not expected and found == set()


def test_infonce_loss_module_built_with_a_sharp_temperature_is_reported_at_the_call(tmp_path):
    files = _clip("", "temperature=0.02")
    files["train.py"] = files["train.py"].replace('.to("cpu")\n', '.to("cpu")  # expect GL302\n')
    _, found, expected = _check(tmp_path, files, {"GL302"})
    assert expected and found == expected


def test_gumbel_softmax_tau_default_beside_an_infonce_loss_is_silent(tmp_path):
    files = _clip("", "temperature=0.2")
    files["quantizer.py"] = """\
import torch.nn as nn
import torch.nn.functional as F


class GumbelQuantizer(nn.Module):
    def __init__(self, dim, codes, tau=0.07):
        super().__init__()
        self.proj = nn.Linear(dim, codes)
        self.tau = tau

    def forward(self, x):
        return F.gumbel_softmax(self.proj(x), tau=self.tau, hard=True)
"""
    _, found, expected = _check(tmp_path, files, {"GL302"})
    assert not expected and found == set()
