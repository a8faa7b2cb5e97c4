"""`fix --verify` probes a copy of the project in a temporary folder; what it reports names the user's own
files (before: "/tmp/ganlint-verify-8_noc1lu/model.py:15: constructing MLPGenerator(...)")."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_a_probe_error_names_the_users_file_not_the_candidate_copy(tmp_path):
    proj = tmp_path / "proj"
    shutil.copytree(FIXTURES / "wgan_gp_000_broken", proj, ignore=shutil.ignore_patterns("expected.toml"))
    model = proj / "model.py"
    text = model.read_text()
    model.write_text(text.replace("        current_dim = z_dim\n",
                                  "        current_dim = z_dim\n        raise ValueError('bad dims')\n", 1))
    line = model.read_text().splitlines().index("        raise ValueError('bad dims')") + 1
    env = {k: v for k, v in os.environ.items() if k != "GANLINT_DEBUG"}
    proc = subprocess.run([sys.executable, "-m", "ganlint", "fix", "--verify", "--steps", "5", "--trials", "1",
                           "proj"], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert "ganlint-verify-" not in proc.stdout + proc.stderr
    assert f": proj{os.sep}model.py:{line}: constructing MLPGenerator" in errors[0], errors[0]
    assert "ValueError: bad dims" in errors[0]
