"""Optimizer facts: names bound to literals, torch's default lr, roles from the optimizer's own name."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.reading.test_code_networks import facts_of

ROOT = Path(__file__).resolve().parents[2]


def test_betas_and_lr_passed_by_name_read_as_the_literals_they_are_bound_to():
    cf = facts_of('''
        import torch.optim as optim
        lr = 1e-4
        betas = (.9, .99)
        G_optimizer = optim.Adam(generator.parameters(), lr=lr, betas=betas)
    ''')
    (o,) = cf.optimizers
    assert o.kwargs["betas"].literal == (0.9, 0.99) and o.kwargs["betas"].location.line == 4
    assert o.kwargs["lr"].literal == 1e-4 and o.kwargs["lr"].location.line == 3
    assert o.default_lr is None


def test_default_lr_and_role_from_the_optimizer_name():
    cf = facts_of('''
        import torch
        D_solver = torch.optim.Adam(D_params)
        G_solver = torch.optim.SGD(G_params, lr=0.01)
        opt = torch.optim.RMSprop(params)
    ''')
    d, g, o = cf.optimizers
    assert (d.role, d.default_lr) == ("critic", 1e-3)
    assert (g.role, g.default_lr) == ("generator", None)
    assert (o.role, o.default_lr) == (None, 1e-2)


def test_fix_adds_the_lr_the_call_lacked(tmp_path):
    (tmp_path / "train.py").write_text(
        "import torch\nimport torch.nn as nn\n\n"
        "class Generator(nn.Module):\n    pass\n\nclass Discriminator(nn.Module):\n    pass\n\n"
        "G, D = Generator(), Discriminator()\n"
        "opt_g = torch.optim.Adam(G.parameters(), betas=(0.5, 0.999))\n"
        "loss = nn.BCEWithLogitsLoss()\n")
    out = subprocess.run([sys.executable, "-m", "ganlint", "check", "--select", "GL113", "--show-fixes", "train.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert "train.py:11:9: GL113" in out.stdout, out.stdout + out.stderr
    assert "opt_g.lr = 0.001" in out.stdout
    assert "torch.optim.Adam(G.parameters(), betas=(0.5, 0.999), lr=0.0002)" in out.stdout
