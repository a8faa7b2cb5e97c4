"""End to end: the installed `ganlint check` on every fixtures/*/ folder, in a subprocess.

expected.toml's `check` list is the exact set of codes the folder must produce. Healthy twins must
produce no finding above info, and an info finding only when listed (their lists are empty).
"""
from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = sorted(p for p in (ROOT / "fixtures").iterdir() if (p / "expected.toml").is_file())


def test_there_are_fixtures():
    assert len(FOLDERS) >= 8
    assert {p.name.rsplit("_", 1)[1] for p in FOLDERS} == {"broken", "healthy"}


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_fixture_produces_exactly_its_codes(folder, ganlint_cmd, clean_env, tmp_path):
    expected = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))["check"]
    proc = subprocess.run(
        [*ganlint_cmd, "check", "--format", "json", str(folder)],
        capture_output=True, text=True, env=clean_env, cwd=tmp_path, timeout=60,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] == [], report["errors"]
    found = {f["code"] for f in report["findings"]}
    details = "\n".join(f"{f['file']}:{f['line']}: {f['code']} {f['severity']} {f['message']}" for f in report["findings"])
    assert found == set(expected), f"{folder.name}: expected {sorted(expected)}, got {sorted(found)}\n{details}"
    if folder.name.endswith("_healthy"):
        above_info = [f for f in report["findings"] if f["severity"] != "info"]
        assert not above_info, f"{folder.name}: healthy fixture reports\n{details}"
    assert proc.returncode == (1 if found else 0), proc.stderr
    # every finding points into the fixture, with a real line
    for f in report["findings"]:
        path = Path(f["file"])
        assert path.resolve().is_relative_to(folder.resolve()), f["file"]
        assert 1 <= f["line"] <= len(path.read_text(encoding="utf-8").splitlines()) + 1, f


@pytest.mark.parametrize("folder", [p for p in FOLDERS if p.name.endswith("_broken")], ids=lambda p: p.name)
def test_broken_fixture_text_output(folder, ganlint_cmd, clean_env, tmp_path):
    proc = subprocess.run([*ganlint_cmd, "check", str(folder)], capture_output=True, text=True, env=clean_env,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("Found "), proc.stdout
    assert proc.stderr == ""
