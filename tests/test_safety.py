"""`check` never imports or executes user code and never imports torch (nor the probe/fix stack)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "numpy", "optuna", "libcst", "ruamel", "scipy", "matplotlib")


@pytest.fixture
def booby_trapped(tmp_path) -> tuple[Path, Path]:
    """A project whose every file, if imported or executed, writes a marker file."""
    marker = tmp_path / "EXECUTED"
    trap = f"open({str(marker)!r}, 'w').write(__name__)\n"
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "model.py").write_text(trap + textwrap.dedent("""
        import torch
        import torch.nn as nn

        class Generator(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(2, 8), nn.Sigmoid(), nn.Linear(8, 2))
    """))
    (proj / "config.py").write_text(trap + "config = {}\nconfig['lr'] = 1e-3\n")
    (proj / "train.py").write_text(trap + "if __name__ == '__main__':\n    raise SystemExit(3)\n")
    (proj / "__init__.py").write_text(trap)
    (proj / "conftest.py").write_text(trap)
    (proj / "setup.py").write_text(trap)
    (proj / "config.yaml").write_text("lr: !!python/object/apply:os.system ['touch " + str(marker) + "']\n")
    return proj, marker


def test_cli_never_executes_user_code(booby_trapped, clean_env, tmp_path):
    proj, marker = booby_trapped
    exe = Path(sys.executable).with_name("ganlint")
    proc = subprocess.run([str(exe), "check", str(proj)], capture_output=True, text=True, env=clean_env,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not marker.exists(), f"user code ran: {marker.read_text()}"


def test_in_process_check_imports_no_torch_and_runs_nothing(booby_trapped, clean_env, tmp_path):
    proj, marker = booby_trapped
    code = textwrap.dedent(f"""
        import sys, json
        import ganlint
        result = ganlint.check([{str(proj)!r}], config=False)
        from ganlint.cli import app
        try:
            app(["check", "--format", "json", {str(proj)!r}], standalone_mode=False)
        except SystemExit:
            pass
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
        print(json.dumps({{"heavy": heavy, "files": len(result.files)}}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=clean_env,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    import json

    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["heavy"] == [], f"check imported {report['heavy']}"
    assert report["files"] >= 6
    assert not marker.exists(), f"user code ran: {marker.read_text()}"


def test_importtime_of_check_shows_no_heavy_module(booby_trapped, clean_env, tmp_path):
    proj, _ = booby_trapped
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "ganlint", "check", str(proj)],
                          capture_output=True, text=True, env=clean_env, cwd=tmp_path, timeout=60)
    assert proc.returncode in (0, 1, 2), proc.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert "ganlint" in imported, "importtime output was not captured"
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_the_console_script_imports_no_heavy_module(clean_env, tmp_path):
    """The installed script (what pre-commit runs) on a real fixture."""
    exe = Path(sys.executable).with_name("ganlint")
    env = dict(clean_env, PYTHONPROFILEIMPORTTIME="1")
    proc = subprocess.run([str(exe), "check", str(ROOT / "fixtures" / "wgan_gp_000_broken")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert "ganlint" in imported
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))


def test_in_this_process_check_adds_no_heavy_module(booby_trapped):
    """Same promise inside the test process: whatever was not imported before `check` is not imported after."""
    import ganlint

    proj, marker = booby_trapped
    before = {m.split(".")[0] for m in sys.modules}
    result = ganlint.check([str(proj)], config=False)
    after = {m.split(".")[0] for m in sys.modules}
    assert result.files
    assert not (after - before) & set(HEAVY), sorted((after - before) & set(HEAVY))
    assert not marker.exists()
