"""Networks built by a helper and handed back together: `G, D = build(opt)`, `netG, netD = get_models(...)` of
another file, a dict `{"G": ..., "D": ...}` returned by a builder module, a trainer object's
`self.G, self.D = self.build(opt)`. The constructions are read with the caller's arguments (GL102 compares the
built widths) and the names they bind to hold those classes' roles (GL115, GL112). Each pattern has near misses
that must stay silent. Written in those styles, not copied from any repository.

A trailing `# expect GLnnn` marks each line where that finding must be reported; the findings of the codes a
test names must be exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

# the two players; widths come from the constructor (no defaults: only a call site says them)
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


def _nets(weak: bool) -> str:
    return _NETS.replace("  # MARK", "  # expect GL102" if weak else "")


# -- a module-level script: the helper returns the pair, the script unpacks it ----------------------------
_SCRIPT_TAIL = """

parser = argparse.ArgumentParser()
parser.add_argument("--nz", type=int, default=64)
parser.add_argument("--g_hidden", type=int, default=512)
parser.add_argument("--d_hidden", type=int, default=D_HIDDEN)
opt = parser.parse_args()


def build_models(opt):
    return Generator(opt.nz, opt.g_hidden), Discriminator(opt.d_hidden)


NAMES = build_models(opt)
optim_model = torch.optim.Adam(GEN.parameters(), lr=2e-4, betas=(0.5, 0.999))
optim_adv = torch.optim.Adam(DISC.parameters(), lr=2e-4, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
for real in loader:
    fake = GEN(torch.randn(real.size(0), opt.nz))
    d_loss = bce(DISC(real), torch.ones(real.size(0), 1)) + bce(DISC(FAKE), torch.zeros(real.size(0), 1))  # MARK
    optim_adv.zero_grad()
    d_loss.backward()
    optim_adv.step()
    g_loss = bce(DISC(fake), torch.ones(real.size(0), 1))
    optim_model.zero_grad()
    g_loss.backward()
    optim_model.step()
"""


def _script(d_hidden: int, gen: str = "G", disc: str = "D", detached: bool = True) -> str:
    tail = (_SCRIPT_TAIL.replace("D_HIDDEN", str(d_hidden)).replace("NAMES", f"{gen}, {disc}")
            .replace("GEN", gen).replace("DISC", disc).replace("FAKE", "fake.detach()" if detached else "fake")
            .replace("  # MARK", "" if detached else "  # expect GL115"))
    return "import argparse\nimport torch\n" + _nets(d_hidden < 1024) + tail


def test_a_pair_returned_by_a_helper_of_the_script_is_read_with_its_arguments(tmp_path):
    _res, found, expected = _check(tmp_path, {"train.py": _script(64)}, {"GL102"})
    assert expected and found == expected


def test_a_pair_as_wide_as_the_generator_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, {"train.py": _script(1024)}, {"GL102"})
    assert not expected and found == set()


def test_names_bound_by_the_helper_hold_the_built_classes_roles(tmp_path):
    # `model, adversary` say nothing: the classes the helper built do (the D step uses the fake undetached)
    files = {"train.py": _script(1024, gen="model", disc="adversary", detached=False)}
    _res, found, expected = _check(tmp_path, files, {"GL115", "GL102"})
    assert expected and found == expected


def test_names_bound_by_the_helper_with_the_fake_detached_stay_silent(tmp_path):
    files = {"train.py": _script(1024, gen="model", disc="adversary", detached=True)}
    _res, found, expected = _check(tmp_path, files, {"GL115", "GL102"})
    assert not expected and found == set()


# -- a helper of another file, called by the training script -----------------------------------------------
_GET_MODELS = """

def get_models(nz, g_hidden, d_hidden):
    nets = {"G": Generator(nz, g_hidden), "D": Discriminator(d_hidden)}
    return nets["G"], nets["D"]
"""

_TRAIN = """\
import torch
from models import get_models

NZ = 64
netG, netD = get_models(NZ, 512, D_HIDDEN)
optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
"""


def test_a_helper_of_another_file_builds_with_the_callers_arguments(tmp_path):
    files = {"models.py": _nets(True) + _GET_MODELS, "train.py": _TRAIN.replace("D_HIDDEN", "64")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert expected and found == expected


def test_a_helper_of_another_file_given_wide_critic_arguments_stays_silent(tmp_path):
    files = {"models.py": _nets(False) + _GET_MODELS, "train.py": _TRAIN.replace("D_HIDDEN", "1024")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert not expected and found == set()


def test_a_helper_called_two_ways_by_two_scripts_says_no_one_shape(tmp_path):
    # train.py builds a weak critic, sweep.py a strong one: which one trains is not in the code
    files = {"models.py": _nets(False) + _GET_MODELS, "train.py": _TRAIN.replace("D_HIDDEN", "64"),
             "sweep.py": _TRAIN.replace("D_HIDDEN", "1024")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert not expected and found == set()


# -- a builder module returning a dict, the classes in a third file -----------------------------------------
_BUILDER = """\
from nets import Generator, Discriminator


def build_gan(cfg):
    return {"G": Generator(cfg["nz"], cfg["g_hidden"]), "D": Discriminator(cfg["d_hidden"])}
"""

_DICT_TRAIN = """\
import torch
from builder import build_gan

CFG = {"nz": 64, "g_hidden": 512, "d_hidden": D_HIDDEN}
nets = build_gan(CFG)
G, D = nets["G"], nets["D"]
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
"""


def test_a_dict_of_networks_returned_by_a_builder_module(tmp_path):
    files = {"nets.py": _nets(True), "builder.py": _BUILDER, "train.py": _DICT_TRAIN.replace("D_HIDDEN", "128")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert expected and found == expected


def test_a_dict_of_networks_with_a_wide_critic_stays_silent(tmp_path):
    files = {"nets.py": _nets(False), "builder.py": _BUILDER, "train.py": _DICT_TRAIN.replace("D_HIDDEN", "1024")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert not expected and found == set()


# -- a trainer object whose __init__ builds the pair through a method ---------------------------------------
_TRAINER = """\
import argparse
import torch
from models import Generator, Discriminator


class Trainer:
    def __init__(self, opt):
        self.G, self.D = self.build(opt)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def build(self, opt):
        return Generator(opt.nz, opt.g_hidden), Discriminator(opt.d_hidden)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nz", type=int, default=64)
    parser.add_argument("--g_hidden", type=int, default=512)
    parser.add_argument("--d_hidden", type=int, default=D_HIDDEN)
    opt = parser.parse_args()
    Trainer(opt)


if __name__ == "__main__":
    main()
"""


def test_a_trainer_object_building_the_pair_in_a_method(tmp_path):
    files = {"models.py": _nets(True), "train.py": _TRAINER.replace("D_HIDDEN", "32")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert expected and found == expected


def test_a_trainer_object_with_a_wide_critic_stays_silent(tmp_path):
    files = {"models.py": _nets(False), "train.py": _TRAINER.replace("D_HIDDEN", "1024")}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert not expected and found == set()


def test_a_trainer_object_built_only_with_unknown_arguments_stays_silent(tmp_path):
    # the trainer is built by a function whose own arguments are unknown: no widths to compare
    text = _TRAINER.replace("D_HIDDEN", "32").split("\n\ndef main")[0] + (
        "\n\ndef run(opt):\n    Trainer(opt)\n\n\nif __name__ == '__main__':\n    run(load_options())\n")
    files = {"models.py": _nets(False), "train.py": text}
    _res, found, expected = _check(tmp_path, files, {"GL102"})
    assert not expected and found == set()
