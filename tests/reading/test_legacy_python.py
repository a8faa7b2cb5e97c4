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


# a VAE script of the Python 3.5 era: `cuda(async=True)` (a keyword since 3.7) in its training loop,
# otherwise Python 3; one Python 2 print statement and a `<>` left in a helper
PY36_VAE = """\
import argparse
import torch
import torch.nn as nn


class VAE(nn.Module):
    def __init__(self, z_dim=10):
        super(VAE, self).__init__()
        self.enc = nn.Linear(784, 2 * z_dim)
        self.dec = nn.Linear(z_dim, 784)

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-10, 10))
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return self.dec(z), kl


def report(step, loss):
    if step <> 0:
        print 'step %d loss %.3f' % (step, loss)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--lr', default=1e-3, type=float)  # expect GL203
    args = parser.parse_args()
    vae = VAE()
    optimizer = torch.optim.Adam(vae.parameters(), lr=args.lr)
    for x in loader:
        x = x.cuda(async=True)
        recon, kl = vae(x)
        loss = nn.functional.mse_loss(recon, x) + kl
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


def _line(text: str, part: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if part in line)


def test_async_keyword_and_old_statements_are_neutralised_and_the_rest_read(tmp_path):
    r = _run(tmp_path, {"vae_train.py": PY36_VAE})
    found = {(f["code"], f["line"]) for f in json.loads(r.stdout)["findings"]}
    assert found == {("GL203", _line(PY36_VAE, "'--lr'"))}, found  # the lr default, read past the bad lines
    assert r.returncode == 1, r.stderr
    note = [l for l in r.stderr.splitlines() if "info: read partially" in l]
    neq, prt, cuda = (_line(PY36_VAE, p) for p in ("<>", "print '", "async=True"))
    assert len(note) == 1, r.stderr
    assert f"renamed at line {cuda}" in note[0] and f"statements at lines {neq}, {prt} skipped" in note[0], note


def test_neutralised_lines_keep_every_line_number(tmp_path):
    (tmp_path / "m.py").write_text(PY36_VAE)
    res = check_paths([str(tmp_path / "m.py")])
    assert not res.errors and len(res.notes) == 1
    assert {s.key: s.location.line for s in res.facts.settings}.get("lr") == _line(PY36_VAE, "'--lr'")
    assert res.facts.code.network("VAE").location.line == _line(PY36_VAE, "class VAE")


def test_a_plain_typo_beside_an_async_keyword_stays_a_syntax_error(tmp_path):
    text = "import torch\nx = torch.zeros(1).cuda(async=True)\ndef f(:\n    pass\n"
    r = _run(tmp_path, {"bad.py": text})
    assert r.returncode == 2
    assert "bad.py:2: error: syntax error" in r.stderr and "info:" not in r.stderr


def test_an_unclosed_bracket_is_not_neutralised_away(tmp_path):
    text = "import torch\nLR = 1e-3\nx = torch.zeros(1).cuda(async=True\nBATCH = 4\n"
    r = _run(tmp_path, {"bad.py": text})
    assert r.returncode == 2 and "error: syntax error" in r.stderr

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
