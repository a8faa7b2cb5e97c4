"""The run mode's contract: the program runs as `python train.py ARGS` would (argv, __main__, cwd, sys.path),
errors are one line with exit 2 and a report, -m works, --fake-data serves torchvision datasets offline."""
import importlib.util
import json
import textwrap

import pytest

from ganlint.probe.trace.mode import has_training_loop
from tests.probe.trace.helpers import probe

LOOP = """
import sys, os, json
import torch
import torch.nn as nn
{extra}
net = nn.Linear(4, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.01)
def main():
    for step in range(100000):
        loss = net(torch.randn(8, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
if __name__ == "__main__":
    main()
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text))
    return p


def test_mode_choice_reads_the_file(tmp_path):
    assert has_training_loop(str(write(tmp_path, "train.py", LOOP.format(extra=""))))
    model_only = "import torch.nn as nn\nclass Generator(nn.Module):\n    def step(self):\n        pass\n"
    assert not has_training_loop(str(write(tmp_path, "model.py", model_only)))
    lit = "import pytorch_lightning as pl\ndef run():\n    pl.Trainer().fit(model)\nrun()\n"
    assert has_training_loop(str(write(tmp_path, "lit.py", lit)))
    uncalled = "def train(opt):\n    opt.step()\n"
    assert not has_training_loop(str(write(tmp_path, "lib.py", uncalled)))


def test_program_sees_its_own_argv_main_cwd_and_path(tmp_path):
    extra = ("json.dump({'argv': sys.argv, 'name': __name__, 'cwd': os.getcwd(), 'path0': sys.path[0]}, "
             "open('seen.json', 'w'))")
    script = write(tmp_path / "proj", "train.py", LOOP.format(extra=extra))
    p, rep = probe(script, "--steps", "20", args=["--lr", "0.5", "x"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["argv"][1:] == ["--lr", "0.5", "x"] and seen["argv"][0] == str(script)
    assert seen["name"] == "__main__" and seen["cwd"] == str(tmp_path) and seen["path0"] == str(script.parent)
    assert rep["networks"]["model"]["steps"] == 20 and rep["stopped"] == "completed"


def test_module_mode_with_relative_imports(tmp_path):
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/nets.py", "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n"
          "        super().__init__()\n        self.fc = nn.Linear(4, 1)\n    def forward(self, x):\n        return self.fc(x)\n")
    write(tmp_path, "pkg/train.py", LOOP.format(extra="from .nets import Net").replace("nn.Linear(4, 1)", "Net()"))
    p, rep = probe("-m", "pkg.train", "--steps", "15", cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert rep["networks"]["model"]["class"] == "Net" and rep["networks"]["model"]["file"].endswith("nets.py")


def test_program_raises_one_line_with_its_file_and_line(tmp_path):
    bad = LOOP.format(extra="").replace("opt.step()", "opt.step()\n        if step == 30:\n            1 / 0")
    script = write(tmp_path, "train.py", bad)
    p, rep = probe(script, "--steps", "100", cwd=tmp_path)
    assert p.returncode == 2
    err = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert err == [f"error: train.py:{bad.splitlines().index('            1 / 0') + 1}: ZeroDivisionError: division by zero"]
    assert "Traceback" not in p.stderr
    assert rep["stopped"] == "error" and rep["networks"]["model"]["steps"] >= 30  # the report is written
    assert "No runtime problems found" not in p.stdout  # a run cut short by an error is no all-clear
    assert "ended with an error at step" in p.stdout


def test_missing_package_is_one_line(tmp_path):
    script = write(tmp_path, "train.py", LOOP.format(extra="import surely_not_installed_pkg"))
    p, rep = probe(script, cwd=tmp_path)
    assert p.returncode == 2
    assert "error: train.py:5: the program needs the package 'surely_not_installed_pkg'" in p.stderr
    assert "Traceback" not in p.stderr
    assert "No runtime problems found" not in p.stdout


def test_argparse_error_shows_its_usage_and_the_hint(tmp_path):
    extra = "import argparse\np = argparse.ArgumentParser()\np.add_argument('--data', required=True)\nargs = p.parse_args()"
    script = write(tmp_path, "train.py", LOOP.format(extra=extra))
    p, _ = probe(script, cwd=tmp_path)
    assert p.returncode == 2
    assert "usage: train.py" in p.stderr and "the following arguments are required: --data" in p.stderr
    assert "pass the program's own arguments after `--`" in p.stderr
    p2, rep = probe(script, "--steps", "10", args=["--data", "x"], cwd=tmp_path)
    assert p2.returncode == 0, p2.stderr[-2000:]


def test_no_optimizer_step_says_so(tmp_path):
    gated = LOOP.format(extra="").replace("    main()", "    if len(sys.argv) > 5:  # the loop is behind arguments\n        main()")
    p, rep = probe(write(tmp_path, "train.py", gated), cwd=tmp_path)
    assert p.returncode == 2
    assert "without an optimizer step" in p.stderr
    budget = LOOP.format(extra="import time").replace("    main()", "    time.sleep(60)\n    main()")
    p, rep = probe(write(tmp_path, "slow.py", budget), "--time-budget", "3", cwd=tmp_path)
    assert p.returncode == 2 and "no optimizer step within the time budget" in p.stderr


def test_watch_stops_a_run_that_goes_non_finite(tmp_path):
    nan = LOOP.format(extra="").replace("loss.backward()", "(loss * (float('inf') if step >= 130 else 1)).backward()")
    p, rep = probe(write(tmp_path, "train.py", nan), "--watch", "--stop-on", "error", cwd=tmp_path)
    assert p.returncode == 1, p.stderr[-2000:]
    assert rep["stopped"] == "non-finite" and "GL505" in {f["code"] for f in rep["findings"]}
    first = rep["findings"][0]["evidence"]
    assert 130 <= first["step"] <= 150
    assert "GL505" in p.stderr or rep["metrics"]["steps_run"] < 200  # stopped long before the program would


FAKE = '''
import argparse, os
import torch, torch.nn as nn
import torchvision.transforms as transforms
from torchvision import datasets
from torchvision.utils import save_image
parser = argparse.ArgumentParser()
parser.add_argument("--img_size", type=int, default=8)
opt = parser.parse_args()
os.makedirs("images", exist_ok=True)
loader = torch.utils.data.DataLoader(
    datasets.MNIST("../../data/mnist", train=True, download=True,
                   transform=transforms.Compose([transforms.Resize(opt.img_size), transforms.ToTensor(),
                                                 transforms.Normalize([0.5], [0.5])])),
    batch_size=32, shuffle=True)
G = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, opt.img_size ** 2), nn.Tanh())
D = nn.Sequential(nn.Linear(opt.img_size ** 2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))
og = torch.optim.Adam(G.parameters(), 1e-3)
od = torch.optim.Adam(D.parameters(), 1e-3)
bce = nn.BCEWithLogitsLoss()
for epoch in range(10):
    for i, (imgs, _) in enumerate(loader):
        real = imgs.view(len(imgs), -1)
        assert real.shape[1] == opt.img_size ** 2 and -1 <= float(real.min()) and float(real.max()) <= 1
        fake = G(torch.randn(len(imgs), 8))
        od.zero_grad(); (bce(D(real), torch.ones(len(imgs), 1)) + bce(D(fake.detach()), torch.zeros(len(imgs), 1))).backward(); od.step()
        og.zero_grad(); bce(D(fake), torch.ones(len(imgs), 1)).backward(); og.step()
        if i == 10:
            save_image(fake.view(-1, 1, opt.img_size, opt.img_size)[:16], "images/%d.png" % i, nrow=4, normalize=True)
'''


def test_fake_data_serves_torchvision_datasets_offline(tmp_path):
    script = write(tmp_path / "impl", "gan.py", FAKE)
    p, rep = probe(script, "--steps", "40", "--fake-data", cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr[-2000:]
    fake = rep["data"]["fake_data"]
    assert fake["datasets"]["MNIST"]["shape"] == [1, 28, 28] and fake["datasets"]["MNIST"]["length"] == 60000
    assert fake["standin"] == (importlib.util.find_spec("torchvision") is None or not _imports("torchvision"))
    assert any("not meaningful" in n for n in rep["notes"])
    assert (tmp_path / "images" / "10.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the program's own output
    assert not (tmp_path / "data").exists()  # nothing downloaded


def _imports(name):
    try:
        __import__(name)
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.skipif(not _imports("torchvision"), reason="torchvision does not import here")
def test_real_torchvision_dataset_class(tmp_path):
    real = FAKE.replace('datasets.MNIST("../../data/mnist", train=True, download=True,',
                        'datasets.FakeData(size=512, image_size=(1, 28, 28),')
    script = write(tmp_path, "gan.py", real.replace("transforms.Resize(opt.img_size), ", "transforms.Resize(opt.img_size), "))
    p, rep = probe(script, "--steps", "30", cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr[-2000:]
    assert rep["family"] == "gan" and rep["networks"]["generator"]["steps"] == 30


def _interrupt(tmp_path, script, marker="started", term: bool = False):
    """Start `ganlint probe script` as a terminal would, Ctrl-C its process group once `marker` exists (with
    `term`: SIGTERM to the probe's own process only, as `timeout` or a job scheduler sends it)."""
    import os
    import signal
    import subprocess
    import time

    from tests.probe.trace.helpers import GANLINT

    proc = subprocess.Popen(GANLINT + ["probe", str(script), "--steps", "10000000", "--out", str(tmp_path / "out")],
                            cwd=tmp_path, env=dict(os.environ, OMP_NUM_THREADS="1"), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 180
    while not (tmp_path / marker).exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert (tmp_path / marker).exists(), proc.communicate(timeout=60)[1][-2000:] if proc.poll() is not None else "no start"
    if term:
        proc.send_signal(signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group (a child a failing probe orphaned)
        except ProcessLookupError:
            pass
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    return proc.returncode, out, err, rep


def test_ctrl_c_stops_the_program_and_writes_the_report(tmp_path):
    marked = LOOP.format(extra="").replace("opt.step()", "opt.step()\n        if step == 40:\n"
                                           "            open('started', 'w').close()")
    code, out, err, rep = _interrupt(tmp_path, write(tmp_path, "train.py", marked))
    assert code == 130, err[-2000:]  # the distinct exit of an interrupted probe: a partial report is no all-clear
    assert rep["stopped"] == "interrupted" and rep["networks"]["model"]["steps"] >= 40
    steps = int(rep["metrics"]["steps_run"])
    assert f"interrupted at step {steps}: partial report in " in err and "Traceback" not in err
    assert f"Interrupted at step {steps}: partial report" in out and "No runtime problems found" not in out


def test_sigterm_to_the_probe_stops_the_program_and_writes_the_report(tmp_path):
    marked = LOOP.format(extra="").replace("opt.step()", "opt.step()\n        if step == 40:\n"
                                           "            open('started', 'w').close()")
    code, out, err, rep = _interrupt(tmp_path, write(tmp_path, "train.py", marked), term=True)
    assert code == 130, err[-2000:]
    assert rep["stopped"] == "interrupted" and rep["networks"]["model"]["steps"] >= 40
    assert "Interrupted at step" in out and "No runtime problems found" not in out and "Traceback" not in err


LIGHTNING = '''
import pytorch_lightning as pl
import torch, torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Regressor(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))

    def training_step(self, batch, batch_idx):
        (x,) = batch
        if self.global_step == 30:
            open("started", "w").close()
        return (self.net(x) - x[:, :1]).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


if __name__ == "__main__":
    loader = DataLoader(TensorDataset(torch.randn(512, 4)), batch_size=8)
    pl.Trainer(max_epochs=100000, logger=False, enable_checkpointing=False, enable_progress_bar=False,
               enable_model_summary=False, accelerator="cpu").fit(Regressor(), loader)
'''


@pytest.mark.skipif(importlib.util.find_spec("pytorch_lightning") is None, reason="pytorch-lightning")
def test_ctrl_c_under_lightning_is_still_an_interruption(tmp_path):
    """Lightning's Trainer catches KeyboardInterrupt ("attempting graceful shutdown") and calls sys.exit(1):
    the probe still reports the run as interrupted, with its partial report and exit 130."""
    code, out, err, rep = _interrupt(tmp_path, write(tmp_path, "fit.py", LIGHTNING))
    assert code == 130, err[-2000:]
    assert rep["stopped"] == "interrupted" and rep["networks"]["model"]["steps"] >= 30
    assert "interrupted at step" in err and "exited with status" not in err + out and not rep["errors"]


WGAN_CLIP = '''
import torch, torch.nn as nn
G = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
D = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1))
og, od = torch.optim.RMSprop(G.parameters(), lr=5e-5), torch.optim.RMSprop(D.parameters(), lr=5e-5)
for i in range(100000):
    real = torch.randn(64, 2) + 2
    od.zero_grad()
    loss_d = -torch.mean(D(real)) + torch.mean(D(G(torch.randn(64, 4)).detach()))
    loss_d.backward()
    od.step()
    for p in D.parameters():
        p.data.clamp_(-0.01, 0.01)
    if i % 5 == 0:
        og.zero_grad()
        loss_g = -torch.mean(D(G(torch.randn(64, 4))))
        loss_g.backward()
        og.step()
'''


def test_weight_clipping_is_seen_at_runtime(tmp_path):
    p, rep = probe(write(tmp_path, "wgan.py", WGAN_CLIP), "--steps", "20", cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr[-2000:]
    assert rep["family"] == "wgan" and "family wgan: the critic's weights are clipped to ±0.01" in rep["notes"]
    assert rep["networks"]["critic"]["steps"] >= 96 and rep["networks"]["generator"]["steps"] == 20


TANH = '''
import torch, torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 32), nn.Tanh(), nn.Linear(32, 1))
nn.init.normal_(model[0].weight, std=1.5)  # pre-activations ~ N(0, 3^2): ~74% beyond +-1, ~10% beyond +-5
opt = torch.optim.SGD(model.parameters(), lr=1e-5)
for step in range(100000):
    x = torch.randn(16, 4)
    loss = (model(x) - x[:, :1]).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
'''


def test_rule_options_of_the_project_shape_the_run_mode_instruments(tmp_path):
    """[tool.ganlint.rules.GL501] preact_threshold is the |pre-activation| the saturation instrument counts
    beyond, in run mode as in recipe mode: the same program is silent at the default (5) and saturated at 1."""
    script = write(tmp_path, "fit.py", TANH)
    p, rep = probe(script, "--steps", "110", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr[-2000:]
    sat = rep["series"]["sat/model/1"]
    assert len(sat) >= 2 and all(0.03 < v < 0.2 for _, v in sat)  # the share beyond +-5
    (tmp_path / "pyproject.toml").write_text("[tool.ganlint.rules.GL501]\npreact_threshold = 1.0\n")
    p, rep = probe(script, "--steps", "110", cwd=tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr[-2000:]
    sat = rep["series"]["sat/model/1"]
    assert all(0.6 < v < 0.9 for _, v in sat)  # the share beyond +-1 (2 * (1 - Phi(1/3)) = 0.74)
    (f,) = [f for f in rep["findings"] if f["code"] == "GL501"]
    assert f["evidence"]["threshold"] == 1.0 and "beyond ±1" in f["message"]
