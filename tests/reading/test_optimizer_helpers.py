"""Optimizers built by a lookup helper (`get_optimizer(name, params, lr)` indexing a table of torch.optim
classes) that is defined below its first call, or in another file of the project: the optimizer each call
builds is read at the call, with the network whose parameters it gets (GL112 names its role). Near misses
stay silent. Written in the styles real code uses, not copied from any repository.

A trailing `# expect GLnnn` marks each line where that finding must be reported; the findings of the codes a
test names must be exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_NETS = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x)
"""

_HELPER = """\
OPTIMIZERS = {"adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop}


def get_optimizer(name, params, lr, **kwargs):
    if name not in OPTIMIZERS:
        raise KeyError(name)
    return OPTIMIZERS[name](params, lr=lr, **kwargs)
"""

# the calls come first, the helper after them (Python looks the name up when main() runs)
_MAIN = """\
def main():
    netG, netD = Generator(), Discriminator()
    g_solver = get_optimizer(KEY, netG.parameters(), 2e-4EXTRA)  # MARK
    d_solver = get_optimizer(KEY, netD.parameters(), 2e-4EXTRA)  # MARK
    return g_solver, d_solver
"""


def _main(key: str = '"adam"', extra: str = "") -> str:
    mark = "  # expect GL112" if key == '"adam"' and not extra else ""
    return _MAIN.replace("KEY", key).replace("EXTRA", extra).replace("  # MARK", mark)


def _below(key: str = '"adam"', extra: str = "") -> str:
    return ("import torch\n" + _NETS + "\n\n" + _main(key, extra) + "\n\n" + _HELPER
            + "\n\nif __name__ == '__main__':\n    main()\n")


def test_a_helper_defined_below_its_calls_is_followed(tmp_path):
    _res, found, expected = _check(tmp_path, {"train.py": _below()}, {"GL112"})
    assert len(expected) == 2 and found == expected
    roles = sorted(f.message.split(" without")[0] for f in _res.findings if f.code == "GL112")
    assert roles == ["Adam for the critic", "Adam for the generator"]  # the networks the calls pass


def test_a_helper_below_its_calls_building_rmsprop_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, {"train.py": _below(key='"rmsprop"')}, {"GL112"})
    assert not expected and found == set()


def test_a_helper_below_its_calls_given_betas_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, {"train.py": _below(extra=", betas=(0.5, 0.999)")}, {"GL112"})
    assert not expected and found == set()


def _project(key: str = '"adam"', extra: str = "", module: str = "utils.optim") -> dict[str, str]:
    train = ("import torch\n" + _NETS.replace("import torch.nn as nn\n", f"import torch.nn as nn\n\nfrom {module} "
                                                                          "import get_optimizer\n")
             + "\n\n" + _main(key, extra))
    return {"train.py": train, "utils/__init__.py": "", "utils/optim.py": "import torch\n\n" + _HELPER}


def test_a_helper_of_another_file_is_followed_through_its_import(tmp_path):
    _res, found, expected = _check(tmp_path, _project(), {"GL112"})
    assert len(expected) == 2 and found == expected


def test_a_helper_of_another_file_through_a_relative_import(tmp_path):
    files = _project()
    files = {f"pkg/{k}": v.replace("from utils.optim import", "from .utils.optim import") for k, v in files.items()}
    files["pkg/__init__.py"] = ""
    _res, found, expected = _check(tmp_path, files, {"GL112"})
    assert len(expected) == 2 and found == expected


def test_a_helper_of_another_file_given_betas_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, _project(extra=", betas=(0.5, 0.999)"), {"GL112"})
    assert not expected and found == set()


def test_a_helper_of_another_file_with_an_unknown_key_stays_silent(tmp_path):
    _res, found, expected = _check(tmp_path, _project(key="choice"), {"GL112"})
    assert not expected and found == set()


def test_a_same_named_function_of_a_package_outside_the_project_stays_silent(tmp_path):
    # `from timm.optim import get_optimizer`: not a file of the project, nothing to follow
    files = _project(module="timm.optim")
    files["train.py"] = files["train.py"].replace("  # expect GL112", "")
    _res, found, expected = _check(tmp_path, files, {"GL112"})
    assert not expected and found == set()
