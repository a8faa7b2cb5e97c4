"""`ganlint check` run as the program ends with os._exit once its report is flushed (no teardown); everything a
caller sees stays the same: the whole report, the exit code, an --output file, atexit callbacks, and an
in-process main() that raises SystemExit instead of ending the caller's process."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "fixtures" / "wgan_gp_000_broken"


def _main(argv: list[str], before: str = "") -> str:
    return before + f"import sys\nfrom ganlint.cli import main\nsys.argv = {['ganlint', *argv]!r}\nmain()\n"


def _expected(tmp_path: Path) -> dict:
    """The report made in-process (the normal exit path): what the fast path must print too."""
    from ganlint.checking.runner import check_paths
    from ganlint.report import render

    result = check_paths([str(tmp_path / "model.py"), str(tmp_path / "config.yaml")])
    return json.loads(render(result.findings, result.errors, "json", files=len(result.files)))


@pytest.fixture
def broken(tmp_path):
    for name in ("model.py", "config.yaml", "train.py"):
        if (BROKEN / name).exists():
            shutil.copy(BROKEN / name, tmp_path / name)
    return tmp_path


def test_report_and_exit_code_are_whole(broken, clean_env):
    args = ["check", "--format", "json", str(broken / "model.py"), str(broken / "config.yaml")]
    proc = subprocess.run([sys.executable, "-c", _main(args)], capture_output=True, text=True, env=clean_env,
                          cwd=broken)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)  # the whole report came through the flush
    assert report["findings"] and report == _expected(broken)


def test_output_file_is_written_and_closed(broken, clean_env):
    out = broken / "report.json"
    args = ["check", "--format", "json", "-o", str(out), str(broken / "model.py"), str(broken / "config.yaml")]
    proc = subprocess.run([sys.executable, "-c", _main(args)], capture_output=True, text=True, env=clean_env,
                          cwd=broken)
    assert proc.returncode == 1 and proc.stdout == "", proc.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == _expected(broken)
    assert not list(broken.glob(".ganlint-*.tmp"))


def test_atexit_callbacks_still_run(broken, clean_env):
    before = "import atexit\natexit.register(lambda: print('atexit ran'))\n"
    proc = subprocess.run([sys.executable, "-c", _main(["check", str(broken / "model.py"), str(broken / "config.yaml")], before)],
                          capture_output=True, text=True, env=clean_env, cwd=broken)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.endswith("atexit ran\n")


def test_in_process_main_raises_systemexit(broken, monkeypatch, capsys):
    import gc

    from ganlint.cli import main

    monkeypatch.setattr(sys, "argv", ["ganlint", "check", str(broken / "model.py"), str(broken / "config.yaml")])
    enabled = gc.isenabled()
    with pytest.raises(SystemExit) as exc:  # a test's process is not main()'s to end
        main()
    assert exc.value.code == 1
    assert gc.isenabled() == enabled  # the collector is the caller's again
    assert "GL" in capsys.readouterr().out
