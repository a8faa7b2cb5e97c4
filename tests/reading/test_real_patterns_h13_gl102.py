"""H13 GL102 (critic weaker than generator): (1) an InfoGAN whose generator projects z through two Linear
layers (1024 units, then 128*7*7 viewed as 128 channels) before its transposed convs, against a critic of
convs 64/128 then a 1024-unit Linear with a score layer and a separate code head: the mirror, silent; the same
critic at half the widths is weaker.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_INFOGAN_LINEAR = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, noise=62, codes=12):
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(noise + codes, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
            nn.Linear(1024, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z, c):
        h = self.fc(torch.cat([z, c], 1)).view(-1, 128, 7, 7)
        return self.deconv(h)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, W1, 4, 2, 1), nn.LeakyReLU(0.1),{mark}
            nn.Conv2d(W1, W2, 4, 2, 1), nn.BatchNorm2d(W2), nn.LeakyReLU(0.1))
        self.fc = nn.Sequential(nn.Linear(W2 * 7 * 7, W3), nn.BatchNorm1d(W3), nn.LeakyReLU(0.1))
        self.score = nn.Sequential(nn.Linear(W3, 1), nn.Sigmoid())

    def forward(self, x):
        f = self.fc(self.conv(x).view(x.size(0), -1))
        return self.score(f), f


class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(W3, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.1), nn.Linear(128, 14))

    def forward(self, f):
        return self.net(f)


G, D, Q = Generator(), Discriminator(), QNet()
"""


def _infogan(w1: int, w2: int, w3: int, mark: str = "") -> str:
    return (_INFOGAN_LINEAR.replace("{mark}", mark).replace("W1", str(w1)).replace("W2", str(w2))
            .replace("W3", str(w3)))


def test_infogan_linear_projection_mirrored_by_conv_then_linear_critic_is_silent(tmp_path):
    _res, found, expected = _check(tmp_path, {"model.py": _infogan(64, 128, 1024)}, {"GL102"})
    assert found == expected == set()


def test_infogan_critic_at_half_the_widths_is_weaker(tmp_path):
    _res, found, expected = _check(tmp_path, {"model.py": _infogan(32, 64, 512, "  # expect GL102")}, {"GL102"})
    assert expected and found == expected


# (2) residual blocks written in another file (spectral-norm-wrapped convs, a conditional norm when a class
# count is given) and built by the model file's networks; the train script picks the model module by import
# and passes a flag its case number decides; a second model file defines classes of the same names
_BLOCKS = """\
import torch.nn as nn
import torch.nn.functional as F
from models.layers import SpectralNorm, CondBatchNorm2d


class GenBlock(nn.Module):
    def __init__(self, in_ch, out_ch, upsample, n_classes=0):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        if n_classes == 0:
            self.bn1, self.bn2 = nn.BatchNorm2d(in_ch), nn.BatchNorm2d(out_ch)
        else:
            self.bn1, self.bn2 = CondBatchNorm2d(in_ch, n_classes), CondBatchNorm2d(out_ch, n_classes)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch or upsample else None
        self.upsample = upsample

    def forward(self, x):
        h = F.relu(self.bn1(x))
        if self.upsample:
            h, x = F.interpolate(h, scale_factor=2), F.interpolate(x, scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + (self.skip(x) if self.skip is not None else x)


class DisBlock(nn.Module):
    def __init__(self, in_ch, out_ch, downsample):
        super().__init__()
        self.conv1 = SpectralNorm(nn.Conv2d(in_ch, out_ch, 3, padding=1))
        self.conv2 = SpectralNorm(nn.Conv2d(out_ch, out_ch, 3, padding=1))
        if in_ch != out_ch or downsample:
            self.skip = SpectralNorm(nn.Conv2d(in_ch, out_ch, 1))
        else:
            self.skip = None
        self.downsample = downsample

    def forward(self, x):
        h = self.conv2(F.relu(self.conv1(F.relu(x))))
        s = self.skip(x) if self.skip is not None else x
        if self.downsample:
            h, s = F.avg_pool2d(h, 2), F.avg_pool2d(s, 2)
        return h + s
"""

_LAYERS = """\
import torch.nn as nn


class SpectralNorm(nn.Module):
    def __init__(self, module, name="weight"):
        super().__init__()
        self.module, self.name = module, name

    def forward(self, *args):
        return self.module(*args)


class CondBatchNorm2d(nn.Module):
    def __init__(self, ch, n_classes):
        super().__init__()
        self.bn = nn.BatchNorm2d(ch, affine=False)
        self.gamma, self.beta = nn.Linear(n_classes, ch, bias=False), nn.Linear(n_classes, ch, bias=False)

    def forward(self, x, y):
        return self.gamma(y)[:, :, None, None] * self.bn(x) + self.beta(y)[:, :, None, None]
"""

_RESNET = """\
import torch
import torch.nn as nn
from models.blocks import GenBlock, DisBlock


class Generator(nn.Module):
    def __init__(self, conditional=False):
        super().__init__()
        n_classes = 10 if conditional else 0
        self.dense = nn.Linear(128, 4 * 4 * 256)
        self.block1 = GenBlock(256, 256, True, n_classes=n_classes)
        self.block2 = GenBlock(256, 256, True, n_classes=n_classes)
        self.block3 = GenBlock(256, 256, True, n_classes=n_classes)
        self.out = nn.Sequential(nn.BatchNorm2d(256), nn.ReLU(), nn.Conv2d(256, 3, 3, padding=1), nn.Tanh())

    def forward(self, z):
        return self.out(self.block3(self.block2(self.block1(self.dense(z).view(-1, 256, 4, 4)))))


class Discriminator(nn.Module):
    def __init__(self, conditional=False):
        super().__init__()
        self.block1 = DisBlock(3, CH, True)
        self.block2 = DisBlock(CH, CH, True)
        self.block3 = DisBlock(CH, CH, False)
        self.block4 = DisBlock(CH, CH, False){extra}
        self.dense = nn.Linear(CH, 1){mark}

    def forward(self, x):
        h = self.block4(self.block3(self.block2(self.block1(x))))
        return self.dense(torch.sum(torch.relu(h), dim=(2, 3)))
"""

_DCGAN = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, conditional=False):
        super().__init__()
        self.dense = nn.Linear(128, 4 * 4 * 512)
        self.main = nn.Sequential(
            nn.ConvTranspose2d(512, 256, 4, 2, 1), nn.BatchNorm2d(256), nn.ReLU(),
            nn.ConvTranspose2d(256, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 3, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.main(self.dense(z).view(-1, 512, 4, 4))


class Discriminator(nn.Module):
    def __init__(self, conditional=False):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, 128, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(128, 256, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(256, 512, 4, 2, 1), nn.LeakyReLU(0.1))
        self.dense = nn.Linear(512 * 4 * 4, 1)

    def forward(self, x):
        return self.dense(self.main(x).view(x.size(0), -1))
"""

_TRAIN = """\
import torch
import models.{module} as arch


def train(cases):
    if cases in [0, 1]:
        conditional = False
    else:
        conditional = True
    model_G = arch.Generator(conditional=conditional)
    model_D = arch.Discriminator(conditional=conditional)
    opt_g = torch.optim.Adam(model_G.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(model_D.parameters(), lr=2e-4, betas=(0.0, 0.9))
    for step in range(100):
        z = torch.randn(64, 128)
        real = torch.randn(64, 3, 32, 32)
        loss_d = torch.relu(1 - model_D(real)).mean() + torch.relu(1 + model_D(model_G(z).detach())).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = -model_D(model_G(z)).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()


if __name__ == "__main__":
    for i in range(4):
        train(i)
"""


def _resnet_project(ch: int, extra: bool = False, mark: str = "") -> dict[str, str]:
    resnet = _RESNET.replace("{extra}", "\n        self.block5 = DisBlock(CH, CH, False)" if extra else "")
    resnet = resnet.replace("h = self.block4(", "h = self.block5(self.block4(" if extra else "h = self.block4(")
    resnet = resnet.replace("(x))))\n", "(x)))))\n" if extra else "(x))))\n")
    return {
        "models/__init__.py": "",
        "models/layers.py": _LAYERS,
        "models/blocks.py": _BLOCKS,
        "models/resnet.py": resnet.replace("{mark}", mark).replace("CH", str(ch)),
        "models/dcgan.py": _DCGAN,
        "train_resnet.py": _TRAIN.replace("{module}", "resnet"),
        "train_dcgan.py": _TRAIN.replace("{module}", "dcgan"),
    }


def test_critic_of_imported_residual_blocks_narrower_than_generator_blocks(tmp_path):
    # D: 4 spectral-norm blocks of 128 channels (~1.05M) against G's 256-channel blocks (at least 4.27M)
    _res, found, expected = _check(tmp_path, _resnet_project(128, mark="  # expect GL102"), {"GL102"})
    assert expected and found == expected


def test_critic_of_imported_residual_blocks_wider_than_generator_is_silent(tmp_path):
    # five 256-channel blocks (~5.4M) against the generator's three (~4.3M); dcgan.py's mirror stays silent
    _res, found, expected = _check(tmp_path, _resnet_project(256, extra=True), {"GL102"})
    assert found == expected == set()


# (3) a script whose `__main__` block runs `main(parse_args())`: main builds a trainer object from the
# parsed flags, and the trainer's __init__ builds both players with `--hidden-size`
_CGAN = """\
import argparse
import torch
import torch.nn as nn

n_labels = 10


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument('--hidden-size', type=int, default=256, help='MLP hidden size')
    parser.add_argument('--z-size', type=int, default=100)
    parser.add_argument('--lr', type=float, default=2e-4)
    return parser.parse_args()


class G_net(nn.Module):
    def __init__(self, z_size, hidden, out_size):
        super().__init__()
        self.fc1 = nn.Linear(z_size + n_labels, hidden)
        self.fc2 = nn.Linear(hidden, 2 * hidden)
        self.fc3 = nn.Linear(2 * hidden, out_size)

    def forward(self, z, y):
        h = torch.relu(self.fc2(torch.relu(self.fc1(torch.cat((z, y), 1)))))
        return torch.sigmoid(self.fc3(h))


class D_net(nn.Module):
    def __init__(self, in_size, hidden):
        super().__init__()
        self.fc1 = nn.Linear(in_size + n_labels, D1){mark}
        self.fc2 = nn.Linear(D1, D2)
        self.fc3 = nn.Linear(D2, 1)

    def forward(self, x, y):
        h = torch.relu(self.fc2(torch.relu(self.fc1(torch.cat((x, y), 1)))))
        return torch.sigmoid(self.fc3(h))


class CGAN(object):
    def __init__(self, params, in_size, z_size):
        self.g = G_net(z_size, params.hidden_size, in_size)
        self.d = D_net(in_size, params.hidden_size)
        self.g_opt = torch.optim.Adam(self.g.parameters(), lr=params.lr, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.d.parameters(), lr=params.lr, betas=(0.5, 0.999))
        self.loss = nn.BCELoss()


def main(args):
    model = CGAN(args, 28 * 28, args.z_size)
    for step in range(1000):
        x = torch.rand(64, 784)
        y = torch.eye(n_labels)[torch.randint(0, n_labels, (64,))]
        fake = model.g(torch.randn(64, args.z_size), y)
        d_loss = model.loss(model.d(x, y), torch.ones(64, 1)) + model.loss(model.d(fake.detach(), y), torch.zeros(64, 1))
        model.d_opt.zero_grad()
        d_loss.backward()
        model.d_opt.step()
        g_loss = model.loss(model.d(fake, y), torch.ones(64, 1))
        model.g_opt.zero_grad()
        g_loss.backward()
        model.g_opt.step()


if __name__ == '__main__':
    main(parse_args())
"""


def test_critic_narrowing_where_generator_widens_with_parsed_hidden_size(tmp_path):
    # --hidden-size 256: D 794->256->128->1 (384 hidden units) against G 110->256->512->784 (768)
    text = _CGAN.replace("{mark}", "  # expect GL102").replace("D1", "hidden").replace("D2", "hidden // 2")
    _res, found, expected = _check(tmp_path, {"mnist_cgan.py": text}, {"GL102"})
    assert expected and found == expected


def test_critic_mirroring_generator_widths_with_parsed_hidden_size_is_silent(tmp_path):
    # D 794->512->256->1 mirrors G's 256/512 hidden widths
    text = _CGAN.replace("{mark}", "").replace("D1", "2 * hidden").replace("D2", "hidden")
    _res, found, expected = _check(tmp_path, {"mnist_cgan.py": text}, {"GL102"})
    assert found == expected == set()


# an ACGAN built the same way: a conv score head and a class head on the flattened features beside it
_ACGAN = _CGAN.split("class G_net")[0] + """\
def down(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 4, 2, 1), nn.BatchNorm2d(o), nn.ReLU())


def up(i, o, pad):
    return nn.Sequential(nn.ConvTranspose2d(i, o, 4, 2, pad), nn.BatchNorm2d(o), nn.ReLU())


class G_net(nn.Module):
    def __init__(self, z_ch, out_ch):
        super().__init__()
        self.l1, self.l2, self.l3 = up(z_ch, 512, 0), up(512, 256, 1), up(256, 128, 1)
        self.out = nn.ConvTranspose2d(128, out_ch, 4, 2, 1)

    def forward(self, z, y):
        return torch.tanh(self.out(self.l3(self.l2(self.l1(torch.cat((z, y), 1))))))


class D_net(nn.Module):
    def __init__(self, in_ch):
        super().__init__()
        self.l1, self.l2, self.l3 = down(in_ch, 128), down(128, 256), down(256, 512)
        self.score = nn.Conv2d(512, 1, 4)
        self.classes = nn.Linear(4 * 4 * 512, n_labels)

    def forward(self, x):
        h = self.l3(self.l2(self.l1(x)))
        return torch.sigmoid(self.score(h)), self.classes(h.view(-1, 4 * 4 * 512))


class ACGAN(object):
    def __init__(self, params, in_ch, out_ch):
        self.g = G_net(params.z_size + n_labels, out_ch)
        self.d = D_net(in_ch)
        self.g_opt = torch.optim.Adam(self.g.parameters(), lr=params.lr, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.d.parameters(), lr=params.lr, betas=(0.5, 0.999))


def main(args):
    model = ACGAN(args, 3, 3)
    z = torch.randn(64, args.z_size + n_labels, 1, 1)
    score, classes = model.d(model.g(z[:, :args.z_size], z[:, args.z_size:]))


if __name__ == '__main__':
    main(parse_args())
"""


def test_acgan_class_head_on_flattened_features_beside_conv_score_is_silent(tmp_path):
    # D 128/256/512 mirrors G's 512/256/128; the 8k-input class head is a second output, not a hidden layer
    _res, found, expected = _check(tmp_path, {"cifar_acgan.py": _ACGAN}, {"GL102"})
    assert found == expected == set()


# (4) a lightened critic in a model file of its own, paired with another model file's generator by the script
# that builds both; a second script trains that generator against its own file's (mirrored) critic
_R96 = """\
import torch
import torch.nn as nn
from models.blocks import GenBlock, DisBlock


class Generator(nn.Module):
    def __init__(self, n_classes_g=0):
        super().__init__()
        self.dense = nn.Linear(128, 3 * 3 * 512)
        self.block1 = GenBlock(512, 512, True, n_classes=n_classes_g)
        self.block2 = GenBlock(512, 256, True, n_classes=n_classes_g)
        self.block3 = GenBlock(256, 128, True, n_classes=n_classes_g)
        self.out = nn.Sequential(nn.BatchNorm2d(128), nn.ReLU(), nn.Conv2d(128, 3, 3, padding=1), nn.Tanh())

    def forward(self, z):
        return self.out(self.block3(self.block2(self.block1(self.dense(z).view(-1, 512, 3, 3)))))


class Discriminator(nn.Module):
    def __init__(self, n_classes_d=0):
        super().__init__()
        self.block1 = DisBlock(3, 128, True)
        self.block2 = DisBlock(128, 256, True)
        self.block3 = DisBlock(256, 512, True)
        self.block4 = DisBlock(512, 512, False)
        self.dense = nn.Linear(512, 1)

    def forward(self, x):
        h = self.block4(self.block3(self.block2(self.block1(x))))
        return self.dense(torch.sum(torch.relu(h), dim=(2, 3)))
"""

_LIGHT = """\
import torch
import torch.nn as nn
from models.blocks import DisBlock
from models.layers import SpectralNorm


class DiscriminatorLight(nn.Module):
    def __init__(self, n_classes_d=0):
        super().__init__()
        self.initial = SpectralNorm(nn.Conv2d(3, C1, 4, 2, padding=1)){mark}
        self.block1 = DisBlock(C1, C2, True)
        self.block2 = DisBlock(C2, C3, True)
        self.dense = nn.Linear(C3, 1)

    def forward(self, x):
        h = self.block2(self.block1(self.initial(x)))
        return self.dense(torch.sum(torch.relu(h), dim=(2, 3)))
"""

_PAIR = """\
import torch
import models.resnet96 as r96
import models.resnet96_light as light


def train(cases):
    conditional = cases % 2 == 1
    model_G = r96.Generator(n_classes_g=102 if conditional else 0)
    model_D = {critic}(n_classes_d=102 if conditional else 0)  # the light one trains faster
    opt_g = torch.optim.Adam(model_G.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(model_D.parameters(), lr=2e-4, betas=(0.0, 0.9))
    for step in range(100):
        z = torch.randn(16, 128)
        loss_d = torch.relu(1 - model_D(torch.randn(16, 3, 96, 96))).mean() + \\
            torch.relu(1 + model_D(model_G(z).detach())).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = -model_D(model_G(z)).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()


if __name__ == "__main__":
    for i in range(2):
        train(i)
"""


def _light_project(widths: tuple[int, int, int], critic: str, mark: str = "") -> dict[str, str]:
    light = _LIGHT.replace("{mark}", mark)
    for name, w in zip(("C1", "C2", "C3"), widths):
        light = light.replace(name, str(w))
    return {
        "models/__init__.py": "",
        "models/layers.py": _LAYERS,
        "models/blocks.py": _BLOCKS,
        "models/resnet96.py": _R96,
        "models/resnet96_light.py": light,
        "models/dcgan.py": _DCGAN,
        "train_flower.py": _PAIR.replace("{critic}", critic),
        "train_anime.py": _PAIR.replace("{critic}", "r96.Discriminator"),
        "train_dcgan.py": _TRAIN.replace("{module}", "dcgan"),
    }


def test_lightened_critic_paired_with_another_files_generator_by_the_script(tmp_path):
    # DiscriminatorLight 32/64/128 (~0.3M) against resnet96.Generator's 512/256/128 blocks (at least 7M)
    files = _light_project((32, 64, 128), "light.DiscriminatorLight", "  # expect GL102")
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert expected and found == expected


def test_light_critic_wide_enough_or_not_trained_is_silent(tmp_path):
    # at 256/512/1024 it outweighs the generator; and a light critic no script builds is compared with nothing
    _res, found, expected = _check(tmp_path, _light_project((256, 512, 1024), "light.DiscriminatorLight"), {"GL102"})
    assert found == expected == set()
    _res, found, expected = _check(tmp_path / "unused", _light_project((32, 64, 128), "r96.Discriminator"), {"GL102"})
    assert found == expected == set()


# (5) the reference WGAN-GP ResNet shape: 128-filter critic blocks mirror the generator's 128-filter blocks;
# the generator's Linear projection of z (and its first block reading the projected 256 channels) give it
# more parameters (~1.6M against ~0.9M), which the rule does not count against the critic
_WGAN_RESNET = """\
import torch.nn as nn
from models.blocks import GenBlock, DisBlock


class Generator(nn.Module):
    def __init__(self, z_dim=128):
        super().__init__()
        self.ln = nn.Linear(z_dim, 4 * 4 * 256)
        self.net = nn.Sequential(
            GenBlock(256, 128, True), GenBlock(128, 128, True), GenBlock(128, 128, True),
            nn.BatchNorm2d(128), nn.ReLU(), nn.Conv2d(128, 3, 3, padding=1), nn.Tanh())

    def forward(self, z):
        return self.net(self.ln(z).view(z.size(0), 256, 4, 4))


class Critic(nn.Module):
    def __init__(self, n_filters=128):
        super().__init__()
        self.net = nn.Sequential(
            DisBlock(3, n_filters, True), DisBlock(n_filters, n_filters, True), DisBlock(n_filters, n_filters, False),
            nn.ReLU(), nn.Conv2d(n_filters, n_filters, 3, padding=1))
        self.ln = nn.Linear(n_filters * 4 * 4, 1){mark}

    def forward(self, x):
        return self.ln(self.net(x).view(x.size(0), -1))
"""

_WGAN_TRAIN = """\
import torch
from models.wgan import Critic, Generator

G, D = Generator(), Critic(N)
opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.0, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.0, 0.9))
for step in range(1000):
    for _ in range(5):
        real, z = torch.randn(64, 3, 32, 32), torch.randn(64, 128)
        fake = G(z).detach()
        eps = torch.rand(64, 1, 1, 1)
        mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
        grad = torch.autograd.grad(D(mix).sum(), mix, create_graph=True)[0]
        gp = ((grad.view(64, -1).norm(2, dim=1) - 1) ** 2).mean()
        loss_d = D(fake).mean() - D(real).mean() + 10 * gp
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
    loss_g = -D(G(torch.randn(64, 128))).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
"""


def _wgan_project(n: int, mark: str = "") -> dict[str, str]:
    return {"models/__init__.py": "", "models/layers.py": _LAYERS, "models/blocks.py": _BLOCKS,
            "models/wgan.py": _WGAN_RESNET.replace("{mark}", mark), "train.py": _WGAN_TRAIN.replace("N", str(n))}


def test_resnet_critic_blocks_mirroring_generator_blocks_is_silent(tmp_path):
    _res, found, expected = _check(tmp_path, _wgan_project(128), {"GL102"})
    assert found == expected == set()


def test_resnet_critic_blocks_narrower_than_generator_blocks(tmp_path):
    # 32-filter critic blocks against 128-filter generator blocks; reported at the critic's first weighted layer
    files = _wgan_project(32)
    files["models/wgan.py"] = files["models/wgan.py"].replace(
        "nn.ReLU(), nn.Conv2d(n_filters, n_filters, 3, padding=1))", "nn.ReLU(), nn.Conv2d(n_filters, n_filters, 3, padding=1))  # expect GL102")
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert expected and found == expected


# (6) a critic of another file's spectral-norm conv, a subclass of torch's conv base whose __init__ makes the
# weights: its parameters are not seen, so they are not counted as none
_SNCONV = """\
import torch.nn.functional as F
from torch.nn.modules import conv
from torch.nn.modules.utils import _pair


class SNConv2d(conv._ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        kernel_size, stride, padding = _pair(kernel_size), _pair(stride), _pair(padding)
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, _pair(1), False, _pair(0), 1,
                         bias, 'zeros')

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)
"""

_SN_MODELS = """\
import torch.nn as nn
from snlayers.snconv2d import SNConv2d


class _netG(nn.Module):
    def __init__(self, nz, nc, ngf):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1), nn.Tanh())

    def forward(self, x):
        return self.main(x)


class _netD(nn.Module):
    def __init__(self, nc, ndf):
        super().__init__()
        self.main = nn.Sequential(
            SNConv2d(nc, ndf * 2, 4, 2, 1), nn.LeakyReLU(0.1, inplace=True),
            SNConv2d(ndf * 2, ndf * 4, 4, 2, 1), nn.LeakyReLU(0.1, inplace=True),
            SNConv2d(ndf * 4, 1, 4, 1, 0), nn.Sigmoid())

    def forward(self, x):
        return self.main(x).view(-1)
"""


def test_critic_of_another_files_torch_conv_subclass_is_not_counted_empty(tmp_path):
    files = {"snlayers/__init__.py": "", "snlayers/snconv2d.py": _SNCONV, "models.py": _SN_MODELS,
             "train.py": "from models import _netD, _netG\nG = _netG(100, 3, 64)\nD = _netD(3, 64)\n"}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected == set()


def test_resnet_blocks_alike_but_generator_projecting_by_conv_has_more_parameters(tmp_path):
    # equal 128-filter blocks, but z enters through ConvTranspose2d(128, 128, 4) and G's up-blocks carry a
    # shortcut conv each: ~1.2M against the critic's ~0.9M, not the Linear projection the rule sets aside
    files = _wgan_project(128)
    files["models/wgan.py"] = files["models/wgan.py"].replace(
        "self.ln = nn.Linear(z_dim, 4 * 4 * 256)", "self.ln = nn.ConvTranspose2d(z_dim, 128, 4, 1, 0)").replace(
        "GenBlock(256, 128, True)", "GenBlock(128, 128, True)").replace(
        "self.net(self.ln(z).view(z.size(0), 256, 4, 4))", "self.net(self.ln(z.view(z.size(0), -1, 1, 1)))").replace(
        "nn.ReLU(), nn.Conv2d(n_filters, n_filters, 3, padding=1))", "nn.ReLU(), nn.Conv2d(n_filters, n_filters, 3, padding=1))  # expect GL102")
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert expected and found == expected


# (7) a multi-scale critic whose scale discriminators are added with `add_module`: the layers assigned to it
# are not all it holds, so it is not counted as having no parameters
_MULTI = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim=8):
        super().__init__()
        self.fc = nn.Linear(latent_dim, 64 * 64 * 3)
        self.net = nn.Sequential(nn.Conv2d(6, 256, 3, padding=1), nn.ReLU(), nn.Conv2d(256, 3, 3, padding=1), nn.Tanh())

    def forward(self, x, z):
        return self.net(torch.cat((x, self.fc(z).view(x.size(0), 3, 64, 64)), 1))


class MultiDiscriminator(nn.Module):
    def __init__(self, channels=3):
        super().__init__()
        self.models = nn.ModuleList()
        for i in range(3):
            self.models.add_module("disc_%d" % i, nn.Sequential(
                nn.Conv2d(channels, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
                nn.Conv2d(128, 1, 3, padding=1)))
        self.downsample = nn.AvgPool2d(3, stride=2, padding=[1, 1], count_include_pad=False)

    def forward(self, x):
        outs = []
        for m in self.models:
            outs.append(m(x))
            x = self.downsample(x)
        return outs


G, D = Generator(), MultiDiscriminator()
"""


def test_critic_filled_by_add_module_is_not_counted_empty(tmp_path):
    _res, found, expected = _check(tmp_path, {"models.py": _MULTI}, {"GL102"})
    assert found == expected == set()
