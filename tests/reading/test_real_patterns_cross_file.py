"""Code followed across files: helpers called through their module (`import models` then
`models.get_models(opt)`, `from . import nets as M` then `M.build_discriminator(cfg)`) are read as when the
helper is imported by name. Each pattern has near misses that must stay silent.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks
each line where that finding must be reported, and the findings of the codes a test names are exactly
the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

# the two players, their widths given by the caller only
_NETS = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, nz, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(nz, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))  # MARK

    def forward(self, x):
        return self.net(x)
"""

_PAIR_HELPER = """

def get_gan(nz, g_hidden, d_hidden):
    return Generator(nz, g_hidden), Discriminator(d_hidden)
"""

_ONE_BY_ONE = """

def build_generator(cfg):
    return Generator(cfg["nz"], cfg["g_hidden"])


def build_discriminator(cfg):
    return Discriminator(cfg["d_hidden"])
"""


def _nets(weak: bool, helpers: str = _PAIR_HELPER) -> str:
    return _NETS.replace("  # MARK", "  # expect GL102" if weak else "") + helpers


# -- `import utils` then `utils.get_gan(...)`: a pair built with the caller's widths ---------------------------
_MODULE_TRAIN = """\
import torch
import torch.nn as nn
import utils

NZ = 64
GEN, DISC = utils.get_gan(NZ, 512, D_HIDDEN)
opt_1 = torch.optim.Adam(GEN.parameters(), lr=2e-4)  # expect GL112
opt_2 = torch.optim.Adam(DISC.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
for real in loader:
    fake = GEN(torch.randn(real.size(0), NZ))
    d_loss = bce(DISC(real), torch.ones(real.size(0), 1)) + bce(DISC(fake), torch.zeros(real.size(0), 1))  # expect GL115
    opt_2.zero_grad()
    d_loss.backward()
    opt_2.step()
    g_loss = bce(DISC(fake), torch.ones(real.size(0), 1))
    opt_1.zero_grad()
    g_loss.backward()
    opt_1.step()
"""


def _module_train(d_hidden: int, gen: str = "netG", disc: str = "netD") -> str:
    return _MODULE_TRAIN.replace("D_HIDDEN", str(d_hidden)).replace("GEN", gen).replace("DISC", disc)


def test_a_pair_built_by_a_helper_called_through_its_module(tmp_path):
    files = {"utils.py": _nets(True), "train.py": _module_train(64)}
    _res, found, expected = _check(tmp_path, files, {"GL102", "GL112", "GL115"})
    assert ("GL102", "utils.py", 17) in expected and found == expected


def test_a_pair_built_through_its_module_with_a_wide_critic_stays_silent_on_widths(tmp_path):
    files = {"utils.py": _nets(False), "train.py": _module_train(1024)}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert not expected and found == set()


def test_a_module_that_is_not_the_projects_builds_nothing(tmp_path):
    # `import tools` names no file of the project: its get_gan says nothing about utils.py's classes
    files = {"utils.py": _nets(True), "train.py": _module_train(64).replace(
        "import utils", "import tools").replace("utils.get_gan", "tools.get_gan")}
    _res, found, _expected = _check(tmp_path, files, {"GL102"})
    assert found == set()


# -- a package: `from . import nets as M`, one builder per network ----------------------------------------
_PACKAGE_TRAIN = """\
import torch
import torch.nn.functional as F
from . import nets as M

CFG = {"nz": 64, "g_hidden": 512, "d_hidden": D_HIDDEN}


def main():
    netG = M.build_generator(CFG)
    netD = M.build_discriminator(CFG)
    opt_g = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    for real in loader:
        fake = netG(torch.randn(real.size(0), CFG["nz"]))
        d_loss = F.softplus(-netD(real)).mean() + F.softplus(netD(fake.detach())).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = F.softplus(-netD(fake)).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()


if __name__ == "__main__":
    main()
"""


def _package(weak: bool, d_hidden: int) -> dict[str, str]:
    return {"gan/__init__.py": "", "gan/nets.py": _nets(weak, _ONE_BY_ONE),
            "gan/train.py": _PACKAGE_TRAIN.replace("D_HIDDEN", str(d_hidden))}


def test_builders_of_a_sibling_module_imported_as_a_name(tmp_path):
    _res, found, expected = _check(tmp_path, _package(True, 128), {"GL102", "GL112", "GL115"})
    assert expected and found == expected


def test_builders_of_a_sibling_module_given_a_wide_critic_stay_silent(tmp_path):
    _res, found, expected = _check(tmp_path, _package(False, 1024), {"GL102", "GL112", "GL115"})
    assert not expected and found == set()


# -- names that say no role, bound by another file's helper: the classes it builds say them ------------------
def test_names_bound_by_a_helper_of_another_file_hold_its_classes_roles(tmp_path):
    # `model, adversary` say nothing: utils.get_gan builds (Generator, Discriminator); the D step feeds the
    # fake undetached and the generator's Adam keeps the default betas
    files = {"utils.py": _nets(True), "train.py": _module_train(64, gen="model", disc="adversary")}
    _res, found, expected = _check(tmp_path, files, {"GL102", "GL112", "GL115"})
    assert ("GL115", "train.py", 12) in expected and found == expected


def test_names_bound_by_a_helper_imported_by_name_hold_its_classes_roles(tmp_path):
    text = _module_train(64, gen="model", disc="adversary").replace("import utils", "from utils import get_gan")
    files = {"utils.py": _nets(True), "train.py": text.replace("utils.get_gan", "get_gan")}
    _res, found, expected = _check(tmp_path, files, {"GL102", "GL112", "GL115"})
    assert ("GL115", "train.py", 12) in expected and found == expected


def test_names_bound_by_a_helper_with_the_fake_detached_stay_silent(tmp_path):
    text = _module_train(1024, gen="model", disc="adversary").replace(
        "bce(adversary(fake), torch.zeros", "bce(adversary(fake.detach()), torch.zeros").replace("  # expect GL115", "")
    files = {"utils.py": _nets(False), "train.py": text}
    _res, found, expected = _check(tmp_path, files, {"GL102", "GL115"})
    assert not expected and found == set()


_EITHER = """

def make_net(kind, width):
    if kind == "gen":
        return Generator(64, width)
    return Discriminator(width)
"""


def test_a_helper_that_returns_either_class_gives_no_role(tmp_path):
    # which class make_net returns depends on its argument: `model` and `adversary` stay unknown
    text = _module_train(1024, gen="model", disc="adversary").replace(
        "model, adversary = utils.get_gan(NZ, 512, 1024)",
        "model = utils.make_net('gen', 512)\nadversary = utils.make_net('disc', 1024)")
    files = {"utils.py": _nets(False, _EITHER), "train.py": text}
    _res, found, _expected = _check(tmp_path, files, {"GL115"})
    assert found == set()


# -- a trainer object storing what another file's builders return --------------------------------------------
_TRAINER = """\
import torch
import torch.nn as nn
import nets


class Trainer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = nets.build_generator(cfg).to(cfg["device"])
        self.judge = nets.build_discriminator(cfg).to(cfg["device"])
        self.opt_a = torch.optim.Adam(self.model.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_b = torch.optim.Adam(self.judge.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.loss = nn.BCEWithLogitsLoss()

    def step(self, real):
        ones, zeros = torch.ones(real.size(0), 1), torch.zeros(real.size(0), 1)
        fake = self.model(torch.randn(real.size(0), self.cfg["nz"]))
        d_loss = self.loss(self.judge(real), ones) + self.loss(self.judge(FAKE), zeros)  # MARK
        self.opt_b.zero_grad()
        d_loss.backward()
        self.opt_b.step()
        g_loss = self.loss(self.judge(fake), ones)
        self.opt_a.zero_grad()
        g_loss.backward()
        self.opt_a.step()
"""


def _trainer(detached: bool) -> dict[str, str]:
    text = _TRAINER.replace("FAKE", "fake.detach()" if detached else "fake").replace(
        "  # MARK", "" if detached else "  # expect GL115")
    return {"nets.py": _nets(False, _ONE_BY_ONE), "trainer.py": text}


def test_a_trainer_object_holding_what_another_files_builders_return(tmp_path):
    _res, found, expected = _check(tmp_path, _trainer(detached=False), {"GL115"})
    assert expected and found == expected


def test_a_trainer_object_detaching_the_fake_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, _trainer(detached=True), {"GL115"})
    assert not expected and found == set()


# -- a freezing helper of another file: G frozen for the D step needs no detach ------------------------------
_FREEZER = """\
def set_requires_grad(nets, requires_grad=False):
    if not isinstance(nets, list):
        nets = [nets]
    for net in nets:
        if net is not None:
            for param in net.parameters():
                param.requires_grad = requires_grad
"""

# same name, but it only records the wish (a near miss: nothing is frozen)
_NOT_A_FREEZER = """\
WANTED = {}


def set_requires_grad(net, flag=False):
    WANTED[id(net)] = flag
"""

_FROZEN_TRAIN = """\
import torch
import torch.nn as nn
IMPORT

netG, netD = Generator(64, 256), Discriminator(256)
opt_g = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
for real in loader:
    z = torch.randn(real.size(0), 64)
    FREEZE(netG, False)
    FREEZE(netD, True)
    fake = netG(z)
    d_loss = bce(netD(real), torch.ones(real.size(0), 1)) + bce(netD(fake), torch.zeros(real.size(0), 1))  # MARK
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    FREEZE(netG, True)
    FREEZE(netD, False)
    g_loss = bce(netD(netG(z)), torch.ones(real.size(0), 1))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
"""


def _frozen(helper: str, by_module: bool, freezes: bool) -> dict[str, str]:
    imports = "from models import Discriminator, Generator\n" + (
        "import utils" if by_module else "from utils import set_requires_grad")
    text = _FROZEN_TRAIN.replace("IMPORT", imports).replace(
        "FREEZE", "utils.set_requires_grad" if by_module else "set_requires_grad").replace(
        "  # MARK", "" if freezes else "  # expect GL115")
    return {"models.py": _nets(False, ""), "utils.py": helper, "train.py": text}


def test_a_freezing_helper_imported_by_name_freezes_the_generator_for_the_d_step(tmp_path):
    _res, found, expected = _check(tmp_path, _frozen(_FREEZER, by_module=False, freezes=True), {"GL115"})
    assert not expected and found == set()


def test_a_freezing_helper_called_through_its_module(tmp_path):
    _res, found, expected = _check(tmp_path, _frozen(_FREEZER, by_module=True, freezes=True), {"GL115"})
    assert not expected and found == set()


def test_a_helper_named_like_a_freezer_that_freezes_nothing_keeps_gl115(tmp_path):
    _res, found, expected = _check(tmp_path, _frozen(_NOT_A_FREEZER, by_module=False, freezes=False), {"GL115"})
    assert expected and found == expected


def _one_file_trainer(detached: bool) -> dict[str, str]:
    # the builders and the trainer in one file: the trainer is built nowhere the reading can see
    files = _trainer(detached)
    text = files["trainer.py"].replace("import nets\n", "").replace("nets.build_", "build_")
    return {"trainer.py": "import torch\n" + _nets(False, _ONE_BY_ONE) + "\n\n" + text.split("import torch.nn as nn\n", 1)[1]}


def test_a_trainer_object_holding_what_its_own_files_builders_return(tmp_path):
    _res, found, expected = _check(tmp_path, _one_file_trainer(detached=False), {"GL115"})
    assert expected and found == expected


def test_a_trainer_object_of_one_file_detaching_the_fake_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, _one_file_trainer(detached=True), {"GL115"})
    assert not expected and found == set()
