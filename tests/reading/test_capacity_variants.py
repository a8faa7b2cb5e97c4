"""GL102 (critic weaker than generator) on residual networks built from block classes and on files holding
several size variants (paired by their size, or by the pair a training script picks from tables of
classes). Each pattern has near misses that must stay silent. Written in those styles, not copied from any repository.

A trailing `# expect GL102` marks each line where the finding must be reported; the findings must be
exactly the marked lines.
"""
from __future__ import annotations

import pytest

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)


# -- residual block classes and size variants in one file --------------------------------------------
_RES_MODELS = """\
import torch
import torch.nn as nn


class UpBlock(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.main = nn.Sequential(nn.BatchNorm2d(c_in), nn.ReLU(), nn.Upsample(scale_factor=2),
                                  nn.Conv2d(c_in, c_out, 3, 1, 1), nn.BatchNorm2d(c_out), nn.ReLU(),
                                  nn.Conv2d(c_out, c_out, 3, 1, 1))
        self.skip = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(c_in, c_out, 1, 1, 0))

    def forward(self, x):
        return self.main(x) + self.skip(x)


class DownBlock(nn.Module):
    def __init__(self, c_in, c_out, down=False):
        super().__init__()
        skip = []
        if c_in != c_out or down:
            skip.append(nn.Conv2d(c_in, c_out, 1, 1, 0))
        if down:
            skip.append(nn.AvgPool2d(2))
        self.skip = nn.Sequential(*skip)
        main = [nn.ReLU(), nn.Conv2d(c_in, c_out, 3, 1, 1), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, 1, 1)]
        if down:
            main.append(nn.AvgPool2d(2))
        self.main = nn.Sequential(*main)

    def forward(self, x):
        return self.main(x) + self.skip(x)


class ResGenerator32(nn.Module):
    def __init__(self, z_dim):
        super().__init__()
        self.fc = nn.Linear(z_dim, 4 * 4 * GCH)
        self.blocks = nn.Sequential(UpBlock(GCH, GCH), UpBlock(GCH, GCH), UpBlock(GCH, GCH))
        self.out = nn.Sequential(nn.BatchNorm2d(GCH), nn.ReLU(), nn.Conv2d(GCH, 3, 3, 1, 1), nn.Tanh())

    def forward(self, z):
        return self.out(self.blocks(self.fc(z).view(-1, GCH, 4, 4)))


class ResDiscriminator32(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(DownBlock(3, DCH, down=True), DownBlock(DCH, DCH, down=True),
                                    DownBlock(DCH, DCH), DownBlock(DCH, DCH), nn.ReLU())
        self.fc = nn.Linear(DCH, 1)  # MARK_RES

    def forward(self, x):
        return self.fc(self.blocks(x).sum(dim=[2, 3]))


class Generator(nn.Module):
    def __init__(self, z_dim, side=4):
        super().__init__()
        self.side = side
        self.fc = nn.Linear(z_dim, side * side * 512)
        self.main = nn.Sequential(
            nn.BatchNorm2d(512), nn.ReLU(True),
            nn.ConvTranspose2d(512, 256, 4, 2, 1), nn.BatchNorm2d(256), nn.ReLU(True),
            nn.ConvTranspose2d(256, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(True),
            nn.Conv2d(64, 3, 3, 1, 1), nn.Tanh())

    def forward(self, z):
        return self.main(self.fc(z).view(z.size(0), -1, self.side, self.side))


class Discriminator(nn.Module):
    def __init__(self, size=32):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, 64, 3, 1, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(128, 128, 3, 1, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(128, 256, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(256, 256, 3, 1, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(256, 512, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(512, 512, 3, 1, 1), nn.LeakyReLU(0.1))
        self.fc = nn.Linear(size // 8 * size // 8 * 512, 1)

    def forward(self, x):
        return self.fc(torch.flatten(self.main(x), 1))


class Generator32(Generator):
    def __init__(self, z_dim):
        super().__init__(z_dim, side=4)


class Discriminator32(Discriminator):
    def __init__(self):
        super().__init__(size=32)
"""

_RES_TRAIN = """\
import torch
from absl import app, flags

import nets.gan32 as nets

generators = {"res32": nets.ResGenerator32, "cnn32": nets.Generator32}
critics = {"res32": nets.ResDiscriminator32, "cnn32": nets.Discriminator32}

FLAGS = flags.FLAGS
flags.DEFINE_enum("arch", "res32", generators.keys(), "architecture")
flags.DEFINE_integer("z_dim", 128, "latent size")
flags.DEFINE_float("lr", 2e-4, "learning rate")


def train():
    net_g = generators[FLAGS.arch](FLAGS.z_dim)
    net_d = critics[FLAGS.arch]()
    opt_d = torch.optim.Adam(net_d.parameters(), lr=FLAGS.lr, betas=(0.0, 0.9))
    opt_g = torch.optim.Adam(net_g.parameters(), lr=FLAGS.lr, betas=(0.0, 0.9))


def main(argv):
    train()


if __name__ == "__main__":
    app.run(main)
"""


def _res(gch: int, dch: int, mark: bool) -> dict[str, str]:
    text = _RES_MODELS.replace("GCH", str(gch)).replace("DCH", str(dch))
    text = text.replace("  # MARK_RES", "  # expect GL102" if mark else "")
    return {"nets/__init__.py": "", "nets/gan32.py": text, "train.py": _RES_TRAIN}


def test_a_residual_critic_counted_through_its_block_classes(tmp_path):
    # ResGenerator32 at 256 channels: three up blocks of 1.25M and Linear(z_dim=128 from the flag the
    # script passes, 4096) = 4.28M parameters; ResDiscriminator32 at 128 channels about 1.05M. The script
    # builds the pair its --arch default picks from two tables; the CNN pair of the same file has the
    # stronger critic (5.9M against at least 2.8M) and stays silent
    res, found, expected = _check(tmp_path, _res(256, 128, True), {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert "ResGenerator32" in f.message
    assert f.evidence["critic_params"] == 1053825
    assert f.evidence["generator_params"] == 4276739


def test_the_residual_counts_are_torchs():
    # the static counts (through the block classes, shortcut convs included) against torch's own
    torch = pytest.importorskip("torch")
    scope: dict = {}
    exec(compile(_res(256, 128, False)["nets/gan32.py"], "gan32.py", "exec"), scope)  # our own fixture
    g, d = scope["ResGenerator32"](128), scope["ResDiscriminator32"]()
    assert sum(p.numel() for p in g.parameters()) == 4276739
    assert sum(p.numel() for p in d.parameters()) == 1053825
    # the floor without z_dim: the generator at z_dim = 1, the fewest parameters it can have
    assert sum(p.numel() for p in scope["ResGenerator32"](1).parameters()) == 3756547
    assert isinstance(g, torch.nn.Module)


def test_the_generator_floor_decides_without_the_training_script(tmp_path):
    # the model file alone: z_dim unknown, yet the generator holds at least its blocks' 3.75M parameters
    # and its first Linear's at z_dim = 1
    files = _res(256, 128, True)
    del files["train.py"]
    res, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert "at least 3.76M" in f.message and f.evidence["generator_params"] is None
    assert f.evidence["generator_params_at_least"] == 3756547  # torch's count at z_dim = 1


def test_a_variant_file_with_balanced_pairs_stays_silent(tmp_path):
    # near miss: the residual critic at 256 channels (4.2M) against a generator at 128 (1.6M)
    _res_, found, expected = _check(tmp_path, _res(128, 256, False), {"GL102"})
    assert found == expected == set()


def test_a_critic_just_below_a_generator_floor_is_not_known_weaker(tmp_path):
    # near miss: both at 256 channels without the script, the critic's 4.2M is above the generator's
    # floor (3.76M: its Linear's input size is unknown), so the comparison is undecided and stays silent
    files = _res(256, 256, False)
    del files["train.py"]
    _res_, found, expected = _check(tmp_path, files, {"GL102"})
    assert found == expected == set()


_SUBCLASS_VARIANTS = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, z_dim, side):
        super().__init__()
        self.z_dim = z_dim
        self.main = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 1024, side, 1, 0, bias=False), nn.BatchNorm2d(1024), nn.ReLU(True),
            nn.ConvTranspose2d(1024, 512, 4, 2, 1, bias=False), nn.BatchNorm2d(512), nn.ReLU(True),
            nn.ConvTranspose2d(512, 256, 4, 2, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
            nn.ConvTranspose2d(256, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
            nn.ConvTranspose2d(128, 3, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z.view(-1, self.z_dim, 1, 1))


class Discriminator(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, W1, 5, 2, 2, bias=False), nn.LeakyReLU(0.2, inplace=True),  # MARK_D
            nn.Conv2d(W1, W2, 5, 2, 2, bias=False), nn.LeakyReLU(0.2, inplace=True), nn.BatchNorm2d(W2),
            nn.Conv2d(W2, W3, 5, 2, 2, bias=False), nn.LeakyReLU(0.2, inplace=True), nn.BatchNorm2d(W3),
            nn.Conv2d(W3, W4, 5, 2, 2, bias=False), nn.LeakyReLU(0.2, inplace=True), nn.BatchNorm2d(W4))
        self.linear = nn.Linear(size // 16 * size // 16 * W4, 1)

    def forward(self, x):
        return self.linear(self.main(x).flatten(1))


class Generator32(Generator):
    def __init__(self, z_dim):
        super().__init__(z_dim, side=2)


class Generator48(Generator):
    def __init__(self, z_dim):
        super().__init__(z_dim, side=3)


class Discriminator32(Discriminator):
    def __init__(self):
        super().__init__(size=32)


class Discriminator48(Discriminator):
    def __init__(self):
        super().__init__(size=48)
"""


def _subclasses(widths: tuple[int, int, int, int], mark: bool) -> str:
    text = _SUBCLASS_VARIANTS
    for i, w in enumerate(widths, 1):
        text = text.replace(f"W{i}", str(w))
    return text.replace("  # MARK_D", "  # expect GL102" if mark else "")


def test_size_variant_subclasses_pair_by_suffix_and_report_once(tmp_path):
    # Generator/Discriminator, Generator32/Discriminator32 and Generator48/Discriminator48 share one
    # critic stack (64-128-256-512 against 1024-512-256-128): one finding, at the critic's first layer
    res, found, expected = _check(tmp_path, {"dcgan.py": _subclasses((64, 128, 256, 512), True)}, {"GL102"})
    assert found == expected and len(found) == 1
    assert len([f for f in res.findings if f.code == "GL102"]) == 1


def test_size_variants_of_a_mirrored_dcgan_stay_silent(tmp_path):
    # near miss: the critic mirrors the generator (128-256-512-1024 against 1024-512-256-128)
    _res, found, expected = _check(tmp_path, {"dcgan.py": _subclasses((128, 256, 512, 1024), False)}, {"GL102"})
    assert found == expected == set()


# -- the pair a training script picks from tables of classes -----------------------------------------
_ARCH_NETS = """\
import torch.nn as nn


class MLPGenerator(nn.Module):
    def __init__(self, nz, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(nz, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class MLPCritic(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, hidden // 4), nn.LeakyReLU(0.2),  # MARK_MLP
                                 nn.Linear(hidden // 4, hidden // 4), nn.LeakyReLU(0.2), nn.Linear(hidden // 4, 1))

    def forward(self, x):
        return self.net(x)


class ConvGenerator(nn.Module):
    def __init__(self, nz, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.ConvTranspose2d(nz, hidden, 7, 1, 0), nn.ReLU(),
                                 nn.ConvTranspose2d(hidden, hidden // 2, 4, 2, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(hidden // 2, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(z.view(z.size(0), -1, 1, 1))


class ConvCritic(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, hidden // 2, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(hidden // 2, hidden, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(hidden, 1, 7))

    def forward(self, x):
        return self.net(x)
"""

_ARCH_TRAIN = """\
import argparse
import torch
from nets import ConvCritic, ConvGenerator, MLPCritic, MLPGenerator

GENERATORS = {"mlp": MLPGenerator, "conv": ConvGenerator}
CRITICS = {"mlp": MLPCritic, "conv": ConvCritic}

parser = argparse.ArgumentParser()
parser.add_argument("--arch", default="ARCH", choices=list(GENERATORS))
parser.add_argument("--nz", type=int, default=64)
parser.add_argument("--hidden", type=int, default=512)
args = parser.parse_args()

netG = GENERATORS[args.arch](args.nz, args.hidden)
netD = CRITICS[args.arch](args.hidden)
optD = torch.optim.RMSprop(netD.parameters(), lr=5e-5)
"""


def _arch(default: str) -> dict[str, str]:
    nets = _ARCH_NETS.replace("  # MARK_MLP", "  # expect GL102" if default == "mlp" else "")
    return {"nets.py": nets, "train.py": _ARCH_TRAIN.replace("ARCH", default)}


def test_the_pair_the_arch_default_selects_is_compared(tmp_path):
    # --arch mlp builds MLPGenerator(64, 512) and MLPCritic(512): hidden 128-128 against 512-512
    res, found, expected = _check(tmp_path, _arch("mlp"), {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert f.evidence["critic"][:2] == [128, 128] and f.evidence["generator"][:2] == [512, 512]


def test_a_pair_the_script_does_not_build_stays_silent(tmp_path):
    # near miss: --arch conv builds the balanced conv pair; the weak MLP critic is never trained, and its
    # names pair with no generator by size
    _res_, found, expected = _check(tmp_path, _arch("conv"), {"GL102"})
    assert found == expected == set()
