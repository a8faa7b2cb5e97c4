"""`ganlint fix` as a user runs it: real subprocesses on copies of the fixtures."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

GANLINT = str(Path(sys.executable).with_name("ganlint"))


def run(*args, cwd=None):
    return subprocess.run([GANLINT, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=240,
                          stdin=subprocess.DEVNULL)


def codes(output: str) -> set[str]:
    return set(re.findall(r": (GL\d{3}) \[", output))


def snapshot(d: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(d.iterdir()) if p.is_file()}


def test_default_writes_fixed_copies_and_says_why(project):
    d = project("wgan_gp_000_broken")
    before = snapshot(d)
    r = run("fix", d)
    assert r.returncode == 0, r.stderr
    assert "stage 1" in r.stdout and "stage 2" in r.stdout
    assert re.search(r"GL104 .*\[000 §1\.3\]", r.stdout)
    assert (d / "config.fixed.yaml").exists() and (d / "train.fixed.py").exists()
    assert {k: v for k, v in snapshot(d).items() if ".fixed." not in k} == before  # originals untouched
    fixed = (d / "config.fixed.yaml").read_text()
    assert 'nn_disc: "[256,256]"' in fixed and "learning_rate: 0.0001" in fixed
    assert fixed.splitlines()[0] == before["config.yaml"].splitlines()[0]  # comments kept


def test_diff_only_prints(project):
    d = project("gan_002_broken")
    before = snapshot(d)
    r = run("fix", "--diff", d)
    assert r.returncode == 0, r.stderr
    assert '-  "lr": 0.001,' in r.stdout and '+  "lr": 0.0002,' in r.stdout
    assert "+    criterion = nn.BCEWithLogitsLoss()" in r.stdout
    assert snapshot(d) == before


@pytest.mark.parametrize("name", ["wgan_gp_000_broken", "gan_002_broken", "vae_003_broken", "energy_004_broken"])
def test_in_place_then_check_no_longer_reports_the_fixed_codes(project, name):
    d = project(name)
    before = codes(run("check", d).stdout)
    r = run("fix", "--in-place", "--all-stages", d)
    assert r.returncode == 0, r.stderr
    fixed = set(re.findall(r"^\s+(GL\d{3}) ", r.stdout, re.M))
    assert fixed, r.stdout
    after = codes(run("check", d).stdout)
    assert not (fixed & after), f"still reported after the fix: {fixed & after}"
    assert (before & fixed) or not before
    again = run("fix", "--in-place", "--all-stages", d)
    assert again.returncode == 0 and "Nothing to fix" in again.stdout, again.stdout


def test_output_dir_holds_the_whole_fixed_project(project, tmp_path):
    d = project("vae_003_broken")
    out = tmp_path / "fixed"
    r = run("fix", "-o", out, "--stage", "2", d)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["config.py", "model.py"]
    cfg = (out / "config.py").read_text()
    assert "config['vae_lr'] = 3e-4" in cfg and "config['grad_norm_clip'] = 10" in cfg
    assert "config['latent_dim'] = 64" in cfg  # stage 3 not applied with --stage 2
    assert "GL206" in r.stdout or "later stages" in r.stdout


def test_no_path_uses_the_model_and_config_here(project):
    d = project("energy_004_broken")
    r = run("fix", "--diff", cwd=d)
    assert r.returncode == 0, r.stderr
    assert "+temperature = 0.3" in r.stdout and "+        E = self.act(raw * 0.5) * 2.0 + 0.1" in r.stdout


def test_select_ignore_on_the_command_line(project):
    d = project("wgan_gp_000_broken")
    r = run("fix", "--diff", "--select", "GL104,GL105", d)
    assert "+learning_rate: 0.0001" in r.stdout and "+n_critic: 5" in r.stdout and "nn_disc" not in r.stdout
    r = run("fix", "--diff", "--ignore", "GL104", d)
    assert "+learning_rate" not in r.stdout and "+n_critic: 5" in r.stdout


@pytest.mark.parametrize("name,text,where", [
    ("config.yaml", "non_linearity: Sigmoid\nnn_disc: [32, 128\n", "config.yaml:"),
    ("model.py", "class G(nn.Module:\n    pass\n", "model.py:1"),
])
def test_bad_input_is_one_line_and_exit_2(project, name, text, where):
    d = project("wgan_gp_000_broken")
    (d / name).write_text(text)
    before = snapshot(d)
    r = run("fix", "--in-place", d)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and where in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert snapshot(d) == before


def test_unwritable_output_leaves_nothing_half_written(project, tmp_path):
    d = project("wgan_gp_000_broken")
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    r = run("fix", "-o", blocker, d)
    assert r.returncode == 2 and "nothing written" in r.stderr
    assert blocker.read_text() == "not a folder"


def test_conflicting_flags(project):
    d = project("wgan_gp_000_broken")
    r = run("fix", "--diff", "--in-place", d)
    assert r.returncode == 2 and "mutually exclusive" in r.stderr
