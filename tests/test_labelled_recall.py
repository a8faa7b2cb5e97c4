"""benchmarks/labelled_recall.py: scores a real `ganlint check` run against labels (own tiny fixture)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "labelled_recall.py"

# A standard GAN whose discriminator ends in a Sigmoid and is trained with BCELoss (GL111 on line 15),
# Adam without betas twice (GL112 on lines 20 and 21).
_GAN = """import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 2), nn.Tanh())


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1),
                                 nn.Sigmoid())


G, D = Generator(), Discriminator()
criterion = nn.BCELoss()
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4)
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4)
d_loss = criterion(D(x), torch.ones(64, 1))
"""

_LABELS = """repo = "someone+toy"
set = "A"
[projects]
toy = ["gan.py"]

[[label]]
project = "toy"
file = "gan.py"
code = "GL111"
lines = [[15, 15], [19, 19]]
why = "Sigmoid + BCELoss"

[[label]]
project = "toy"
file = "gan.py"
code = "GL112"
lines = [20, 20]
why = "Adam without betas"

[[label]]
project = "toy"
file = "gan.py"
code = "GL102"
lines = [11, 15]
why = "a label ganlint cannot meet here (the critic is as wide as G): must show up as a miss"

[[silent]]
project = "toy"
file = "gan.py"
code = "GL112"
lines = [21, 21]
why = "deliberately wrong silent entry so that the real finding there counts as a false positive"
"""


def _run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--ganlint", str(Path(sys.executable).parent / "ganlint"),
                           "--labels", str(tmp_path / "labels"), *extra],
                          capture_output=True, text=True, timeout=120)


def test_scores_a_real_check_run(tmp_path):
    (tmp_path / "public" / "someone+toy").mkdir(parents=True)
    (tmp_path / "public" / "someone+toy" / "gan.py").write_text(_GAN)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "someone+toy.toml").write_text(_LABELS)
    out = tmp_path / "result.json"
    proc = _run(tmp_path, "--public-root", str(tmp_path / "public"), "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["per_set"]["A"]["labels"] == 3
    assert res["per_set"]["A"]["tp"] == 2            # GL111 and the generator's GL112
    assert [m["code"] for m in res["misses"]] == ["GL102"]
    fps = [(f["kind"], f["code"], f["line"]) for f in res["false_positives"]]
    assert fps == [("silent", "GL112", 21)]
    assert "GL102" in proc.stdout and "0.67" in proc.stdout   # recall 2/3 printed


def test_skips_without_public_checkouts(tmp_path):
    (tmp_path / "labels").mkdir()
    proc = _run(tmp_path, "--public-root", str(tmp_path / "absent"))
    assert proc.returncode == 0
    assert "skipped" in proc.stdout and "absent" in proc.stdout
