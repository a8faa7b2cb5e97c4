"""The code reader's training facts: optimizers, losses, detach, penalties, clipping, schedulers, seeds, data."""
from __future__ import annotations

from tests.reading.test_code_networks import facts_of

NETS = '''
import torch.nn as nn
class Generator(nn.Module):
    pass
class Discriminator(nn.Module):
    pass
'''


def test_optimizers_kwargs_literals_and_config_keys():
    cf = facts_of('''
        import torch
        G = Generator(16)
        opt_g = torch.optim.Adam(G.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
        opt = torch.optim.RMSprop(list(model.parameters()), 1e-3, alpha=self.args['optim_alpha'])
        optimiser = torch.optim.Adam(self.params, lr=self.args['vae_lr'], eps=self.args['optim_eps'])
    ''')
    a, r, v = cf.optimizers
    assert (a.cls, a.var, a.network_var, a.role) == ("Adam", "opt_g", "G", "generator")
    assert a.kwargs["betas"].literal == (0.5, 0.999) and a.kwargs["lr"].ref.key == "lr"
    assert (r.cls, r.network_var, r.kwargs["lr"].literal, r.kwargs["alpha"].ref.key) == ("RMSprop", "model", 1e-3, "optim_alpha")
    assert "betas" not in v.kwargs and v.params_src == "self.params" and v.role is None
    assert a.location.line == 4 and a.location.column == 9


def test_standard_gan_losses_and_undetached_fake():
    cf = facts_of(NETS, '''
        import torch
        import torch.nn as nn
        def main(cfg):
            G = Generator(cfg["z_dim"])
            D = Discriminator(cfg["d_hidden"])
            criterion = nn.BCELoss()
            fake = G(z)
            loss_d = criterion(D(real), ones) + criterion(D(fake), zeros)
            loss_g = torch.log(1 - D(G(z))).mean()
            loss_g2 = criterion(D(fake), ones)
            with torch.no_grad():
                fake_ng = G(z)
            loss_d2 = criterion(D(real), ones) + criterion(D(fake_ng), zeros)
            fake_d = G(z).detach()
            loss_d3 = D(fake_d).mean() - D(real).mean()
    ''')
    assert [(l.kind, l.location.line) for l in cf.losses] == [("bce", 7), ("saturating", 10)]
    assert cf.losses[1].arg_src == "D(G(z))"
    assert [(u.location.line, u.fake_src, u.generated_at.line) for u in cf.undetached_fakes] == [(9, "fake", 8)]
    assert cf.families() == {"gan"}


def test_gradient_penalty_interpolates_create_graph_and_families():
    cf = facts_of('''
        import torch
        from torch.autograd import grad
        def gradient_penalty(critic, real, fake):
            alpha = torch.rand(real.size(0), 1)
            interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            g = torch.autograd.grad(critic(interpolates), interpolates, create_graph=True)[0]
            return ((g.norm(2, dim=1) - 1) ** 2).mean()
        def bad_penalty(critic, real):
            real.requires_grad_(True)
            g = grad(critic(real).sum(), real)[0]
            return ((g.norm(2, dim=1) - 1) ** 2).mean()
        def langevin(E, x):
            g = torch.autograd.grad(E(x).sum(), x)[0]
            return x - 0.1 * g
    ''')
    good, bad, lang = cf.grad_calls
    assert (good.create_graph, good.interpolated, good.is_penalty, good.two_sided) == (True, True, True, True)
    assert (bad.create_graph, bad.create_graph_given, bad.interpolated, bad.is_penalty) == (None, False, False, True)
    assert not lang.is_penalty
    assert cf.families() == {"wgan-gp"}


def test_weight_clipping_grad_clipping_schedulers_and_seeds():
    cf = facts_of('''
        import random
        import numpy as np
        import torch
        torch.manual_seed(0)
        np.random.seed(0)
        for p in critic.parameters():
            p.data.clamp_(-0.01, 0.01)
        x = torch.zeros(3).clamp_(-1, 1)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=cfg["grad_clip"])
        torch.nn.utils.clip_grad_value_(model.parameters(), 0.5)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / 1000))
        for g in opt.param_groups:
            g['lr'] = base_lr * scale
        def linear_warmup(step):
            return min(1.0, step / 100)
    ''')
    assert [(w.location.line, w.value.literal) for w in cf.weight_clips] == [(8, 0.01)]
    assert [(c.kind, c.max_norm.ref.key if c.max_norm.ref else c.max_norm.literal) for c in cf.grad_clips] == [
        ("norm", "grad_clip"), ("value", 0.5)]
    assert [m.kind for m in cf.schedulers] == ["scheduler", "lr-assign", "warmup"]
    assert len(cf.seeds) == 2
    assert "wgan" in cf.families()


def test_random_calls_in_forward_and_data_loading():
    cf = facts_of('''
        import random
        import numpy as np
        import pandas as pd
        import torch
        import torch.nn as nn
        class QuantumNoise(nn.Module):
            def build_circuit(self):
                return random.uniform(-1, 1)
            def forward(self, x):
                return x + np.random.normal(0, 1) + torch.randn_like(x)
        def sample(n):
            return random.random()
        data = np.load("x.npy")
        df = pd.read_csv("x.csv")
        model.load_state_dict(torch.load("ckpt.pt"))
        real = torch.load("points.pt")
    ''')
    assert [(r.kind, r.location.line, r.scope) for r in cf.random_calls] == [
        ("random.uniform", 9, "QuantumNoise.build_circuit"), ("np.random.normal", 11, "QuantumNoise.forward")]
    assert [d.location.line for d in cf.data_loads] == [14, 15, 17]
    assert not cf.normalizations
    norm = facts_of("data = np.load('x.npy')\ndata = (data - data.mean(0)) / data.std(0)\n")
    assert [n.kind for n in norm.normalizations] == ["standardize"]


def test_reader_never_imports_or_executes(tmp_path, monkeypatch):
    import sys
    marker = tmp_path / "ran"
    src = f"import os\nopen({str(marker)!r}, 'w').write('x')\nimport torch\nclass G(torch.nn.Module):\n    pass\n"
    before = set(sys.modules)
    facts_of(src)
    assert not marker.exists()
    assert "torch" not in set(sys.modules) - before


def test_only_data_like_loads_count():
    cf = facts_of('''
        import numpy as np
        import torch
        weights = np.load("w.npy")
        X_train = np.loadtxt("train.csv")
        real = torch.tensor(np.load("points.npy"))
        ds = TensorDataset(torch.from_numpy(np.load("x.npy")))
    ''')
    assert [d.location.line for d in cf.data_loads] == [5, 6, 7]


def test_r1_penalty_is_not_wgan_gp():
    cf = facts_of(NETS, '''
        import torch
        def r1_penalty(d_out, real):
            g = torch.autograd.grad(d_out.sum(), real, create_graph=True)[0]
            return g.pow(2).reshape(g.shape[0], -1).sum(1).mean()
    ''')
    assert cf.penalties and cf.families() == {"gan"}
