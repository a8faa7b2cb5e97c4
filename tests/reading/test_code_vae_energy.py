"""The code reader's VAE and energy facts: exp of log-variance, clamps, KL weights and annealing, InfoNCE."""
from __future__ import annotations

import ast

import pytest

from ganlint.reading.code import read_code
from tests.reading.test_code_networks import facts_of


def test_logvar_exp_uses_and_clamps():
    cf = facts_of('''
        import torch
        def reparam(mu, log_var):
            std = torch.exp(0.5 * log_var)
            return mu + std * torch.randn_like(std)
        def kl(mu, log_var, logvar2):
            a = log_var.exp()
            b = torch.clamp(logvar2.exp(), max=10)
            c = torch.exp(logvar2.clamp(-5, 5))
            return a + b + c
    ''')
    assert [(e.var, e.location.line, e.clamped_inline) for e in cf.logvar_exps] == [
        ("log_var", 4, False), ("log_var", 7, False), ("logvar2", 8, True), ("logvar2", 9, True)]
    assert cf.logvar_exps[0].var_location.column == 27
    assert cf.reparameterisations and cf.families() == {"vae"}
    clamped = facts_of("import torch\ndef f(h):\n    log_var = torch.clamp(self.fc_var(h), -10, 10)\n"
                       "    return self.mu(h), torch.clamp(self.log_var(h), -10.0, 10.0)\n")
    assert clamped.clamped_logvars == {"logvar"}


def test_kl_weights_constant_and_annealed():
    cf = facts_of('''
        import torch
        class Learner:
            def train(self, recons_loss, mu, log_var):
                kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))
                loss = recons_loss + self.args['omg_vae_alpha'] * kld_loss
                loss2 = recons_loss + 0.001 * kld_loss
                kl_weight = min(self.args['omg_vae_alpha'], self.step / self.args['kl_anneal_steps'])
                loss3 = recons_loss + kl_weight * kld_loss
                return loss + loss2 + loss3
    ''')
    assert [m.src for m in cf.kl_terms] == ["kld_loss"]
    consts = [(w.ref.key if w.ref else w.literal, w.annealed) for w in cf.kl_weights]
    assert consts == [("omg_vae_alpha", False), (0.001, False), (None, True)]
    assert [m.src for m in cf.kl_annealing] == ["kl_weight"]


def test_infonce_and_energy_family():
    cf = facts_of('''
        import torch.nn.functional as F
        def loss_fn(E_ij, tau, labels):
            logits = -E_ij / tau
            return F.cross_entropy(logits, labels)
        def classify(x, y):
            return F.cross_entropy(x, y)
    ''')
    assert [m.location.line for m in cf.infonce] == [5]
    assert cf.families() == {"energy"}


@pytest.mark.parametrize("src", [
    "", "x = 1\n", "class A(nn.Module):\n    def forward(self):\n        return\n",
    "def forward(self):\n    return self.missing(x)\n", "f()()()\n", "a[b][c].d(e)(f)\n",
    "class G(nn.Module):\n    def __init__(self, *a, **k):\n        self.x, self.y = nn.Sigmoid(), 3\n",
    "x = " + "(" * 50 + "1" + ")" * 50 + "\n",
    "lambda: torch.sigmoid(x)\nasync def forward(self):\n    await x\n",
])
def test_reader_survives_odd_code(src):
    read_code("odd.py", ast.parse(src), src)


def test_fixture_facts_end_to_end():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "fixtures"
    from ganlint.reading.code.facts import CodeFacts
    fams = {}
    for d in sorted(root.iterdir()):
        if not d.is_dir():
            continue
        cf = CodeFacts()
        for p in sorted(d.glob("*.py")):
            t = p.read_text()
            cf.merge(read_code(str(p), ast.parse(t), t))
        fams[d.name] = cf.families()
    assert fams["wgan_gp_000_broken"] == {"wgan-gp"}
    assert fams["gan_002_broken"] == {"gan"}
    assert fams["vae_003_broken"] == {"vae"}
    assert fams["energy_004_broken"] == {"energy"}
