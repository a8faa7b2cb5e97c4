"""GL102 on conditional and multi-head GANs: a conditional GAN's label layers (an Embedding or a small Linear
applied in forward to the labels and concatenated or multiplied in) are inputs, not hidden layers; an ACGAN
critic's score and class heads, both reading the same features, are both outputs; an InfoGAN critic split into
a shared body and head modules is the body with its score head, and a head (fed the body's features, not
images) is not a critic of its own. Mirrored channels are balanced, half the channels are weaker. Fixtures in
the styles such code is written in, not copied from any repository; `# expect GL102` marks where the finding
must be reported."""
from __future__ import annotations

import ast

import pytest
from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

from ganlint.reading.code import read_code

# a conditional WGAN-GP: the generator embeds the label and concatenates it to z before its projection, the
# critic maps the one-hot label to an extra image plane
_CGAN = """\
import torch
import torch.nn as nn

N_CLASSES, NZ, NGF, NDF = 10, 100, 64, NDF_VALUE


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(N_CLASSES, 16)
        self.project = nn.Linear(NZ + 16, NGF * 8 * 4 * 4)
        self.up = nn.Sequential(
            nn.BatchNorm2d(NGF * 8), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1), nn.BatchNorm2d(NGF * 4), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1), nn.BatchNorm2d(NGF * 2), nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1), nn.BatchNorm2d(NGF), nn.ReLU(True),
            nn.ConvTranspose2d(NGF, 3, 4, 2, 1), nn.Tanh())

    def forward(self, z, labels):
        h = self.project(torch.cat([z, self.embed(labels)], dim=1))
        return self.up(h.view(-1, NGF * 8, 4, 4))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.label_plane = nn.Linear(N_CLASSES, 64 * 64)
        self.down = nn.Sequential(
            nn.Conv2d(3 + 1, NDF, 4, 2, 1), nn.LeakyReLU(0.2, True),  # MARK
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(NDF * 4, NDF * 8, 4, 2, 1), nn.LeakyReLU(0.2, True))
        self.score = nn.Linear(NDF * 8 * 4 * 4, 1)

    def forward(self, img, y_onehot):
        plane = self.label_plane(y_onehot).view(-1, 1, 64, 64)
        h = self.down(torch.cat([img, plane], dim=1))
        return self.score(h.flatten(1))


netG, netD = Generator(), Discriminator()
opt_g = torch.optim.Adam(netG.parameters(), lr=1e-4, betas=(0.0, 0.9))
opt_d = torch.optim.Adam(netD.parameters(), lr=1e-4, betas=(0.0, 0.9))
"""

# an ACGAN: the generator multiplies z by the label's embedding; the critic scores real/fake and classifies
# with two heads on the same flattened features
_ACGAN = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, n_classes=10, nz=100, ngf=64):
        super().__init__()
        self.label_emb = nn.Embedding(n_classes, nz)
        self.fc = nn.Sequential(nn.Linear(nz, ngf * 4 * 8 * 8), nn.ReLU())
        self.ngf = ngf
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1), nn.BatchNorm2d(ngf * 2), nn.ReLU(),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1), nn.BatchNorm2d(ngf), nn.ReLU(),
            nn.ConvTranspose2d(ngf, 3, 3, 1, 1), nn.Tanh())

    def forward(self, noise, labels):
        x = self.fc(torch.mul(self.label_emb(labels), noise))
        return self.deconv(x.view(x.size(0), self.ngf * 4, 8, 8))


class Discriminator(nn.Module):
    def __init__(self, n_classes=10, ndf=NDF_VALUE):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, ndf, 3, 2, 1), nn.LeakyReLU(0.2),  # MARK
            nn.Conv2d(ndf, ndf * 2, 3, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * 2, ndf * 4, 3, 1, 1), nn.LeakyReLU(0.2))
        self.adv_head = nn.Linear(ndf * 4 * 8 * 8, 1)
        self.aux_head = nn.Linear(ndf * 4 * 8 * 8, n_classes)

    def forward(self, img):
        f = self.features(img).flatten(1)
        return self.adv_head(f), self.aux_head(f)


G, D = Generator(), Discriminator()
"""

# an InfoGAN: one body for the critic and the code predictor, a score head and a latent-code head on it
_INFOGAN_MODELS = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(74, 1024, 1, 1, bias=False), nn.BatchNorm2d(1024), nn.ReLU(),
            nn.ConvTranspose2d(1024, 128, 7, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Sigmoid())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, C1, 4, 2, 1), nn.LeakyReLU(0.1),  # MARK
            nn.Conv2d(C1, C2, 4, 2, 1, bias=False), nn.BatchNorm2d(C2), nn.LeakyReLU(0.1),
            nn.Conv2d(C2, C3, 7, bias=False), nn.BatchNorm2d(C3), nn.LeakyReLU(0.1))

    def forward(self, x):
        return self.net(x)


class DHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(C3, 1, 1)

    def forward(self, h):
        return torch.sigmoid(self.conv(h))


class QHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(C3, 128, 1, bias=False)
        self.bn = nn.BatchNorm2d(128)
        self.logits = nn.Conv2d(128, 10, 1)
        self.mu = nn.Conv2d(128, 2, 1)
        self.var = nn.Conv2d(128, 2, 1)

    def forward(self, h):
        h = F.leaky_relu(self.bn(self.conv(h)), 0.1)
        return self.logits(h).squeeze(), self.mu(h).squeeze(), torch.exp(self.var(h).squeeze())
"""

_INFOGAN_TRAIN = """\
import torch
from models import DHead, Discriminator, Generator, QHead

netG, body, netD, netQ = Generator(), Discriminator(), DHead(), QHead()
optD = torch.optim.Adam([{"params": body.parameters()}, {"params": netD.parameters()}], lr=2e-4, betas=(0.5, 0.999))
optG = torch.optim.Adam([{"params": netG.parameters()}, {"params": netQ.parameters()}], lr=1e-3, betas=(0.5, 0.999))
for step in range(100):
    real = torch.rand(64, 1, 28, 28)
    probs_real = netD(body(real)).view(-1)
    fake = netG(torch.randn(64, 74, 1, 1))
    probs_fake = netD(body(fake.detach())).view(-1)
"""


def _mark(text: str, mark: bool) -> str:
    return text.replace("  # MARK", "  # expect GL102" if mark else "")


def _cgan(ndf: int, mark: bool) -> str:
    return _mark(_CGAN.replace("NDF_VALUE", str(ndf)), mark)


def _acgan(ndf: int, mark: bool) -> str:
    return _mark(_ACGAN.replace("NDF_VALUE", str(ndf)), mark)


def _infogan(c: tuple[int, int, int], mark: bool) -> dict[str, str]:
    models = _INFOGAN_MODELS
    for name, v in zip(("C1", "C2", "C3"), c):
        models = models.replace(name, str(v))
    return {"models.py": _mark(models, mark), "train.py": _INFOGAN_TRAIN}


def _gl102(tmp_path, files: dict[str, str]):
    res, found, expected = _check(tmp_path, files, {"GL102"})
    return [f for f in res.findings if f.code == "GL102"], found, expected


def _networks(text: str) -> dict:
    facts = read_code("train.py", ast.parse(text), text)
    return {n.name: n for n in facts.networks}


@pytest.mark.parametrize("make", [_cgan, _acgan])
def test_a_conditional_critic_mirroring_the_generator_is_balanced(tmp_path, make):
    # near miss: the critic's channels mirror the generator's; the label layers and the projection of z are
    # what give the generator more parameters
    findings, found, expected = _gl102(tmp_path, {"train.py": make(64, False)})
    assert found == expected == set(), [f.message for f in findings]


def test_a_conditional_critic_with_half_the_channels_is_weaker(tmp_path):
    findings, found, expected = _gl102(tmp_path, {"train.py": _cgan(32, True)})
    assert found == expected and len(found) == 1
    assert "[32, 64, 128, 256]" in findings[0].message and "[512, 256, 128, 64]" in findings[0].message


def test_an_acgan_critic_with_half_the_channels_is_weaker(tmp_path):
    findings, found, expected = _gl102(tmp_path, {"train.py": _acgan(32, True)})
    assert found == expected and len(found) == 1
    assert "[32, 64, 128]" in findings[0].message and "[256, 128, 64]" in findings[0].message


def test_label_layers_are_inputs_and_two_heads_are_outputs():
    cgan, acgan = _networks(_cgan(64, False)), _networks(_acgan(64, False))
    assert cgan["Generator"].layer_widths == [8192, 256, 128, 64, 3]  # no Embedding(10, 16) in front
    assert cgan["Generator"].projected_channels == 512
    assert cgan["Discriminator"].layer_widths == [64, 128, 256, 512, 1]  # no Linear(10, 4096) in front
    assert acgan["Discriminator"].layer_widths == [64, 128, 256, 1, 10]
    assert acgan["Discriminator"].output_layers == 2
    assert cgan["Discriminator"].output_layers == acgan["Generator"].output_layers == 1


def test_a_layer_on_the_main_input_stays_a_hidden_layer():
    # near miss of the label pattern: a layer forward also applies to the main input is not the condition's
    text = _cgan(64, False).replace("torch.cat([z, self.embed(labels)], dim=1)",
                                    "torch.cat([z, self.embed(labels) + self.embed(z.argmax(1))], dim=1)")
    assert _networks(text)["Generator"].layer_widths == [16, 8192, 256, 128, 64, 3]


def test_an_infogan_body_mirroring_the_generator_is_balanced_and_its_heads_are_not_critics(tmp_path):
    findings, found, expected = _gl102(tmp_path, _infogan((64, 128, 1024), False))
    assert found == expected == set(), [f.message for f in findings]


def test_an_infogan_body_with_half_the_channels_is_weaker(tmp_path):
    findings, found, expected = _gl102(tmp_path, _infogan((32, 64, 512), True))
    assert found == expected and len(found) == 1
    assert "`Discriminator`" in findings[0].message and "[32, 64, 512]" in findings[0].message


def _torch_scope(text: str) -> dict:
    scope: dict = {}
    exec(compile(text.split("\nnetG")[0].split("\nG, D")[0], "models.py", "exec"), scope)
    return scope


def test_the_counts_are_torchs():
    torch = pytest.importorskip("torch")
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    for text, make_input in ((_cgan(64, False), lambda: (torch.randn(2, 100), torch.randint(0, 10, (2,)))),
                             (_acgan(64, False), lambda: (torch.randn(2, 100), torch.randint(0, 10, (2,))))):
        scope, nets = _torch_scope(text), _networks(text)
        g, d = scope["Generator"](), scope["Discriminator"]()
        assert count(g) == nets["Generator"].param_count and count(d) == nets["Discriminator"].param_count
        assert count(d) < count(g)  # mirrored yet fewer parameters: the parameter counts would say weaker
        z, y = make_input()
        img = g(z, y)
        out = d(img, torch.nn.functional.one_hot(y, 10).float()) if "label_plane" in text else d(img)
        assert (out.shape if "label_plane" in text else tuple(o.shape for o in out)) in ((2, 1), ((2, 1), (2, 10)))
    text = _infogan((64, 128, 1024), False)["models.py"]
    scope, nets = _torch_scope(text), _networks(text)
    g, body, dhead = scope["Generator"](), scope["Discriminator"](), scope["DHead"]()
    for name, m in (("Generator", g), ("Discriminator", body), ("DHead", dhead)):
        assert count(m) == nets[name].param_count
    assert count(body) + count(dhead) < count(g)  # the critic (body + score head): fewer, only by the projection
    assert dhead(body(g(torch.randn(2, 74, 1, 1)))).shape == (2, 1, 1, 1)


def test_a_head_on_a_body_whose_name_says_nothing_is_not_a_critic(tmp_path):
    # the body is not named a critic: the score head alone is not compared with the generator, nor the body
    files = _infogan((64, 128, 1024), False)
    files["models.py"] = files["models.py"].replace("class Discriminator(", "class SharedTrunk(")
    files["train.py"] = files["train.py"].replace("Discriminator", "SharedTrunk")
    findings, found, expected = _gl102(tmp_path, files)
    assert found == expected == set(), [f.message for f in findings]


def test_a_sequential_on_the_labels_is_an_input():
    text = _cgan(64, False).replace("self.embed = nn.Embedding(N_CLASSES, 16)",
                                    "self.embed = nn.Sequential(nn.Linear(N_CLASSES, 32), nn.ReLU(), nn.Linear(32, 16))")
    gen = _networks(text)["Generator"]
    assert gen.layer_widths == [8192, 256, 128, 64, 3] and gen.layer_kinds[0] == "Linear"
    torch = pytest.importorskip("torch")
    g = _torch_scope(text)["Generator"]()
    assert gen.param_count == sum(p.numel() for p in g.parameters())  # the labels' layers still count
    assert g(torch.randn(2, 100), torch.nn.functional.one_hot(torch.tensor([1, 2]), 10).float()).shape == (2, 3, 64, 64)
