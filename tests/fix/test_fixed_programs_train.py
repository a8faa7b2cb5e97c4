"""Edits that are right (issue "Verdicts you can trust"): each fix is applied to a small, real training
program written in the style of public GAN/energy code, and the patched program is run with torch to show
it still trains: the generator still receives gradient, the optimizer uses the edited rate, the clip runs
between backward() and step(). Each program prints what it measured as one JSON line."""
from __future__ import annotations

import contextlib
import io
import json
import runpy

import pytest

from ganlint.fix import apply_plan, input_files
from ganlint.fix.planner import make_plan

torch = pytest.importorskip("torch")

NETS = '''import json
import torch
import torch.nn as nn

torch.manual_seed(0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.LeakyReLU(0.2), nn.Linear(16, 2))

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))

    def forward(self, x):
        return self.net(x)


def grad_sum(net):
    return float(sum(p.grad.abs().sum() for p in net.parameters() if p.grad is not None))


generator, discriminator = Generator(), Discriminator()
'''

# eriklindernoren's wgan_gp.py layout: the D step generates and scores the fake batch, the G step generates
# it again. Only the D step's D(fake) is reported and detached.
SEPARATE_STEPS = NETS + '''optimizer_G = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=1e-4, betas=(0.5, 0.9))
leaks, g_grads = [], []
for i in range(5):
    real_imgs = torch.randn(32, 2) + 2.0
    optimizer_G.zero_grad()
    optimizer_D.zero_grad()
    z = torch.randn(32, 4)
    fake_imgs = generator(z)
    real_validity = discriminator(real_imgs)
    fake_validity = discriminator(fake_imgs)
    d_loss = -torch.mean(real_validity) + torch.mean(fake_validity)
    d_loss.backward()
    leaks.append(grad_sum(generator))
    optimizer_D.step()

    optimizer_G.zero_grad()
    fake_imgs = generator(z)
    fake_validity = discriminator(fake_imgs)
    g_loss = -torch.mean(fake_validity)
    g_loss.backward()
    g_grads.append(grad_sum(generator))
    optimizer_G.step()
print(json.dumps({"leak": max(leaks), "g_grad": min(g_grads)}))
'''

# softmax_gan.py's layout: one D(G(z)) feeds both losses (through the partition function Z)
SHARED_OUTPUT = NETS + '''optimizer_G = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=1e-4, betas=(0.5, 0.999))
g_grads = []
for i in range(5):
    real_imgs = torch.randn(32, 2) + 2.0
    optimizer_G.zero_grad()
    optimizer_D.zero_grad()
    gen_imgs = generator(torch.randn(32, 4))
    d_real = discriminator(real_imgs)
    d_fake = discriminator(gen_imgs)
    Z = torch.sum(torch.exp(-d_real)) + torch.sum(torch.exp(-d_fake))
    d_loss = torch.sum(d_real) / 32 + torch.log(Z)
    d_loss.backward(retain_graph=True)
    optimizer_G.zero_grad()
    g_loss = (torch.sum(d_real) + torch.sum(d_fake)) / 64 + torch.log(Z)
    g_loss.backward()
    g_grads.append(grad_sum(generator))
    optimizer_D.step()
    optimizer_G.step()
print(json.dumps({"g_grad": min(g_grads)}))
'''


def _run(path) -> dict:
    """Run the program as a script (in this process: torch is imported once for the whole file)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(path), run_name="__main__")
    return json.loads(out.getvalue().strip().splitlines()[-1])


def _fix(tmp_path, monkeypatch, select: list[str]):
    monkeypatch.chdir(tmp_path)
    plan = make_plan(input_files([str(tmp_path)]), select=select)
    res = apply_plan(plan)
    for path, text in res.new_texts.items():
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return plan, res


def test_detach_only_in_the_discriminator_step(tmp_path, monkeypatch):
    prog = tmp_path / "train.py"
    prog.write_text(SEPARATE_STEPS)
    assert _run(prog)["leak"] > 0  # before: the D step back-propagates into G
    plan, res = _fix(tmp_path, monkeypatch, ["GL115"])
    fixed = prog.read_text()
    assert fixed.count(".detach()") == 1 and "    fake_validity = discriminator(fake_imgs.detach())\n    d_loss" in fixed
    after = _run(prog)
    assert after["leak"] == 0.0  # the D step no longer reaches G
    assert after["g_grad"] > 0.0  # and the G step still does


def test_shared_discriminator_output_is_refused_with_the_reason(tmp_path, monkeypatch):
    prog = tmp_path / "train.py"
    prog.write_text(SHARED_OUTPUT)
    plan, res = _fix(tmp_path, monkeypatch, ["GL115"])
    assert res.new_texts == {} and [f.code for f in plan.findings] == ["GL115"]
    (manual,) = plan.manual
    assert "g_loss" in manual.fix.message and "cut the generator's gradient" in manual.fix.message
    assert manual.fix.safety == "display-only"
    assert _run(prog)["g_grad"] > 0.0


# a module constant nobody reads; the optimizers pass their own literal (role-less: params collected first)
UNREAD_CONSTANT = NETS + '''lr = 1e-3
params_g = list(generator.parameters())
params_d = list(discriminator.parameters())
optimizer_G = torch.optim.Adam(params_g, lr=1e-3, betas=(0.5, 0.999))
optimizer_D = torch.optim.Adam(params_d, lr=1e-3, betas=(0.5, 0.999))
criterion = nn.BCEWithLogitsLoss()
g_grads = []
for i in range(5):
    real = torch.randn(32, 2) + 2.0
    fake = generator(torch.randn(32, 4))
    optimizer_D.zero_grad()
    loss_d = criterion(discriminator(real), torch.ones(32, 1)) + criterion(discriminator(fake.detach()), torch.zeros(32, 1))
    loss_d.backward()
    optimizer_D.step()
    optimizer_G.zero_grad()
    loss_g = criterion(discriminator(fake), torch.ones(32, 1))
    loss_g.backward()
    g_grads.append(grad_sum(generator))
    optimizer_G.step()
print(json.dumps({"lr": [optimizer_G.param_groups[0]["lr"], optimizer_D.param_groups[0]["lr"]], "g_grad": min(g_grads)}))
'''


def test_lr_is_edited_where_the_optimizer_reads_it(tmp_path, monkeypatch):
    prog = tmp_path / "train.py"
    prog.write_text(UNREAD_CONSTANT)
    plan, res = _fix(tmp_path, monkeypatch, ["GL113"])
    assert plan.findings, "the constant is reported"
    fixed = prog.read_text()
    assert "\nlr = 1e-3\n" in fixed  # the constant the optimizers never read is not the edit
    assert fixed.count("lr=0.0002") == 2
    after = _run(prog)
    assert after["lr"] == [2e-4, 2e-4] and after["g_grad"] > 0.0


# an energy model trained at module level (no function to hold a transform): the clip goes between the
# loop's backward() and step(), with no `grad_clip` config key that nothing would read
ENERGY = '''import json
import os
import torch
import torch.nn as nn
import torch.nn.functional as F

with open(os.path.join(os.path.dirname(__file__), "config.json")) as fh:
    cfg = json.load(fh)
torch.manual_seed(0)


class EnergyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Sequential(nn.Linear(6, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))

    def forward(self, h, a):
        return self.head(torch.cat([h, a], -1))


def infonce(model, h, a, tau):
    n = len(h)
    E = model(h.repeat_interleave(n, 0), a.repeat(n, 1)).view(n, n)
    return F.cross_entropy(-E / tau, torch.arange(n))


model = EnergyModel()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
norms = []
for step in range(cfg["steps"]):
    h, a = torch.randn(16, 4) * 10, torch.randn(16, 2) * 10
    loss = infonce(model, h, a, cfg["temperature"])
    opt.zero_grad()
    loss.backward()
    norms.append(float(torch.norm(torch.stack([p.grad.norm() for p in model.parameters()]))))
    opt.step()
print(json.dumps({"max_norm": max(norms)}))
'''


def test_energy_clip_between_backward_and_step(tmp_path, monkeypatch):
    prog = tmp_path / "train.py"
    prog.write_text(ENERGY)
    config = '{\n  "temperature": 0.3,\n  "steps": 5\n}\n'
    (tmp_path / "config.json").write_text(config)
    assert _run(prog)["max_norm"] > 0.3
    plan, res = _fix(tmp_path, monkeypatch, ["GL303"])
    fixed = prog.read_text()
    assert (tmp_path / "config.json").read_text() == config  # no key that nothing reads
    assert ("    loss.backward()\n    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.3)\n"
            "    norms.append(") in fixed
    assert _run(prog)["max_norm"] <= 0.3 + 1e-5  # the clip ran before the step on every iteration


# wgan_div.py's layout: the W-div penalty differentiates D(fake) with respect to the fake batch itself
WDIV = NETS + '''optimizer_G = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=1e-4, betas=(0.5, 0.9))
g_grads = []
for i in range(5):
    real_imgs = (torch.randn(32, 2) + 2.0).requires_grad_(True)
    optimizer_D.zero_grad()
    z = torch.randn(32, 4)
    fake_imgs = generator(z)
    real_validity = discriminator(real_imgs)
    fake_validity = discriminator(fake_imgs)
    real_grad = torch.autograd.grad(real_validity, real_imgs, torch.ones(32, 1), create_graph=True, retain_graph=True)[0]
    fake_grad = torch.autograd.grad(fake_validity, fake_imgs, torch.ones(32, 1), create_graph=True, retain_graph=True)[0]
    div_gp = torch.mean(real_grad.pow(2).sum(1) ** 3 + fake_grad.pow(2).sum(1) ** 3) * 1.0
    d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + div_gp
    d_loss.backward()
    optimizer_D.step()
    optimizer_G.zero_grad()
    fake_imgs = generator(z)
    g_loss = -torch.mean(discriminator(fake_imgs))
    g_loss.backward()
    g_grads.append(grad_sum(generator))
    optimizer_G.step()
print(json.dumps({"g_grad": min(g_grads)}))
'''


def test_detach_refused_where_the_penalty_differentiates_the_fakes(tmp_path, monkeypatch):
    prog = tmp_path / "train.py"
    prog.write_text(WDIV)
    plan, res = _fix(tmp_path, monkeypatch, ["GL115"])
    assert [f.code for f in plan.findings] == ["GL115"] and res.new_texts == {}
    (manual,) = plan.manual
    assert "autograd.grad" in manual.fix.message
    assert _run(prog)["g_grad"] > 0.0  # the program, left as it was, still trains


# document 002's textbook GAN in one file: hidden Sigmoid, D ending in Sigmoid + BCELoss, the saturating
# log(1 - D(G(z))), D(fake) not detached, Adam's default betas, lr 1e-3. Every fix at once must leave a
# program that trains: finite losses, gradient into G in its own step and none from D's.
TEXTBOOK = '''import json
import torch
import torch.nn as nn

torch.manual_seed(0)
batch_size = 64
lr = 1e-3


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.Sigmoid(), nn.Linear(16, 2))

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


def grad_sum(net):
    return float(sum(p.grad.abs().sum() for p in net.parameters() if p.grad is not None))


G, D = Generator(), Discriminator()
opt_g = torch.optim.Adam(G.parameters(), lr=lr)
opt_d = torch.optim.Adam(D.parameters(), lr=lr)
criterion = nn.BCELoss()
ones, zeros = torch.ones(batch_size, 1), torch.zeros(batch_size, 1)
leaks, g_grads, losses = [], [], []
for step in range(5):
    real = torch.randn(batch_size, 2) + 2.0
    z = torch.randn(batch_size, 4)
    fake = G(z)
    opt_g.zero_grad()
    opt_d.zero_grad()
    loss_d = criterion(D(real), ones) + criterion(D(fake), zeros)
    loss_d.backward()
    leaks.append(grad_sum(G))
    opt_d.step()
    opt_g.zero_grad()
    loss_g = torch.log(1 - D(G(z))).mean()
    loss_g.backward()
    g_grads.append(grad_sum(G))
    opt_g.step()
    losses += [float(loss_d), float(loss_g)]
print(json.dumps({"leak": max(leaks), "g_grad": min(g_grads), "finite": all(l == l and abs(l) < 1e6 for l in losses)}))
'''


def test_textbook_gan_still_trains_after_every_fix(tmp_path, monkeypatch):
    prog = tmp_path / "train.py"
    prog.write_text(TEXTBOOK)
    monkeypatch.chdir(tmp_path)
    plan = make_plan(input_files([str(tmp_path)]), unsafe=True)
    res = apply_plan(plan)
    codes = {f.code for f in res.applied}
    assert {"GL001", "GL110", "GL111", "GL112", "GL113", "GL115"} <= codes, codes
    prog.write_text(res.new_texts[str(prog)])
    fixed = prog.read_text()
    assert "nn.Sigmoid()" not in fixed and "BCEWithLogitsLoss()" in fixed and "D(fake.detach())" in fixed
    after = _run(prog)
    assert after["finite"] and after["leak"] == 0.0 and after["g_grad"] > 0.0
