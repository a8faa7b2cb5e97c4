"""Input nested thousands deep (the parsers' and walkers' RecursionError) is one error line naming the file
and the line that nests, exit 2 for check; for fix, a file its editors cannot walk is a fix "not applied"
at its line, the others still apply. Before: "cannot parse: RecursionError" without a line, or fix's
"internal error: RecursionError"."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_issue11_inputs import error_line, ganlint, project

N = 3000


def deep_line(root: Path, file: str) -> int:
    return len((root / file).read_text().splitlines())  # the line appended last


@pytest.mark.parametrize("fixture,file,line", [
    ("wgan_gp_000_broken", "config.yaml", "deep: " + "[" * N + "]" * N),
    ("wgan_gp_000_broken", "config.yaml", "deep: " + "{a: " * N + "1" + "}" * N),
    ("gan_002_broken", "model.py", "x = " + "-" * N + "1"),
    ("gan_002_broken", "model.py", "x = a" + ".b" * N),
    ("gan_002_broken", "model.py", "x = " + "a + " * N + "1"),
    ("vae_003_broken", "config.py", "x = " + "not " * N + "y"),
    ("energy_004_broken", "config.toml", "deep = " + "[" * N + "]" * N),
])
def test_check_names_the_file_and_the_line_that_nests(tmp_path, fixture, file, line):
    root = project(tmp_path, fixture, file, None, line)
    proc = ganlint("check", ".", cwd=root)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    err = error_line(proc)
    assert err.startswith(f"{file}:{deep_line(root, file)}: error:") and "nest" in err, err


def test_json_nested_thousands_deep_names_its_line(tmp_path):
    root = project(tmp_path, "gan_002_broken", "config.json", None, "")
    text = (root / "config.json").read_text().rstrip().rstrip("}").rstrip()
    (root / "config.json").write_text(text + ',\n  "deep": ' + "[" * N + "]" * N + "\n}\n")
    err = error_line(ganlint("check", ".", cwd=root))
    assert err.startswith(f"config.json:{deep_line(root, 'config.json') - 1}: error:") and "nested" in err, err


def test_fix_reports_a_file_its_editor_cannot_walk_at_its_line_and_applies_the_rest(tmp_path):
    # 900 unary minuses: Python's parser and check read it, LibCST's recursive visitors cannot
    root = project(tmp_path, "vae_003_broken", "config.py", None, "x = " + "-" * 900 + "1")
    assert ganlint("check", ".", cwd=root).returncode == 1  # the findings are read
    proc = ganlint("fix", "--all-stages", "--in-place", ".", cwd=root)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "internal error" not in out and "Traceback" not in out, out
    where = f"config.py:{deep_line(root, 'config.py')}: too deeply nested to edit"
    not_applied = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("not applied:")]
    assert not_applied and all(where in ln for ln in not_applied), out
    # `not applied: GL201 <message>: <why>`, or fixes sharing one reason: `not applied: 6 fixes (GL002, ...): <why>`
    failed_codes = {c for ln in not_applied for c in re.findall(r"\bGL\d{3}\b", ln.split(where)[0])}
    assert failed_codes, out
    later = [ln for ln in proc.stdout.splitlines() if "later stages not applied" in ln]
    assert not any(code in ln for code in failed_codes for ln in later), out  # not also called "later stage"
    assert "Wrote" in proc.stdout and "model.py" in proc.stdout  # the model's fixes still apply


def test_an_integer_beyond_float_range_in_a_forward_is_no_internal_error(tmp_path):
    """Fuzz input 7675: `self.energy_scale = 1000...0` (90 digits) used in forward(): the network reader's
    float() raised OverflowError ("cannot analyse")."""
    root = project(tmp_path, "energy_004_healthy", "model.py", "        self.energy_scale",
                   "        self.energy_scale = 1" + "0" * 400)
    proc = ganlint("check", ".", cwd=root)
    out = proc.stdout + proc.stderr
    assert "cannot analyse" not in out and "internal error" not in out and proc.returncode in (0, 1), out
