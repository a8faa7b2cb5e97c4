"""Programs that are not generative models, in repositories that hold one: a classifier's training script
beside a DCGAN or a VAE (tutorial and example collections), a CIFAR classifier zoo whose class names happen to
end in G2, a job launcher formatting `np.exp(log_std)` into a folder name next to RL hyperparameter files. The
GAN and VAE rules judge only the programs that show their family (in their own code or in the project files
they import or are imported by); a VAE training script whose KL lives in its imported model still counts.

`# expect GLnnn` marks each line where that finding must be reported; the findings of the codes a test names are
exactly the marked lines (projects written in real repositories' styles, not copied from any).
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_CODES = {"GL102", "GL106", "GL111", "GL112", "GL113", "GL203", "GL204", "GL205"}

_DCGAN = """\
import argparse

import torch
import torch.nn as nn


def main(batch_size, learning_rate, beta_1, z_dim):
    netG = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())
    netD = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1), nn.Sigmoid())  # expect GL111
    bce = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=learning_rate, betas=(beta_1, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=learning_rate, betas=(beta_1, 0.999))
    for real in torch.utils.data.DataLoader(torch.rand(256, 784), batch_size=batch_size):
        fake = netG(torch.randn(batch_size, z_dim))
        loss_d = bce(netD(real), torch.ones(batch_size, 1)) + bce(netD(fake.detach()), torch.zeros(batch_size, 1))
        optD.zero_grad()
        loss_d.backward()
        optD.step()
        loss_g = bce(netD(fake), torch.ones(batch_size, 1))
        optG.zero_grad()
        loss_g.backward()
        optG.step()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.0002)
    parser.add_argument("--beta-1", type=float, default=0.5)
    parser.add_argument("--z-dim", type=int, default=100)
    args = parser.parse_args()
    main(batch_size=args.batch_size, learning_rate=args.lr, beta_1=args.beta_1, z_dim=args.z_dim)
"""

_CLASSIFIER = """\
from argparse import ArgumentParser

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import SGD


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def run(batch_size, epochs, lr, momentum):
    train_loader = torch.utils.data.DataLoader(list(zip(torch.rand(256, 784), torch.randint(0, 10, (256,)))),
                                               batch_size=batch_size)
    model = Net()
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    for epoch in range(epochs):
        for data, target in train_loader:
            loss = F.nll_loss(model(data), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    parser = ArgumentParser()
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.5)
    args = parser.parse_args()
    run(args.batch_size, args.epochs, args.lr, args.momentum)
"""


def test_a_classifier_beside_a_dcgan_is_no_gan(tmp_path):
    _, found, expected = _check(tmp_path, {"dcgan.py": _DCGAN, "mnist.py": _CLASSIFIER}, _CODES)
    assert expected and found == expected


_VAE_MODEL = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, z_dim=8):
        super().__init__()
        self.enc = nn.Linear(784, 2 * z_dim)
        self.dec = nn.Linear(z_dim, 784)

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * logvar.clamp(-10, 10)) * torch.randn_like(mu)
        return torch.sigmoid(self.dec(z)), mu, logvar

    def loss_function(self, recon, x, mu, logvar):
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.clamp(-10, 10).exp())
        return F.binary_cross_entropy(recon, x, reduction="sum") + kld
"""

_VAE_TRAIN = """\
import torch
from models.vae import VAE

model = VAE()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # expect GL203
for x in [torch.rand(128, 784)]:
    recon, mu, logvar = model(x)
    loss = model.loss_function(recon, x, mu, logvar)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_a_classifier_beside_a_vae_is_no_vae_and_the_vae_script_still_counts(tmp_path):
    files = {"models/__init__.py": "", "models/vae.py": _VAE_MODEL, "train_vae.py": _VAE_TRAIN,
             "train_classifier.py": _CLASSIFIER}
    _, found, expected = _check(tmp_path, files, _CODES)
    assert expected and found == expected


_ZOO = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.conv(x)


class ShuffleNetG2(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3), Block(16))
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        return self.head(self.body(x).mean((2, 3)))


class SimpleDLA(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), Block(32))
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        return self.head(self.body(x).mean((2, 3)))
"""

_CIFAR_MAIN = """\
import torch
import torch.nn as nn
from models import SimpleDLA

trainloader = torch.utils.data.DataLoader(list(zip(torch.rand(64, 3, 8, 8), torch.randint(0, 10, (64,)))), batch_size=16)
net = SimpleDLA()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
for batch_idx, (inputs, targets) in enumerate(trainloader):
    inputs, targets = inputs.to("cpu"), targets.to("cpu")
    optimizer.zero_grad()
    outputs = net(inputs)
    loss = criterion(outputs, targets)
    loss.backward()
    optimizer.step()
"""


def test_a_classifier_zoo_is_no_gan(tmp_path):
    res, found, _ = _check(tmp_path, {"models.py": _ZOO, "main.py": _CIFAR_MAIN}, _CODES)
    assert not found and not res.facts.families(), res.facts.families()


_LAUNCHER = """\
import subprocess

import numpy as np

for log_std_init in [-2.0, -1.0, 0.0]:
    folder = f"logs_std_{np.exp(log_std_init):.4f}"
    subprocess.run(["python", "train.py", "--log-folder", folder])
"""

_HYPERPARAMS = """\
Pendulum-v1:
  n_envs: 8
  learning_rate: 0.001
  max_grad_norm: 0.5
  batch_size: 32
"""


def test_a_job_launcher_formatting_exp_of_a_log_std_is_no_vae(tmp_path):
    res, found, _ = _check(tmp_path, {"scripts/run_jobs.py": _LAUNCHER, "hyperparams/a2c.yml": _HYPERPARAMS}, _CODES)
    assert not found and "vae" not in res.facts.families()
