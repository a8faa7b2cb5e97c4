"""The CLI tells the truth: what a user types gets the answer it means, by real runs of `python -m ganlint`.

Bad options and inputs are one line and exit 2 (before torch is imported, for the probe), an unknown rule is
an error and a rule's name works like its code, an interrupted or unrunnable probe is no all-clear, a
missing extra says how to install it, and written files keep their mode, BOM and line endings."""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "wgan_gp_000_broken"

# An import blocker for a child interpreter: `sitecustomize` runs at start-up, and a module it blocks is
# missing as if not installed. BLOCK names the top-level packages; an attempt to import one is recorded.
SITECUSTOMIZE = """
import os, sys

class _Missing:
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in os.environ.get("BLOCK", "").split(","):
            with open(os.environ["BLOCK_LOG"], "a") as fh:
                fh.write(name + "\\n")
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, _Missing())
"""


def ganlint(*args, cwd=None, block=(), tmp=None, timeout=120, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if block:
        shim = tmp / "shim"
        shim.mkdir(exist_ok=True)
        (shim / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(shim), env.get("PYTHONPATH")) if p)
        env["BLOCK"], env["BLOCK_LOG"] = ",".join(block), str(tmp / "blocked.log")
    # never the repository as cwd: `-m` puts the cwd first on sys.path, the installed ganlint is what runs
    return subprocess.run([sys.executable, "-m", "ganlint", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or tempfile.gettempdir(), env=env, timeout=timeout, **kw)


def blocked(tmp) -> list[str]:
    log = tmp / "blocked.log"
    return log.read_text().split() if log.exists() else []


@pytest.fixture
def proj(tmp_path):
    dest = tmp_path / "proj"
    shutil.copytree(FIXTURE, dest)
    return dest


def _one_error_line(proc) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert len(lines) == 1 and "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return lines[0]


# -- fix --select / --ignore ------------------------------------------------------------------------
def test_fix_select_of_an_unknown_rule_is_an_error(proj, tmp_path):
    proc = ganlint("fix", proj, "--select", "GL10O", cwd=tmp_path)
    assert "unknown rule 'GL10O' in --select" in _one_error_line(proc)
    assert not list(proj.glob("*.fixed.*"))


def test_fix_select_and_ignore_take_rule_names(proj, tmp_path):
    only = ganlint("fix", proj, "--select", "hidden-sigmoid", "--diff", cwd=tmp_path)
    assert only.returncode == 0, only.stderr
    changed = [line for line in only.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert changed == ["+non_linearity: LeakyReLU"], only.stdout
    rest = ganlint("fix", proj, "--ignore", "hidden-sigmoid,gan-adam-default-betas", "--diff", cwd=tmp_path)
    assert rest.returncode == 0 and "LeakyReLU" not in rest.stdout and "betas" not in rest.stdout
    assert "+learning_rate: 0.0001" in rest.stdout  # the other rules still fix


@pytest.mark.parametrize("config", ["config.yaml", "settings.py"])
def test_fix_verify_without_model_code_is_an_error(proj, tmp_path, config):
    (proj / "settings.py").write_text("learning_rate = 1e-3\nbatch_size = 16\nn_critic = 1\n")  # Python, no model
    proc = ganlint("fix", proj / config, "--verify", "--family", "wgan-gp", cwd=tmp_path, block=("torch",), tmp=tmp_path)
    assert "no model code" in _one_error_line(proc) and proc.stdout == ""
    assert not list(proj.glob("*.fixed.*")) and not (tmp_path / "fix-report").exists()
    assert blocked(tmp_path) == []  # said before any probe run


def test_fix_without_the_fix_extra_says_what_to_install(proj, tmp_path):
    proc = ganlint("fix", proj, cwd=tmp_path, block=("ruamel",), tmp=tmp_path)
    line = _one_error_line(proc)
    assert "fix extra" in line and "pip install 'ganlint[fix]'" in line and "ruamel" in line
    assert blocked(tmp_path)  # the extra really was missing
    assert not list(proj.glob("*.fixed.*"))


def test_probe_without_the_probe_extra_says_what_to_install(proj, tmp_path):
    proc = ganlint("probe", proj, "--steps", "5", "--out", tmp_path / "out", block=("torch",), tmp=tmp_path)
    line = _one_error_line(proc)
    assert "probe extra" in line and "pip install 'ganlint[probe]'" in line and "torch" in line
    assert blocked(tmp_path)  # torch was asked for, and missing


# -- probe: validated before torch is imported --------------------------------------------------------
@pytest.mark.parametrize("option, says", [
    (["--device", "gpu"], "--device 'gpu'"),
    (["--steps", "0"], "--steps 0"),
    (["--threads", "0"], "--threads 0"),
    (["--family", "gann"], "--family 'gann'"),
    (["--data", "no_such_set"], "--data 'no_such_set'"),
    (["--entry", "nets"], "--entry 'nets'"),
])
def test_probe_bad_option_is_rejected_before_torch(proj, tmp_path, option, says):
    t = time.perf_counter()
    proc = ganlint("probe", proj, *option, "--out", tmp_path / "out", block=("torch",), tmp=tmp_path)
    took = time.perf_counter() - t
    assert says in _one_error_line(proc)
    assert blocked(tmp_path) == [] and not (tmp_path / "out").exists()  # torch never asked for
    assert took < 10  # (seconds, a loaded CI machine) the point: no torch import, no build


def test_probe_bad_path_is_rejected_before_torch(tmp_path):
    proc = ganlint("probe", tmp_path / "nope", "--out", tmp_path / "out", block=("torch",), tmp=tmp_path)
    assert "nope: error: no such file or directory" in _one_error_line(proc)
    assert blocked(tmp_path) == []


def test_probe_on_a_syntax_error_says_file_and_line_as_check_does(proj, tmp_path):
    (proj / "model.py").write_text((proj / "model.py").read_text() + "\ndef broken(:\n    pass\n")
    line_no = (proj / "model.py").read_text().splitlines().index("def broken(:") + 1
    probe = ganlint("probe", proj, "--out", tmp_path / "out", block=("torch",), tmp=tmp_path)
    check = ganlint("check", proj, "--select", "GL001")
    said = _one_error_line(probe)
    assert f"model.py:{line_no}: error:" in said and "syntax" in said.lower()
    assert said in check.stderr.splitlines()  # the same line check prints
    assert blocked(tmp_path) == []


# -- top-level -------------------------------------------------------------------------------------
def test_unknown_command_suggests_once():
    proc = ganlint("chek")
    assert proc.returncode == 2 and proc.stderr.count("Did you mean") == 1 and "'check'" in proc.stderr


def test_version():
    from importlib.metadata import version

    proc = ganlint("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"ganlint {version('ganlint')}"


# -- check: what it counts ---------------------------------------------------------------------------
def test_check_does_not_count_expected_toml(proj):
    inputs = sorted(p.name for p in proj.iterdir() if p.suffix in (".py", ".yaml", ".yml", ".json", ".toml"))
    assert "expected.toml" in inputs
    proc = ganlint("check", proj, "--format", "json")
    import json

    rep = json.loads(proc.stdout)
    assert rep["summary"]["files"] == len(inputs) - 1, rep["summary"]
    text = ganlint("check", proj)
    assert f"in {len(inputs) - 1} files." in text.stdout
    named = ganlint("check", proj / "expected.toml")  # a file named on the command line is always checked
    assert named.returncode == 0 and "in 1 file." in named.stdout


# -- file names that would garble a terminal ---------------------------------------------------------
def test_file_names_with_newline_or_escape_are_escaped(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "bad\nname.yaml").write_text("lr: [\n")
    esc = d / "e\x1b[2Jx.py"
    esc.write_text("import torch.nn as nn\n\nclass Generator(nn.Module):\n    def __init__(self):\n"
                   "        super().__init__()\n        self.net = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 2))\n")
    proc = ganlint("check", d)
    assert proc.returncode == 2 and "\x1b" not in proc.stdout + proc.stderr
    errors = proc.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"{d}/bad\\nname.yaml:") and ": error: " in errors[0]
    assert re.search(r"e\\x1b\[2Jx\.py:6:\d+: GL001", proc.stdout), proc.stdout
    probe = ganlint("probe", tmp_path / "no\nsuch", block=("torch",), tmp=tmp_path)
    assert "no\\nsuch: error: no such file" in _one_error_line(probe)


# -- files fix writes ----------------------------------------------------------------------------------
def test_fix_output_keeps_mode_bom_and_crlf(proj, tmp_path):
    cfg = proj / "config.yaml"
    lines = cfg.read_text().splitlines()
    cfg.write_bytes(b"\xef\xbb\xbf" + "".join(line + "\r\n" for line in lines).encode())
    cfg.chmod(0o640)
    (proj / "train.py").chmod(0o755)
    proc = ganlint("fix", proj, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    fixed = (proj / "config.fixed.yaml").read_bytes()
    assert fixed.startswith(b"\xef\xbb\xbf") and b"LeakyReLU" in fixed
    assert fixed.count(b"\r\n") == fixed.count(b"\n") == len(lines)  # every line, rewritten ones too
    assert stat.S_IMODE((proj / "config.fixed.yaml").stat().st_mode) == 0o640
    assert stat.S_IMODE((proj / "train.fixed.py").stat().st_mode) == 0o755
    assert b"\r" not in (proj / "train.fixed.py").read_bytes()  # an LF file stays LF
    out = ganlint("fix", proj, "-o", tmp_path / "out", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "out" / "config.yaml").read_bytes() == fixed
    assert stat.S_IMODE((tmp_path / "out" / "model.py").stat().st_mode) == stat.S_IMODE((proj / "model.py").stat().st_mode)


# -- fix --verify: where its report goes, and its progress ----------------------------------------------
VERIFY = ("--verify", "--stage", "1", "--steps", "10", "--trials", "0", "--workers", "1", "--device", "cpu")


def test_fix_verify_with_o_writes_everything_under_dir_and_is_quiet_when_piped(proj, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    proc = ganlint("fix", proj, "-o", tmp_path / "out", *VERIFY, cwd=work, preexec_fn=lambda: os.umask(0o027))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in work.iterdir()) == []  # nothing in the current directory
    report = tmp_path / "out" / "fix-report" / "fix-report.html"
    assert report.is_file() and (tmp_path / "out" / "config.yaml").is_file()
    assert stat.S_IMODE(report.stat().st_mode) == 0o640  # a new file: the umask's mode
    assert "\r" not in proc.stdout + proc.stderr and "ETA" not in proc.stdout + proc.stderr
    assert "probing" not in proc.stdout  # no progress chatter in piped output


def test_fix_verify_draws_a_progress_bar_on_a_terminal(proj, tmp_path):
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "ganlint", "fix", str(proj), "-o", str(tmp_path / "out"), *VERIFY],
                            stdout=subprocess.PIPE, stderr=slave, cwd=tmp_path, start_new_session=True)
    os.close(slave)
    seen = b""
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child exited and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=max(1, deadline - time.time()))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
        os.close(master)
    text = seen.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    frames = [f for f in re.split(r"[\r\n]+", text) if f.startswith("ganlint fix --verify [")]
    assert any(" baseline " in f and "ETA -:--" in f for f in frames), frames  # before any run finished
    assert any(" stage 1 " in f and re.search(r"ETA ≤\d+:\d\d", f) for f in frames), frames
    done = [int(m.group(1)) for f in frames for m in [re.search(r"\] (\d+)/(\d+) runs", f)] if m]
    assert done == sorted(done) and done[-1] >= 2
    clock = {re.search(r"(\d+:\d\d) elapsed", f).group(1) for f in frames if " baseline " in f}
    assert len(clock) >= 2, frames  # redrawn while the baseline run works (torch import, training)
