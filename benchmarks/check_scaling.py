#!/usr/bin/env python3
"""Does `ganlint check` stay linear in the size of one Python file? Time per MB at growing sizes.

For each shape of generated, realistic training code (below), a file of 128, 256, 512, 1024 and 2048 KB is
written and checked by `ganlint check FILE` in a subprocess: the child's CPU time (best of --runs), minus
the start-up (checking a 3-line file), per MB of input. Linear behaviour shows as a flat s/MB row; the
"ratio" column is the largest size's s/MB over the smallest's (1.0 = linear; 2.0 = the per-MB cost doubled
over a 16x larger file), and "1 MB" is the whole CPU time of checking the 1 MB file, start-up included
(budget: 2 s). A size that runs past --timeout is printed as "> T s" and the shape's larger sizes are
skipped. CPU time, not wall time: on a shared machine a busy neighbour must not read as superlinear.

Shapes (each repeats a unit with fresh names, so nothing is a verbatim duplicate):
- scripts: whole real-style training scripts (WGAN-GP, a Sigmoid+BCELoss GAN, a VAE; models, losses, optimizers,
  loops) one after another, with the findings real code of that kind gets;
- classes: many small nn.Module classes (generators and discriminators) and their constructions;
- long_function: one training function whose loop body keeps growing, assigning the same names again;
- calls: module-level calls: optimizers, losses, tensor factories, prints;
- nesting: nested if/for/with blocks 12 deep, repeated;
- literals: long list and string literals (data tables, docstrings) between a little code;
- bce_gan: discriminators ending in Sigmoid trained with BCELoss (findings on every unit).

    python benchmarks/check_scaling.py [--sizes 128,256,512,1024,2048] [--shapes scripts,calls] [--timeout 60]

Prints a table; exits 0 (it measures, it does not judge).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script(i: int) -> str:
    return f'''
class Generator{i}(nn.Module):
    def __init__(self, z_dim, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, z):
        return self.net(z)


class Critic{i}(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x)


def gradient_penalty_{i}(critic, real, fake):
    alpha = torch.rand(real.size(0), 1)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grads = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)[0]
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


def train_{i}(cfg, steps=1000):
    torch.manual_seed({i})
    gen = Generator{i}(cfg["z_dim"], cfg["hidden"])
    critic = Critic{i}(cfg["hidden"])
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg["lr"], betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(critic.parameters(), lr=cfg["lr"], betas=(0.5, 0.9))
    for step in range(steps):
        for _ in range(cfg["n_critic"]):
            real = torch.randn(cfg["batch_size"], 2)
            fake = gen(torch.randn(cfg["batch_size"], cfg["z_dim"])).detach()
            loss_d = critic(fake).mean() - critic(real).mean()
            loss_d = loss_d + 10.0 * gradient_penalty_{i}(critic, real, fake)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        loss_g = -critic(gen(torch.randn(cfg["batch_size"], cfg["z_dim"]))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if step % 100 == 0:
            print(f"step {{step}}: d={{loss_d.item():.3f}} g={{loss_g.item():.3f}}")
'''


def _gan_script(i: int) -> str:
    return f'''
class NetG{i}(nn.Module):
    def __init__(self, nz=100):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(nz, 256), nn.ReLU(True), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.main(z)


class NetD{i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2, inplace=True), nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, x):
        return self.main(x)


def run_gan_{i}(loader, epochs=5, nz=100):
    netG, netD = NetG{i}(nz), NetD{i}()
    criterion = nn.BCELoss()
    optimizerD = optim.Adam(netD.parameters(), lr=0.0002)
    optimizerG = optim.Adam(netG.parameters(), lr=0.0002)
    for epoch in range(epochs):
        for real, _ in loader:
            b = real.size(0)
            output = netD(real.view(b, -1))
            errD_real = criterion(output, torch.ones(b, 1))
            fake = netG(torch.randn(b, nz))
            errD_fake = criterion(netD(fake.detach()), torch.zeros(b, 1))
            optimizerD.zero_grad()
            (errD_real + errD_fake).backward()
            optimizerD.step()
            errG = criterion(netD(fake), torch.ones(b, 1))
            optimizerG.zero_grad()
            errG.backward()
            optimizerG.step()
'''


def _vae_script(i: int) -> str:
    return f'''
class VAE{i}(nn.Module):
    def __init__(self, latent_dim=20):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc_mu = nn.Linear(400, latent_dim)
        self.fc_logvar = nn.Linear(400, latent_dim)
        self.fc3 = nn.Linear(latent_dim, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        return mu + torch.randn_like(std) * std

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def vae_loss_{i}(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + 0.001 * kld


def run_vae_{i}(loader, epochs=10):
    model = VAE{i}()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        for data, _ in loader:
            recon, mu, logvar = model(data)
            loss = vae_loss_{i}(recon, data, mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
'''


def _scripts(i: int) -> str:
    """WGAN-GP, standard GAN (Sigmoid + BCELoss, default Adam betas) and VAE scripts in turn: findings too."""
    return (_script, _gan_script, _vae_script)[i % 3](i)


def _classes(i: int) -> str:
    return f'''
class Block{i}(nn.Module):
    def __init__(self, width={64 + i % 7}):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        return self.act(self.fc(x)) + x


class Generator{i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 64), Block{i}(64), nn.Linear(64, 2))

    def forward(self, z):
        return self.net(z)


class Discriminator{i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 64), Block{i}(64), nn.Linear(64, 1))

    def forward(self, x):
        return self.net(x)


netG{i} = Generator{i}()
netD{i} = Discriminator{i}()
'''


def _long_function_head() -> str:
    return "def train(cfg, gen, critic, opt_g, opt_d, loader):\n    for step, real in enumerate(loader):\n"


def _long_function(i: int) -> str:
    """One more stage of a long loop body: the same variable names are assigned again and again."""
    return f'''        z = torch.randn(real.size(0), cfg["z_dim"]) * {1 + i % 5}
        fake = gen(z)
        loss_d = critic(fake.detach()).mean() - critic(real).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = -critic(fake).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        stats = {{"d": loss_d.item(), "g": loss_g.item(), "step": step, "stage": {i}}}
        if step % {i + 10} == 0:
            print(stats)
'''


def _calls(i: int) -> str:
    return f'''opt_{i} = torch.optim.Adam(model_{i % 13}.parameters(), lr={1e-4 * (1 + i % 9):.5f}, betas=(0.5, 0.999))
loss_fn_{i} = nn.MSELoss(reduction="mean")
noise_{i} = torch.randn(64, {16 + i % 5}, device=device)
out_{i} = F.leaky_relu(torch.matmul(noise_{i}, weight_{i % 11}), negative_slope=0.2)
print("unit", {i}, out_{i}.shape, loss_fn_{i}(out_{i}, target_{i % 3}).item())
'''


def _nesting(i: int) -> str:
    lines, ind = [f"def nested_{i}(cfg, model, loader, opt):"], "    "
    for d in range(12):
        kind = d % 3
        if kind == 0:
            lines.append(f"{ind}if cfg.get('level{d}', True):")
        elif kind == 1:
            lines.append(f"{ind}for item{d} in loader:")
        else:
            lines.append(f"{ind}with torch.no_grad():" if d == 2 else f"{ind}while opt.state is not None:")
        ind += "    "
    lines += [f"{ind}loss = model(item1).mean() * {i + 1}", f"{ind}opt.zero_grad()", f"{ind}loss.backward()",
              f"{ind}opt.step()", f"{ind}break", ""]
    return "\n".join(lines) + "\n"


def _literals(i: int) -> str:
    rows = ",\n    ".join(f"[{i}.{k}, {k * 0.125:.3f}, {(i * k) % 97}, 'label_{k}']" for k in range(30))
    doc = " ".join(f"word{k}" for k in range(120))
    return f'''
TABLE_{i} = [
    {rows},
]
NOTES_{i} = """{doc}"""
means_{i} = torch.tensor([row[:2] for row in TABLE_{i}])
'''


def _bce_gan(i: int) -> str:
    return f'''
class G{i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, z):
        return self.net(z)


class D{i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


criterion_{i} = nn.BCELoss()
'''


_HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\nimport torch.optim as optim\n"
SHAPES = {
    "scripts": ("", _scripts),
    "classes": ("", _classes),
    "long_function": (_long_function_head(), _long_function),
    "calls": ("", _calls),
    "nesting": ("", _nesting),
    "literals": ("", _literals),
    "bce_gan": ("", _bce_gan),
}


def generate(shape: str, kb: int) -> str:
    """A file of `shape` units, about `kb` KB (whole units, never less than asked)."""
    head, unit = SHAPES[shape]
    parts, size, i = [_HEAD, head], len(_HEAD) + len(head), 0
    while size < kb * 1024:
        u = unit(i)
        parts.append(u)
        size += len(u)
        i += 1
    return "".join(parts)


def time_check(path: Path, runs: int, timeout: float) -> tuple[float | None, int | None, str]:
    """Least CPU time (user + system, of the child) of `ganlint check path` over `runs` runs, None past
    the timeout; its exit code and last stderr line. CPU time, not wall time: the machines this runs on are
    shared, and a busy neighbour must not read as superlinear."""
    best, rc, err = None, None, ""
    cmd = [sys.executable, "-m", "ganlint", "check", str(path)]  # the temp folder has no pyproject.toml
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode cache: measure that
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            proc = subprocess.run(cmd, cwd=path.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  timeout=timeout, text=True, env=env)
        except subprocess.TimeoutExpired:
            return None, None, ""
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = t if best is None else min(best, t)
        rc, err = proc.returncode, (proc.stderr.strip().splitlines() or [""])[-1]
    return best, rc, err


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="128,256,512,1024,2048", help="KB, comma-separated")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated: " + ", ".join(SHAPES))
    ap.add_argument("--runs", type=int, default=1, help="best of N runs per size")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per run; larger sizes are skipped")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    shapes = [s for s in args.shapes.split(",") if s]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        ap.error(f"unknown shape(s): {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="ganlint-scaling-") as tmp:
        empty = Path(tmp) / "empty.py"
        empty.write_text(_HEAD, encoding="utf-8")
        startup = time_check(empty, max(3, args.runs), args.timeout)[0] or 0.0
    print(f"ganlint check, one file per run, CPU time, best of {args.runs}; seconds per MB at each size, after "
          f"subtracting the {startup:.2f} s of checking a 3-line file (start-up)")
    print(f"{'shape':<14}" + "".join(f"{str(s) + ' KB':>10}" for s in sizes) + f"{'ratio':>7}{'1 MB':>8}")
    with tempfile.TemporaryDirectory(prefix="ganlint-scaling-") as tmp:
        for shape in shapes:
            cells, per_mb, one_mb = [], [], None
            for kb in sizes:
                text = generate(shape, kb)
                path = Path(tmp) / f"{shape}_{kb}.py"
                path.write_text(text, encoding="utf-8")
                real_mb = len(text.encode()) / 2**20
                t, rc, err = time_check(path, args.runs, args.timeout)
                path.unlink()
                if t is None:
                    cells.append(f"> {args.timeout:.0f} s")
                    break
                if rc not in (0, 1):
                    cells.append(f"rc={rc}")
                    print(f"  {shape} {kb} KB: exit {rc}: {err}", file=sys.stderr)
                    continue
                per_mb.append(max(t - startup, 0.0) / real_mb)
                cells.append(f"{per_mb[-1]:.2f}")
                if kb == 1024:
                    one_mb = t
            cells += [""] * (len(sizes) - len(cells))
            ratio = f"{per_mb[-1] / per_mb[0]:.2f}" if len(per_mb) == len(sizes) and per_mb[0] > 0 else "-"
            whole = f"{one_mb:.2f}" if one_mb is not None else "-"
            print(f"{shape:<14}" + "".join(f"{c:>10}" for c in cells) + f"{ratio:>7}{whole:>8}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
