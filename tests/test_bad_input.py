"""Bad input: one clear line per unreadable input on stderr (file, and line where known), the other files
still checked, exit 2, never a traceback. Real CLI in a subprocess (the real readers)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD = "import torch.nn as nn\n\nnet = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1))\n"


def _bomb() -> str:
    lines = ["a0: &a0 {x: 1, y: 2}"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(9)) + "}")
    return "\n".join(lines) + "\n"


CASES = {
    # name: (file name, content (str or bytes, None = do not create), expected prefix of the error line)
    "syntax-error": ("model.py", "import torch\n\ndef f(:\n    pass\n", "model.py:3: error: syntax error"),
    "non-utf8": ("model.py", b"x = 1\ny = '\xff\xfe'\n", "model.py:2: error: not valid UTF-8"),
    "binary": ("weights.py", b"\x00\x01\x02PK\x03\x04" * 100, "weights.py: error: binary file"),
    "huge": ("big.py", "# padding\n" * 600_000, "big.py: error: file is"),
    "bad-yaml": ("config.yaml", "lr: [1, 2\nbatch_size: 3\n", "config.yaml:2: error: invalid YAML"),
    "bad-json": ("config.json", '{"lr": 1,\n "b": }\n', "config.json:2: error: invalid JSON"),
    "bad-toml": ("config.toml", "lr = 1\nb = \n", "config.toml:2: error: invalid TOML"),
    "alias-bomb": ("bomb.yaml", _bomb(), "bomb.yaml:2: error: YAML expands to more than"),
    "missing": ("missing.yaml", None, "missing.yaml: error: no such file or directory"),
    "empty-dir": ("emptydir", "DIR", "emptydir: error: no Python, YAML, JSON or TOML files"),
    "deep-nesting": ("deep.py", "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", "deep.py"),
}


def _run(args, cwd, env):
    exe = Path(sys.executable).with_name("ganlint")
    return subprocess.run([str(exe), "check", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_others_are_checked(case, tmp_path, clean_env):
    name, content, prefix = CASES[case]
    (tmp_path / "good.py").write_text(GOOD)
    if content == "DIR":
        (tmp_path / name).mkdir()
        (tmp_path / name / "notes.txt").write_text("nothing to check\n")
    elif isinstance(content, bytes):
        (tmp_path / name).write_bytes(content)
    elif content is not None:
        (tmp_path / name).write_text(content)
    proc = _run(["good.py", name], tmp_path, clean_env)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out[-3000:]
    assert proc.returncode == 2, out[-3000:]
    errors = proc.stderr.splitlines()
    assert len(errors) == 1, errors
    assert errors[0].startswith(prefix), errors[0]
    assert len(errors[0]) < 300
    # the good file was still read and checked
    assert proc.stdout.splitlines()[-1].startswith(("All checks passed in 1 file", "No problems found in 1 file",
                                                    "Found ")), proc.stdout
    assert " in 1 file" in proc.stdout.splitlines()[-1]


def test_every_bad_input_at_once(tmp_path, clean_env):
    args = ["good.py"]
    (tmp_path / "good.py").write_text(GOOD)
    for case, (name, content, _) in CASES.items():
        if case in ("huge", "deep-nesting"):
            continue
        path = tmp_path / case / name
        path.parent.mkdir()
        if content == "DIR":
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content)
        args.append(str(path.relative_to(tmp_path)))
    proc = _run(args, tmp_path, clean_env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert len(proc.stderr.splitlines()) == len(args) - 1, proc.stderr
    assert " in 1 file" in proc.stdout.splitlines()[-1]


@pytest.mark.parametrize("name,content", [("__init__.py", ""), ("empty.yaml", ""), ("empty.toml", ""),
                                          ("blank.py", "\n\n"), ("comment.yaml", "# nothing\n")])
def test_empty_python_yaml_toml_files_are_valid(name, content, tmp_path, clean_env):
    """An empty `__init__.py` is in every package: it is a valid (empty) module, not an error."""
    (tmp_path / name).write_text(content)
    proc = _run([name], tmp_path, clean_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""


def test_unexpected_crash_is_one_line(tmp_path, clean_env):
    """Any exception inside check is one `ganlint: internal error:` line and exit 2."""
    code = (
        "import sys, ganlint.reading.project as p\n"
        "def boom(files): raise MemoryError('simulated')\n"
        "p.read_files = boom\n"
        "import ganlint.checking.runner as r; r.read_files = boom\n"
        "from ganlint.cli import main\n"
        "sys.argv = ['ganlint', 'check', 'good.py']\n"
        "main()\n"
    )
    (tmp_path / "good.py").write_text(GOOD)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=clean_env)
    assert proc.returncode == 2
    assert proc.stderr == "ganlint: internal error: MemoryError: simulated\n"
    assert proc.stdout == ""
