"""Seed projects for the fuzzers: the repository's fixtures plus small projects written here in the styles
public training code uses (argparse defaults, Hydra defaults lists, dataclass configs, JSON/TOML configs,
[tool.ganlint] options). Each project is {relative path: text}."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DCGAN_ARGPARSE = {
    "main.py": '''"""DCGAN on 28x28 images, the way the classic example scripts are laid out."""
import argparse

import torch
import torch.nn as nn
import torch.optim as optim

parser = argparse.ArgumentParser()
parser.add_argument("--batchSize", type=int, default=16, help="input batch size")
parser.add_argument("--nz", type=int, default=2, help="size of the latent z vector")
parser.add_argument("--lr", type=float, default=0.001, help="learning rate, default=0.001")
parser.add_argument("--beta1", type=float, default=0.9, help="beta1 for adam")
parser.add_argument("--niter", type=int, default=25)
opt = parser.parse_args()


class Generator(nn.Module):
    def __init__(self, nz):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, 64, 7, 1, 0, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(True),
            nn.ConvTranspose2d(64, 1, 4, 4, 0, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(64, 1, 14, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        return self.main(x).view(-1, 1)


netG, netD = Generator(opt.nz), Discriminator()
criterion = nn.BCELoss()
optimizerD = optim.Adam(netD.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
for epoch in range(opt.niter):
    real = torch.randn(opt.batchSize, 1, 28, 28)
    noise = torch.randn(opt.batchSize, opt.nz, 1, 1)
    fake = netG(noise)
    errD = criterion(netD(real), torch.ones(opt.batchSize, 1)) + criterion(netD(fake), torch.zeros(opt.batchSize, 1))
    optimizerD.zero_grad()
    errD.backward()
    optimizerD.step()
    errG = torch.log(1 - netD(fake)).mean()
    optimizerG.zero_grad()
    errG.backward()
    optimizerG.step()
''',
}

WGAN_GP_HYDRA = {
    "conf/config.yaml": '''defaults:
  - model: mlp
  - _self_

# training
trainer:
  max_steps: 20000
  batch_size: 16   # per device
optim:
  lr: 1.0e-3
  betas: [0.9, 0.999]
loss:
  name: wgan-gp
  lambda_gp: 10
  n_critic: 1
seed: 0
''',
    "conf/model/mlp.yaml": '''# network widths
z_dim: 2
g_hidden: [256, 256]
d_hidden: [64, 64]
activation: sigmoid
''',
    "train.py": '''import hydra
import torch
from omegaconf import DictConfig


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grad = torch.autograd.grad(critic(mixed).sum(), mixed)[0]
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


@hydra.main(config_path="conf", config_name="config")
def main(cfg: DictConfig):
    gen = torch.nn.Sequential(torch.nn.Linear(cfg.model.z_dim, 256), torch.nn.Sigmoid(), torch.nn.Linear(256, 2))
    critic = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.Sigmoid(), torch.nn.Linear(64, 1))
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.optim.lr)
    opt_d = torch.optim.Adam(critic.parameters(), lr=cfg.optim.lr)
    for step in range(cfg.trainer.max_steps):
        for _ in range(cfg.loss.n_critic):
            real = torch.randn(cfg.trainer.batch_size, 2)
            fake = gen(torch.randn(cfg.trainer.batch_size, cfg.model.z_dim)).detach()
            loss_d = critic(fake).mean() - critic(real).mean() + cfg.loss.lambda_gp * gradient_penalty(critic, real, fake)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        loss_g = -critic(gen(torch.randn(cfg.trainer.batch_size, cfg.model.z_dim))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()


if __name__ == "__main__":
    main()
''',
}

VAE_DATACLASS = {
    "config.py": '''from dataclasses import dataclass, field


@dataclass
class TrainConfig:
    learning_rate: float = 1e-2
    batch_size: int = 128
    latent_dim: int = 32
    kl_weight: float = 1e-4
    hidden_dims: list = field(default_factory=lambda: [512, 256])
    epochs: int = 50


CONFIG = TrainConfig()
''',
    "vae.py": '''import torch
import torch.nn as nn
import torch.nn.functional as F

from config import CONFIG


class VAE(nn.Module):
    def __init__(self, in_dim=784, latent_dim=CONFIG.latent_dim):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(in_dim, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU())
        self.fc_mu = nn.Linear(256, latent_dim)
        self.fc_var = nn.Linear(256, latent_dim)
        self.dec = nn.Sequential(nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, in_dim))

    def reparameterize(self, mu, log_var):
        std = torch.exp(0.5 * log_var)
        return mu + std * torch.randn_like(std)

    def forward(self, x):
        h = self.enc(x)
        mu, log_var = self.fc_mu(h), self.fc_var(h)
        return self.dec(self.reparameterize(mu, log_var)), mu, log_var


def loss_function(recon, x, mu, log_var):
    recons = F.mse_loss(recon, x)
    kld = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))
    return recons + CONFIG.kl_weight * kld


model = VAE()
optimizer = torch.optim.Adam(model.parameters(), lr=CONFIG.learning_rate)
for epoch in range(CONFIG.epochs):
    x = torch.rand(CONFIG.batch_size, 784)
    recon, mu, log_var = model(x)
    loss = loss_function(recon, x, mu, log_var)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
''',
}

WGAN_CLIP_JSON = {
    "config.json": '''{
  "model": {"z_dim": 8, "g_hidden": [128, 128], "d_hidden": [32, 32]},
  "train": {"lr": 0.01, "batch_size": 32, "n_critic": 2, "clip_value": 0.5, "steps": 10000},
  "optimizer": "RMSprop",
  "comment": "weight clipping, as in the original WGAN paper"
}
''',
    "wgan.py": '''import json

import torch
import torch.nn as nn

with open("config.json") as fh:
    cfg = json.load(fh)
G = nn.Sequential(nn.Linear(cfg["model"]["z_dim"], 128), nn.ReLU(), nn.Linear(128, 2))
D = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 1))
opt_g = torch.optim.RMSprop(G.parameters(), lr=cfg["train"]["lr"])
opt_d = torch.optim.RMSprop(D.parameters(), lr=cfg["train"]["lr"])
for step in range(cfg["train"]["steps"]):
    for _ in range(cfg["train"]["n_critic"]):
        real = torch.randn(cfg["train"]["batch_size"], 2)
        fake = G(torch.randn(cfg["train"]["batch_size"], cfg["model"]["z_dim"]))
        loss_d = D(fake).mean() - D(real).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        for p in D.parameters():
            p.data.clamp_(-cfg["train"]["clip_value"], cfg["train"]["clip_value"])
    loss_g = -D(G(torch.randn(cfg["train"]["batch_size"], cfg["model"]["z_dim"]))).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
''',
}

ENERGY_PYPROJECT = {
    "pyproject.toml": '''[project]
name = "ebm-demo"
version = "0.1.0"

[tool.ganlint]
select = ["GL1", "GL3"]
ignore = ["GL106"]
fail-on = "warning"

[tool.ganlint.rules.GL104]
max_lr = 3e-4
proposed = 1e-4

[tool.ganlint.rules.GL302]
min_tau = 0.05
''',
    "settings.toml": '''# energy model trained with in-batch InfoNCE
[energy]
lr = 1e-3
temperature = 0.5
batch_size = 64
hidden = [128, 128]

[schedule]
warmup_steps = 0
''',
    "ebm.py": '''import torch
import torch.nn as nn
import torch.nn.functional as F


class EnergyNet(nn.Module):
    def __init__(self, dim=16, hidden=128):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return torch.sigmoid(self.body(x))


def info_nce(energy, pos, neg, temperature=0.5):
    logits = torch.cat([-energy(pos), -energy(neg)], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(len(pos), dtype=torch.long))


model = EnergyNet()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(1000):
    loss = info_nce(model, torch.randn(64, 16), torch.randn(64, 16))
    opt.zero_grad()
    loss.backward()
    opt.step()
''',
}

OWN_SEEDS = {
    "dcgan_argparse": DCGAN_ARGPARSE,
    "wgan_gp_hydra": WGAN_GP_HYDRA,
    "vae_dataclass": VAE_DATACLASS,
    "wgan_clip_json": WGAN_CLIP_JSON,
    "energy_pyproject": ENERGY_PYPROJECT,
}


def fixture_projects() -> dict[str, dict[str, str]]:
    """The repository's fixture projects, without their expected.toml (the test oracle, not user input)."""
    out: dict[str, dict[str, str]] = {}
    for folder in sorted((ROOT / "fixtures").iterdir()):
        if folder.is_dir():
            files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())
                     if p.is_file() and p.name != "expected.toml"}
            if files:
                out[f"fixture_{folder.name}"] = files
    return out


def all_projects() -> dict[str, dict[str, str]]:
    return {**OWN_SEEDS, **fixture_projects()}
