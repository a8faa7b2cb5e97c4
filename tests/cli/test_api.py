"""The Python API: ganlint.check(...) -> CheckResult, lazily exported from ganlint."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.conftest import write


def test_check_api(fake_rules, tmp_path, monkeypatch):
    import ganlint

    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"m.py": "# FAKE_ERR\n# FAKE_INFO\n", "bad.py": "def (\n"})
    result = ganlint.check(["m.py", "bad.py"])
    assert isinstance(result, ganlint.CheckResult)
    assert [f.code for f in result.findings] == ["GL098", "GL099"]
    assert [e.file for e in result.errors] == ["bad.py"]
    assert result.exit_code() == 2
    result = ganlint.check(tmp_path / "m.py", select="GL098")
    assert [f.code for f in result.findings] == ["GL098"] and result.exit_code() == 1
    result = ganlint.check(["m.py"], ignore=["GL09"])
    assert result.findings == [] and result.exit_code() == 0


def test_check_api_config(fake_rules, tmp_path, monkeypatch):
    import ganlint
    from ganlint.core.errors import UsageError

    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"m.py": "# FAKE_ERR\n# FAKE_INFO\n", "pyproject.toml": '[tool.ganlint]\nignore = ["GL098"]\n'})
    assert [f.code for f in ganlint.check("m.py").findings] == ["GL099"]
    assert [f.code for f in ganlint.check("m.py", config=False).findings] == ["GL098", "GL099"]
    write(tmp_path, {"other.toml": '[tool.ganlint]\nselect = ["GL098"]\n'})
    assert [f.code for f in ganlint.check("m.py", config="other.toml").findings] == ["GL098"]
    with pytest.raises(UsageError):
        ganlint.check("m.py", select=["GL555"])
    write(tmp_path, {"pyproject.toml": '[tool.ganlint]\nbogus = 1\n'})
    with pytest.raises(UsageError):
        ganlint.check("m.py")


def test_import_ganlint_is_cheap():
    code = "import sys, ganlint; print(sorted(m for m in sys.modules if m.startswith(('ganlint', 'typer', 'click', 'yaml', 'torch'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['ganlint']"
