"""The pre-commit hook, through the real `pre-commit` tool.

A copy of this project is committed in a temporary git repository (the hook repository), and used from
another temporary git repository holding a fixture:

- `pre-commit try-repo HOOK_REPO ganlint --all-files` must fail on fixtures/wgan_gp_000_broken
  (try-repo always builds its environment in a fresh temporary store: one install);
- a `.pre-commit-config.yaml` naming the hook repository at its commit, run with `pre-commit run
  --all-files`, must pass on fixtures/wgan_gp_000_healthy and fail on the broken one. Those runs share one
  temporary PRE_COMMIT_HOME for the module (one more install), whose hook environment is then inspected:
  it must not contain torch.

Building a hook environment is the slow part (pip installs ganlint's base dependencies, ~10-25 s).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
COPY = ["pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "ganlint", "rules", "LICENSE"]

pytestmark = pytest.mark.skipif(not PRE_COMMIT.exists(), reason="pre-commit is not installed (dev extra)")


def _git(cwd: Path, *args: str, env: dict) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = dict(os.environ)
    e.pop("PYTHONPATH", None)
    e.pop("VIRTUAL_ENV", None)
    e.update(
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
        CI="true", PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PRE_COMMIT_COLOR="never",
    )
    # the hook environment is built from the interpreter running the tests (no other python needed)
    e["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}"
    return e


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env) -> Path:
    repo = tmp_path_factory.mktemp("hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, repo / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, repo / name)
    _git(repo, "init", "-q", "-b", "main", env=env)
    _git(repo, "add", ".", env=env)
    _git(repo, "commit", "-q", "-m", "ganlint", env=env)
    return repo


def _project(fixture: str, tmp_path: Path, env: dict, config: str | None = None) -> Path:
    work = tmp_path / "project"
    work.mkdir()
    for f in (ROOT / "fixtures" / fixture).iterdir():
        if f.name != "expected.toml":
            shutil.copy2(f, work / f.name)
    if config is not None:
        (work / ".pre-commit-config.yaml").write_text(config)
    _git(work, "init", "-q", "-b", "main", env=env)
    _git(work, "add", ".", env=env)
    return work


def _pre_commit(args: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(PRE_COMMIT), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=540, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def config(hook_repo, env) -> str:
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    return f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n      - id: ganlint\n"


def test_try_repo_fails_on_broken_fixture(hook_repo, tmp_path, env):
    work = _project("wgan_gp_000_broken", tmp_path, env)
    proc = _pre_commit(["try-repo", str(hook_repo), "ganlint", "--all-files", "--verbose"], work, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "Failed" in out, out
    assert "GL001 [hidden-sigmoid]" in out, out
    assert "Traceback" not in out, out


def test_hook_passes_on_healthy_fixture(config, tmp_path, env):
    work = _project("wgan_gp_000_healthy", tmp_path, env, config)
    proc = _pre_commit(["run", "--all-files", "--verbose"], work, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "ganlint" in out and "Passed" in out, out


def test_hook_fails_on_broken_fixture(config, tmp_path, env):
    work = _project("wgan_gp_000_broken", tmp_path, env, config)
    proc = _pre_commit(["run", "--all-files", "--verbose"], work, env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "GL104 [wgan-learning-rate-high]" in out, out
    assert "Traceback" not in out, out


def test_hook_environment_has_no_torch(config, tmp_path, env):
    work = _project("wgan_gp_000_healthy", tmp_path, env, config)
    _pre_commit(["install-hooks"], work, env)
    pythons = sorted(Path(env["PRE_COMMIT_HOME"]).glob("repo*/py_env-*/bin/python"))
    assert pythons, f"no hook environment under {env['PRE_COMMIT_HOME']}"
    for py in pythons:
        found = subprocess.run([str(py), "-c", "import importlib.util as u; print(u.find_spec('torch') is None)"],
                               capture_output=True, text=True, env=env)
        assert found.stdout.strip() == "True", f"torch is installed in the hook environment {py}"
        ok = subprocess.run([str(py), "-c", "import ganlint.cli"], capture_output=True, text=True, env=env)
        assert ok.returncode == 0, ok.stderr
