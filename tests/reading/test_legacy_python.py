"""Python 2 files: read partially (settings, constants, code), said on stderr, never an error exit."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ganlint.checking.runner import check_paths

ROOT = Path(__file__).resolve().parents[2]

# a WGAN-GP toy script in the Python 2 style: print statements, `except E, e`, an octal literal
PY2_SCRIPT = """\
import os
import torch
import torch.nn as nn

LAMBDA = .1  # gradient penalty weight
CRITIC_ITERS = 2
BATCH_SIZE = 256
MODE = 0777


class Critic(nn.Module):
    def __init__(self):
        super(Critic, self).__init__()
        self.main = nn.Sequential(nn.Linear(2, 64), nn.ReLU(True), nn.Linear(64, 1))

    def forward(self, x):
        return self.main(x)


def show(net):
    print net
    try:
        os.makedirs('out')
    except OSError, e:
        print >>sys.stderr, e

print "done"
"""


def _run(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "ganlint", "check", "--format", "json", *files],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_python2_script_is_read_for_its_constants(tmp_path):
    r = _run(tmp_path, {"wgan_toy.py": PY2_SCRIPT})
    found = {(f["code"], f["line"]) for f in json.loads(r.stdout)["findings"]}
    assert ("GL107", 5) in found  # LAMBDA = .1
    assert ("GL105", 6) in found  # CRITIC_ITERS = 2 in a WGAN-GP
    assert r.returncode == 1  # findings, not an input error
    assert "wgan_toy.py:8: info: read partially as Python 2" in r.stderr
    assert "error" not in r.stderr


def test_python2_read_facts_keep_their_lines(tmp_path):
    (tmp_path / "m.py").write_text(PY2_SCRIPT)
    res = check_paths([str(tmp_path / "m.py")])
    assert not res.errors and len(res.notes) == 1
    critic = res.facts.code.network("Critic")
    assert critic is not None and critic.location.line == 11
    keys = {s.key: s.location.line for s in res.facts.settings}
    assert keys["LAMBDA"] == 5 and keys["BATCH_SIZE"] == 7


def test_unparsable_block_is_left_out_and_named(tmp_path):
    text = "LR = 1e-3\nprint 'x'\ndef broken(:\n    pass\nBATCH_SIZE = 32\n"
    (tmp_path / "m.py").write_text(text)
    res = check_paths([str(tmp_path / "m.py")])
    assert not res.errors
    assert "lines 3 left out" in res.notes[0].message
    assert {s.key for s in res.facts.settings} >= {"LR", "BATCH_SIZE"}


def test_python3_syntax_error_stays_an_error(tmp_path):
    r = _run(tmp_path, {"bad.py": "import torch\nLR = 1e-3\ndef f(:\n    pass\n"})
    assert r.returncode == 2
    assert "bad.py:3: error: syntax error" in r.stderr and "info:" not in r.stderr


def test_a_python2_file_of_many_blocks_is_parsed_in_linear_work(monkeypatch):
    # fuzz input 7054: 30,000 one-line top-level blocks that do not parse took 14 s: each block was parsed
    # behind as many newlines as lines before it (quadratic); now each is parsed alone and moved
    import ast

    from ganlint.reading import legacy_python

    text = "print 'start'\nLR = 1e-3\n" + "".join(f"key_{i} = = {i}\n" for i in range(2000)) + "BATCH_SIZE = 32\n"
    handed = []
    real = ast.parse

    def counting(source, *a, **k):
        handed.append(len(source))
        return real(source, *a, **k)

    monkeypatch.setattr(legacy_python.ast, "parse", counting)
    try:
        real(text)
    except SyntaxError as exc:
        read = legacy_python.read_legacy("m.py", text, exc)
    assert sum(handed) <= 3 * len(text)
    consts = {n.targets[0].id: n.lineno for n in read.tree.body if isinstance(n, ast.Assign)}
    assert consts == {"LR": 2, "BATCH_SIZE": 2003}
    assert len(read.dropped_lines) == 2000 and read.dropped_lines[0] == 3
