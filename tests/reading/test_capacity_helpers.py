"""GL102 (critic weaker than generator) and GL111 (Sigmoid then BCELoss) where the layers come from a
module-level block helper that takes the output activation as an argument (`block(256, 1, act=nn.Sigmoid())`),
with the sizes in a constants module of the project, the helper imported from a sibling file, or the image
size unknown (a data module's shape). Each pattern has near misses that must stay silent. Written in those
styles, not copied from any repository.

A trailing `# expect GLnnn` marks each line where the finding must be reported; the findings must be
exactly the marked lines. The static counts are checked against torch's own.
"""
from __future__ import annotations

import pytest
from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_CONSTANTS = "Z_DIM = 64\nIMG_SIDE = 28\nN_LABELS = 10\n"

_BLOCK = """\
def dense_block(n_in, n_out, use_bn=True, act=None):
    mods = [nn.Linear(n_in, n_out)]
    if use_bn:
        mods.append(nn.BatchNorm1d(n_out))
    mods.append(nn.LeakyReLU(0.2) if act is None else act)
    return mods
"""

_NETS = """\
import torch
from torch import nn

from settings.consts import Z_DIM, IMG_SIDE
HELPER

class Gen(nn.Module):
    def __init__(self, shape=(IMG_SIDE, IMG_SIDE)):
        super().__init__()
        w = [Z_DIM, 256, 512, 1024, shape[0] * shape[1]]
        self.body = nn.Sequential(
            *dense_block(w[0], w[1]),
            *dense_block(w[1], w[2]),
            *dense_block(w[2], w[3]),
            *dense_block(w[3], w[4], use_bn=False, act=nn.Tanh())
        )

    def forward(self, z):
        return self.body(z)


class Disc(nn.Module):
    def __init__(self, shape=(IMG_SIDE, IMG_SIDE)):
        super().__init__()
        w = [shape[0] * shape[1], D1, D2, 1]
        self.body = nn.Sequential(  # MARK102
            *dense_block(w[0], w[1], use_bn=False),
            *dense_block(w[1], w[2], use_bn=False),
            *dense_block(w[2], w[3], use_bn=False, act=nn.Sigmoid())  # MARK111
        )

    def forward(self, x):
        return self.body(x.view(x.shape[0], -1))
"""

_TRAIN = """\
import torch
from torch import nn
from models.mlp import Gen, Disc

G = Gen()
D = Disc()
criterion = nn.LOSS()
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
for real in loader:
    z = torch.randn(real.size(0), 64)
    ones, zeros = torch.ones(real.size(0), 1), torch.zeros(real.size(0), 1)
    d_loss = criterion(D(real), ones) + criterion(D(G(z).detach()), zeros)
    opt_d.zero_grad(); d_loss.backward(); opt_d.step()
    g_loss = criterion(D(G(z)), ones)
    opt_g.zero_grad(); g_loss.backward(); opt_g.step()
"""


def _project(d1: int, d2: int, loss: str = "BCELoss", helper_file: bool = False, marks: str = "") -> dict:
    nets = _NETS.replace("D1", str(d1)).replace("D2", str(d2))
    nets = nets.replace("HELPER", "from .blocks import dense_block\n" if helper_file else "\n" + _BLOCK)
    for code in ("102", "111"):
        nets = nets.replace(f"  # MARK{code}", f"  # expect GL{code}" if code in marks else "")
    files = {"settings/consts.py": _CONSTANTS, "models/mlp.py": nets, "train.py": _TRAIN.replace("LOSS", loss)}
    if helper_file:
        files["models/__init__.py"] = ""
        files["models/blocks.py"] = "from torch import nn\n\n\n" + _BLOCK
    return files


def test_a_sigmoid_passed_to_the_block_helper_ends_the_critic(tmp_path):
    # D 784-512-256-1 (533.5k) against G 64-256-512-1024-784 (1.48M); the Sigmoid is made at the call site
    res, found, expected = _check(tmp_path, _project(512, 256, marks="102 111"), {"GL102", "GL111"})
    assert found == expected and len(found) == 2
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert (f.evidence["critic_params"], f.evidence["generator_params"]) == (533505, 1480720)


def test_the_block_helper_counts_are_torchs():
    torch = pytest.importorskip("torch")
    scope: dict = {"Z_DIM": 64, "IMG_SIDE": 28}
    text = _NETS.replace("D1", "512").replace("D2", "256").replace("HELPER", _BLOCK)
    text = text.replace("from settings.consts import Z_DIM, IMG_SIDE\n", "")
    exec(compile(text, "mlp.py", "exec"), scope)  # our own fixture
    g, d = scope["Gen"](), scope["Disc"]()
    assert sum(p.numel() for p in g.parameters()) == 1480720
    assert sum(p.numel() for p in d.parameters()) == 533505
    out = d(g(torch.randn(2, 64)))
    assert out.shape == (2, 1) and bool(((out > 0) & (out < 1)).all())  # the Sigmoid is the last layer


def test_the_helper_imported_from_a_sibling_file(tmp_path):
    _res, found, expected = _check(tmp_path, _project(512, 256, helper_file=True, marks="102 111"),
                                   {"GL102", "GL111"})
    assert found == expected and len(found) == 2


def test_near_misses_stay_silent(tmp_path):
    # a critic as wide as the generator (1024-1024 hidden: 1.85M) trained with BCEWithLogitsLoss: the Tanh
    # the helper gets at the generator's output is no finding, and the critic's Sigmoid is not GL111's
    _res, found, expected = _check(tmp_path, _project(1024, 1024, loss="BCEWithLogitsLoss"), {"GL102", "GL111"})
    assert found == expected == set()


# -- the image size unknown: a system built from a data module's shape ----------------------------------
_UNSIZED = """\
import numpy as np
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim, img_shape):
        super().__init__()
        self.img_shape = img_shape
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 128), nn.LeakyReLU(0.2),
            nn.Linear(128, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 1024), nn.LeakyReLU(0.2),
            nn.Linear(1024, int(np.prod(img_shape))), nn.Tanh())

    def forward(self, z):
        return self.net(z).view(z.size(0), *self.img_shape)


class Discriminator(nn.Module):
    def __init__(self, img_shape):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(int(np.prod(img_shape)), D1), nn.LeakyReLU(0.2),  # MARK
            nn.Linear(D1, D2), nn.LeakyReLU(0.2),
            nn.Linear(D2, 1))

    def forward(self, x):
        return self.net(x.flatten(1))


def main(args):
    shape = (args.channels, args.size, args.size)
    generator = Generator(100, shape)
    discriminator = Discriminator(shape)
    fit(generator, discriminator)
"""


def _unsized(d1: int, d2: int, mark: bool) -> str:
    text = _UNSIZED.replace("D1", str(d1)).replace("D2", str(d2))
    return text.replace("  # MARK", "  # expect GL102" if mark else "")


def test_a_weaker_mlp_critic_for_any_image_size(tmp_path):
    # D: 512n + 132097 parameters, G: 1025n + 702848 for an image of n values (checked against torch below)
    _res, found, expected = _check(tmp_path, {"gan.py": _unsized(512, 256, True)}, {"GL102"})
    assert found == expected and len(found) == 1


def test_an_mlp_critic_wider_for_large_images_stays_silent(tmp_path):
    # near miss: D 2048-256 hidden has 2048n + ... parameters: more than the generator once n is large
    _res, found, expected = _check(tmp_path, {"gan.py": _unsized(2048, 256, False)}, {"GL102"})
    assert found == expected == set()


def test_the_any_size_counts_are_torchs():
    pytest.importorskip("torch")
    scope: dict = {}
    exec(compile(_unsized(512, 256, False), "gan.py", "exec"), scope)
    for n, shape in ((4, (1, 2, 2)), (784, (1, 28, 28))):
        g, d = scope["Generator"](100, shape), scope["Discriminator"](shape)
        assert sum(p.numel() for p in d.parameters()) == 512 * n + 132097
        assert sum(p.numel() for p in g.parameters()) == 1025 * n + 702848


# -- a DCGAN pair of block helpers: the generator's Linear projection viewed as 1024 channels -------------
_DCGAN = """\
import numpy as np
import torch
from torch import nn


def up(c_in, c_out, bn=True, act=None):
    mods = [nn.ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1, bias=False)]
    if bn:
        mods.append(nn.BatchNorm2d(c_out))
    mods.append(nn.ReLU() if act is None else act)
    return mods


def down(c_in, c_out, bn=True, act=None, pad=1):
    mods = [nn.Conv2d(c_in, c_out, kernel_size=4, stride=2, padding=pad, bias=False)]
    if bn:
        mods.append(nn.BatchNorm2d(c_out))
    mods.append(nn.LeakyReLU(0.2) if act is None else act)
    return mods


class ConvGenerativeNet(nn.Module):
    def __init__(self):
        super().__init__()
        ch = [1024, 512, 256, 128, 3]
        self.start = (ch[0], 4, 4)
        self.proj = nn.Linear(100, ch[0] * int(np.prod(self.start[1:])))
        self.body = nn.Sequential(*up(ch[0], ch[1]), *up(ch[1], ch[2]), *up(ch[2], ch[3]),
                                  *up(ch[3], ch[4], bn=False, act=nn.Tanh()))

    def forward(self, z):
        return self.body(self.proj(z).view(z.shape[0], *self.start))


class ConvDiscriminativeNet(nn.Module):
    def __init__(self):
        super().__init__()
        ch = [3, C1, C2, C3, C4, 1]
        self.body = nn.Sequential(  # MARK102
            *down(ch[0], ch[1], bn=False), *down(ch[1], ch[2]), *down(ch[2], ch[3]), *down(ch[3], ch[4]),
            *down(ch[4], ch[5], bn=False, act=nn.Sigmoid(), pad=0))  # expect GL111

    def forward(self, x):
        return self.body(x)
"""
_DCGAN_TRAIN = """\
import torch
from torch import nn
from dcgan import ConvGenerativeNet, ConvDiscriminativeNet

d_net, g_net = ConvDiscriminativeNet(), ConvGenerativeNet()
loss = nn.BCELoss()
for x in loader:
    fake = g_net(torch.randn(x.size(0), 100))
    d_loss = loss(d_net(x), torch.ones(x.size(0), 1)) + loss(d_net(fake.detach()), torch.zeros(x.size(0), 1))
"""


def _dcgan(widths: tuple[int, int, int, int], mark: bool) -> dict:
    text = _DCGAN
    for i, w in enumerate(widths, 1):
        text = text.replace(f"C{i}", str(w))
    return {"dcgan.py": text.replace("  # MARK102", "  # expect GL102" if mark else ""), "train.py": _DCGAN_TRAIN}


def test_mirrored_dcgan_channels_stay_silent_for_gl102(tmp_path):
    # the critic's 128-256-512-1024 mirror the generator's 1024 (projection) -512-256-128: equal, though the
    # projection's 1.6M weights give the generator more parameters; its Sigmoid and BCELoss are GL111's
    _res, found, expected = _check(tmp_path, _dcgan((128, 256, 512, 1024), False), {"GL102", "GL111"})
    assert found == expected and {c for c, _f, _l in found} == {"GL111"}


def test_a_narrower_dcgan_critic_is_weaker(tmp_path):
    _res, found, expected = _check(tmp_path, _dcgan((64, 128, 256, 512), True), {"GL102", "GL111"})
    assert found == expected and len(found) == 2
