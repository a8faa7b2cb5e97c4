"""The rules' own fixes (issue: each rule owns its whole behaviour): each test reproduces a bug of the
planner's restated recipes and fails on it."""
from __future__ import annotations

import json
import subprocess
import sys

from ruamel.yaml import YAML

from ganlint.fix import apply_plan, fix_files, input_files
from ganlint.fix.planner import make_plan


def _yaml(text: str):
    return YAML(typ="safe").load(text)  # YAML 1.2, as ganlint reads it (1e-4 is a number)


def _write(root, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).write_text(text)


def _cli(args: list[str], cwd) -> subprocess.CompletedProcess:
    exe = [sys.executable, "-c", "from ganlint.cli import main; main()"]
    return subprocess.run(exe + args, cwd=cwd, capture_output=True, text=True, timeout=120)


# -- (a) fix honours [tool.ganlint] as check does ----------------------------------------------------------
def test_fix_uses_the_configured_rule_options(tmp_path):
    _write(tmp_path, {
        "pyproject.toml": "[tool.ganlint.rules.GL104]\nmax_lr = 3e-4\nproposed = 5e-5\n",
        "config.yaml": "lambda_gp: 10\nn_critic: 5\nbatch_size: 64\nlr_g: 1.0e-3\nlr_d: 2.5e-4\n",
    })
    check = _cli(["check", "--format", "json", "--select", "GL104", "config.yaml"], tmp_path)
    reported = [f["message"] for f in json.loads(check.stdout)["findings"]]
    assert len(reported) == 1 and "lr_g" in reported[0], check.stdout
    done = _cli(["fix", "--all-stages", "--in-place", "config.yaml"], tmp_path)
    assert done.returncode == 0, done.stderr
    cfg = _yaml((tmp_path / "config.yaml").read_text())
    assert cfg["lr_g"] == 5e-5  # the configured proposal, not the default 1e-4
    assert cfg["lr_d"] == 2.5e-4  # allowed under the configured max_lr: untouched


# -- (b) the WGAN's rule fixes only the WGAN's rates; one key, one fix --------------------------------------
def test_wgan_lr_fix_leaves_other_networks_rates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"config.yaml": "grad_penalty: 10\nn_critic: 5\nbatch_size: 64\nlr_g: 1.0e-3\nlr_d: 1.0e-3\n"
                                     "vae_lr: 1.0e-3\nenergy_lr: 1.0e-3\n"})
    plan = make_plan(input_files([str(tmp_path)]))
    targets: dict[str, list[str]] = {}
    for fx in plan.fixes:
        for e in fx.edits:
            targets.setdefault(e.target, []).append(fx.code)
    assert targets["lr_g"] == ["GL104"] and targets["lr_d"] == ["GL104"]
    assert "GL104" not in targets.get("vae_lr", []) + targets.get("energy_lr", [])
    cfg = _yaml(apply_plan(plan).new_texts[str(tmp_path / "config.yaml")])
    assert cfg["lr_g"] == cfg["lr_d"] == 1e-4


# -- (c) a soft-update constant is not an InfoNCE temperature ------------------------------------------------
def test_agent_tau_is_not_rewritten_as_a_temperature(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"config.yaml": "energy:\n  temperature: 0.05\n  lr: 1.0e-4\nagent:\n  tau: 0.005\n"})
    res = fix_files([str(tmp_path)], upto=None)
    cfg = _yaml(res.new_texts[str(tmp_path / "config.yaml")])
    assert cfg["energy"]["temperature"] == 0.3
    assert cfg["agent"]["tau"] == 0.005


# -- (d) the hidden-sigmoid fix touches only the layers check reported ---------------------------------------
MODEL = (
    "import torch.nn as nn\n\n\n"
    "class SqueezeExcite(nn.Module):\n"
    "    def __init__(self, c):\n"
    "        super().__init__()\n"
    "        self.gate = nn.Sequential(nn.Linear(c, c // 4), nn.ReLU(), nn.Linear(c // 4, c), nn.Sigmoid(),\n"
    "                                  nn.Unflatten(1, (c, 1, 1)))\n\n\n"
    "class Generator(nn.Module):\n"
    "    def __init__(self, z_dim=16):\n"
    "        super().__init__()\n"
    "        self.net = nn.Sequential(nn.Linear(z_dim, 64), nn.Sigmoid(), nn.Linear(64, 2))\n\n"
    "    def forward(self, z):\n"
    "        return self.net(z)\n"
)


def test_hidden_sigmoid_fix_leaves_an_unreported_block(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"model.py": MODEL, "config.yaml": "lambda_gp: 10\nn_critic: 5\n"})  # a WGAN-GP project
    plan = make_plan(input_files([str(tmp_path)]), select=["GL001"])
    assert [f.location.line for f in plan.findings] == [14]  # check reports the generator's Sigmoid only
    fixed = apply_plan(plan).new_texts[str(tmp_path / "model.py")]
    assert "nn.Linear(c // 4, c), nn.Sigmoid(),\n" in fixed  # the squeeze-excite gate keeps its Sigmoid
    assert "nn.Sequential(nn.Linear(z_dim, 64), nn.LeakyReLU(0.2), nn.Linear(64, 2))" in fixed


# -- (f) one run reads each file once and loads the options once ---------------------------------------------
def test_fix_reads_each_file_once_and_options_once(tmp_path, monkeypatch, capsys):
    import ganlint.checking.options as options
    import ganlint.reading.project as project
    from ganlint.cli import main

    _write(tmp_path, {
        "pyproject.toml": "[tool.ganlint]\nignore = [\"GL106\"]\n",
        "config.yaml": "lambda_gp: 10\nn_critic: 1\nbatch_size: 16\nlr: 1.0e-3\n",
        "model.py": MODEL,
    })
    monkeypatch.chdir(tmp_path)
    reads: dict[str, int] = {}
    loads = []
    real_read, real_load = project.read_text, options.load_options

    def counting_read(path):
        reads[path] = reads.get(path, 0) + 1
        return real_read(path)

    monkeypatch.setattr(project, "read_text", counting_read)
    monkeypatch.setattr(options, "load_options", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    monkeypatch.setattr(sys, "argv", ["ganlint", "fix", "--diff", "config.yaml", "model.py"])
    try:
        main()
    except SystemExit as exc:
        assert exc.code == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    inputs = {p: n for p, n in reads.items() if not p.endswith("pyproject.toml")}
    assert inputs and set(inputs.values()) == {1}, reads
    assert len(loads) == 1
    assert "n_critic: 5" in out and "batch_size: 64" not in out  # the configured ignore is honoured by fix


# -- a penalised discriminator trained with BCELoss (DRAGAN) keeps the Sigmoid its loss needs ----------------
def test_critic_sigmoid_kept_where_bce_needs_probabilities(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = (
        "import torch\nimport torch.nn as nn\n\n\n"
        "class Discriminator(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.adv_layer = nn.Sequential(nn.Linear(128, 1), nn.Sigmoid())\n\n"
        "    def forward(self, x):\n"
        "        return self.adv_layer(x)\n\n\n"
        "adversarial_loss = torch.nn.BCELoss()\n"
        "discriminator = Discriminator()\n\n\n"
        "def gradient_penalty(D, X):\n"
        "    X = X.requires_grad_(True)\n"
        "    g = torch.autograd.grad(D(X).sum(), X, create_graph=True)[0]\n"
        "    return 10 * ((g.norm(2, dim=1) - 1) ** 2).mean()\n\n\n"
        "d_loss = adversarial_loss(discriminator(x), valid) + gradient_penalty(discriminator, x)\n"
    )
    _write(tmp_path, {"dragan.py": model})
    plan = make_plan(input_files([str(tmp_path)]), select=["GL101"])
    # a BCE-trained discriminator with a penalty is DRAGAN's, not a Wasserstein critic: GL101 stays silent
    # (the reader's family rule); where it does fire, its fix refuses to drop a Sigmoid BCELoss reads
    assert plan.fixes == [] and all("needs probabilities" in m.fix.message for m in plan.manual)
    assert "nn.Sigmoid()" in (tmp_path / "dragan.py").read_text()
