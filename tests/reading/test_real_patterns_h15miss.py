"""H15's misses, as patterns real repositories use (not copied from any): a SimCLR run whose YAML keeps the
contrastive run's settings under `pretrain:` (its InfoNCE temperature read by the training script as
`cfg['pretrain'].get('temperature')`). Near misses stay silent: a temperature inside the range there, a
pretrain section's temperature in a project with no InfoNCE loss, a temperature under an evaluation section.

`# expect GLnnn` marks each line where that finding must be reported, and the findings of the codes a test
names are exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

_SIMCLR_YAML = """\
data:
  dataset: stl10
  image_size: 96
pretrain:
  optimizer: adam
  learning_rate: 0.0003
  epochs: 100
  batch_size: 256
  temperature: {tau}{mark}
  n_views: 2
evaluation:
  linear_probe:
    epochs: 100
    temperature: 0.05
"""

_SIMCLR_PY = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml


def info_nce_loss(features, batch_size, n_views, temperature):
    labels = torch.cat([torch.arange(batch_size) for _ in range(n_views)], dim=0)
    labels = (labels.unsqueeze(0) == labels.unsqueeze(1)).float()
    features = F.normalize(features, dim=1)
    similarity = torch.matmul(features, features.T)
    mask = torch.eye(labels.shape[0], dtype=torch.bool)
    labels = labels[~mask].view(labels.shape[0], -1)
    similarity = similarity[~mask].view(similarity.shape[0], -1)
    positives = similarity[labels.bool()].view(labels.shape[0], -1)
    negatives = similarity[~labels.bool()].view(similarity.shape[0], -1)
    logits = torch.cat([positives, negatives], dim=1)
    targets = torch.zeros(logits.shape[0], dtype=torch.long)
    logits = logits / temperature
    return F.cross_entropy(logits, targets)


def main(config_path, model, loader):
    with open(config_path) as f:
        cfg = yaml.safe_load(f)
    pretrain_cfg = cfg['pretrain']
    temperature = float(pretrain_cfg.get('temperature', 0.5))
    optimizer = torch.optim.Adam(model.parameters(), lr=pretrain_cfg['learning_rate'])
    for epoch in range(pretrain_cfg['epochs']):
        for views, _ in loader:
            x = torch.cat(views, dim=0)
            features = model(x)
            loss = info_nce_loss(features, x.shape[0] // 2, 2, temperature)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
"""

_VAE_PY = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml


class VAE(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.enc = nn.Linear(784, 2 * z_dim)
        self.dec = nn.Linear(z_dim, 784)

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return torch.sigmoid(self.dec(z)), mu, logvar


def main(config_path, loader):
    with open(config_path) as f:
        cfg = yaml.safe_load(f)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=cfg['pretrain']['learning_rate'])
    for x, _ in loader:
        recon, mu, logvar = model(x)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = F.binary_cross_entropy(recon, x, reduction='sum') + kl
        opt.zero_grad()
        loss.backward()
        opt.step()
"""


def test_pretrain_section_temperature_of_a_simclr_run_is_reported(tmp_path):
    files = {"configs/base.yaml": _SIMCLR_YAML.format(tau="0.07", mark="  # expect GL302"), "simclr.py": _SIMCLR_PY}
    _, found, expected = _check(tmp_path, files, {"GL302"})
    assert expected and found == expected


def test_pretrain_section_temperature_inside_the_range_is_silent(tmp_path):
    files = {"configs/base.yaml": _SIMCLR_YAML.format(tau="0.2", mark=""), "simclr.py": _SIMCLR_PY}
    _, found, expected = _check(tmp_path, files, {"GL302"})
    assert not expected and found == set()


def test_pretrain_section_temperature_without_an_infonce_loss_is_silent(tmp_path):
    files = {"configs/base.yaml": _SIMCLR_YAML.format(tau="0.07", mark=""), "vae.py": _VAE_PY}
    _, found, expected = _check(tmp_path, files, {"GL302"})
    assert not expected and found == set()


# a PCD energy-model package: the model samples its own fantasy particles, an sklearn-style estimator builds
# its optimizer on the network it constructs, and a plain train() takes the network as an annotated parameter
# and builds Adam itself when no optimizer is passed
_EBM_MODEL = """\
import torch
import torch.nn as nn


class {cls}(nn.Module):
    def __init__(self, num_inputs, num_units=16):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(num_inputs, num_units), nn.Softplus(), nn.Linear(num_units, 1))

    def forward(self, x):
        return self.body(x).squeeze(-1)

    def sample_from_prior(self, n, device=None):
        return torch.randn(n, self.body[0].in_features, device=device)
"""

_EBM_ESTIMATOR = """\
import torch.optim as optim

from pkg.model import {cls}


class Estimator:
    def __init__(self, lr=1e-3):
        self.lr = lr

    def fit(self, X, n_steps=100):
        self.net_ = {cls}(X.shape[1])
        self.optimizer = optim.Adam(self.net_.parameters(), lr=self.lr)
        for _ in range(n_steps):
            fantasy = self.net_.sample_from_prior(X.shape[0])
            self.optimizer.zero_grad()
            objective = self.net_(X).mean() - self.net_(fantasy).mean()
            objective.backward()
            self.optimizer.step()
        return self
"""

_EBM_LOOP = """\
import torch
import torch.optim as optim
import torch.utils.data as data

from pkg.model import {cls}


def train(
    net: {cls},
    dataset: data.Dataset,
    num_epochs=10,
    lr=1e-2,
    optimizer=None,
):
    if optimizer is None:
        optimizer = optim.Adam(net.parameters(), lr=lr, weight_decay=1e-3){mark}
{schedule}    loader = data.DataLoader(dataset, batch_size=100, shuffle=True)
    for epoch in range(num_epochs):
        for (batch,) in loader:
            fantasy = net.sample_from_prior(batch.shape[0])
            net.zero_grad()
            objective = net(batch).mean() - net(fantasy).mean()
            objective.backward()
            optimizer.step()
{step}"""

_WARMUP = "    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 1000))\n"


def _ebm_package(cls="EnergyModel", mark="", schedule="", step=""):
    return {
        "pkg/__init__.py": "",
        "pkg/model.py": _EBM_MODEL.format(cls=cls),
        "pkg/api.py": _EBM_ESTIMATOR.format(cls="EnergyModel") + "\n\nclass Other:\n    pass\n",
        "pkg/training_loop.py": _EBM_LOOP.format(cls=cls, mark=mark, schedule=schedule, step=step),
    }


def test_train_function_on_an_annotated_energy_net_building_its_own_adam_is_reported(tmp_path):
    files = _ebm_package(mark="  # expect GL304")
    files["pkg/api.py"] = files["pkg/api.py"].replace(
        "self.optimizer = optim.Adam(self.net_.parameters(), lr=self.lr)",
        "self.optimizer = optim.Adam(self.net_.parameters(), lr=self.lr)  # expect GL304")
    _, found, expected = _check(tmp_path, files, {"GL304"})
    assert len(expected) == 2 and found == expected


def test_train_function_with_a_warmup_scheduler_is_silent(tmp_path):
    files = _ebm_package(schedule=_WARMUP, step="            warmup.step()\n")
    files["pkg/api.py"] = files["pkg/api.py"].replace(
        "self.optimizer = optim.Adam(self.net_.parameters(), lr=self.lr)",
        "self.optimizer = optim.Adam(self.net_.parameters(), lr=self.lr)  # expect GL304")
    _, found, expected = _check(tmp_path, files, {"GL304"})
    assert ("GL304", "training_loop.py", 16) not in found and found == expected


# a WGAN-GP loop whose critic terms detach the fake but whose gradient-penalty helper mixes the undetached
# fake into its interpolates (`D(interpolates)` then runs the penalty's backward into the generator)
_GP_LOOP = """\
import torch


def compute_gradient_penalty(discriminator, real_samples, fake_samples):
    alpha = torch.rand(real_samples.size(0), 1, 1, 1, device=real_samples.device)
    interpolates = {mix}
{rebind}    d_interpolates = discriminator(interpolates)[0]
    gradients = torch.autograd.grad(
        outputs=d_interpolates,
        inputs=interpolates,
        grad_outputs=torch.ones_like(d_interpolates),
        create_graph=True,
        retain_graph=True,
    )[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


def train_loop(generator, discriminator, optimizer_G, optimizer_D, loader, n_critic, lambda_gp, latent_dim):
    for epoch in range(10):
        for i, (real_imgs,) in enumerate(loader):
            for _ in range(n_critic):
                optimizer_D.zero_grad()
                z = torch.randn(real_imgs.size(0), latent_dim)
                gen_imgs = generator(z)
                d_real = discriminator(real_imgs)[0]
                d_fake = discriminator(gen_imgs.detach())[0]
                gradient_penalty = lambda_gp * compute_gradient_penalty(discriminator, real_imgs, {passed}){mark}
                d_loss = -torch.mean(d_real) + torch.mean(d_fake) + gradient_penalty
                d_loss.backward()
                optimizer_D.step()
            optimizer_G.zero_grad()
            gen_imgs = generator(torch.randn(real_imgs.size(0), latent_dim))
            g_loss = -torch.mean(discriminator(gen_imgs)[0])
            g_loss.backward()
            optimizer_G.step()
"""
_MIX = "(alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)"


def _gp(mix=_MIX, rebind="", passed="gen_imgs", mark=""):
    return {"trainer.py": _GP_LOOP.format(mix=mix, rebind=rebind, passed=passed, mark=mark)}


def test_gradient_penalty_helper_mixing_the_undetached_fake_is_reported(tmp_path):
    _, found, expected = _check(tmp_path, _gp(mark="  # expect GL115"), {"GL115"})
    assert expected and found == expected


def test_gradient_penalty_on_a_detached_fake_is_silent(tmp_path):
    _, found, expected = _check(tmp_path, _gp(passed="gen_imgs.detach()"), {"GL115"})
    assert not expected and found == set()


def test_gradient_penalty_helper_mixing_the_fakes_data_is_silent(tmp_path):
    _, found, expected = _check(tmp_path, _gp(mix="alpha * real_samples.data + (1 - alpha) * fake_samples.data"), {"GL115"})
    assert not expected and found == set()


def test_gradient_penalty_helper_rewrapping_its_interpolates_is_silent(tmp_path):
    files = _gp(mix="alpha * real_samples + (1 - alpha) * fake_samples",
                rebind="    interpolates = torch.autograd.Variable(interpolates.data, requires_grad=True)\n")
    _, found, expected = _check(tmp_path, files, {"GL115"})
    assert not expected and found == set()


# an f-AnoGAN-style MLP WGAN: the critic module holds an autoencoder (encoder, an unused-in-the-loss decoder)
# and scores the code with a Linear head; its class is named for the critic first, for what it holds after "With"
_AE_CRITIC = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim=64, img_size=32):
        super(Generator, self).__init__()
        self.model = nn.Sequential(
            nn.Linear(latent_dim, 128),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(128, 256),
            nn.BatchNorm1d(256),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(256, 512),
            nn.BatchNorm1d(512),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(512, 1024),
            nn.BatchNorm1d(1024),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(1024, img_size * img_size),
        )

    def forward(self, z):
        return self.model(z).view(z.size(0), 1, 32, 32)


class {name}(nn.Module):
    def __init__(self, img_size=32, code=128):
        super({name}, self).__init__()
        self.encoder = nn.Sequential(
            nn.Linear(img_size * img_size, {w1}),{mark}
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear({w1}, {w2}),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear({w2}, code),
        )
        self.decoder = nn.Sequential(
            nn.Linear(code, 256),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(256, img_size * img_size),
        )
        self.score = nn.Sequential(nn.Linear(code, 1))

    def forward(self, img):
        encoded = self.encoder(img.view(img.size(0), -1))
        decoded = self.decoder(encoded)
        return self.score(encoded), encoded, decoded
"""

_AE_TRAIN = """\
import torch

from model import Generator, {name}


def main(loader, n_critic=5):
    generator = Generator()
    discriminator = {name}()
    optimizer_G = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
    optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=1e-4, betas=(0.5, 0.9))
    for real in loader:
        for _ in range(n_critic):
            optimizer_D.zero_grad()
            fake = generator(torch.randn(real.size(0), 64)).detach()
            d_loss = -torch.mean(discriminator(real)[0]) + torch.mean(discriminator(fake)[0])
            d_loss.backward()
            optimizer_D.step()
        optimizer_G.zero_grad()
        g_loss = -torch.mean(discriminator(generator(torch.randn(real.size(0), 64)))[0])
        g_loss.backward()
        optimizer_G.step()
"""


def _ae_gan(name="CriticWithAutoencoder", w1=512, w2=256, mark=""):
    return {"model.py": _AE_CRITIC.format(name=name, w1=w1, w2=w2, mark=mark), "train.py": _AE_TRAIN.format(name=name)}


def test_critic_with_an_autoencoder_smaller_than_the_generator_is_reported(tmp_path):
    _, found, expected = _check(tmp_path, _ae_gan(mark="  # expect GL102"), {"GL102"})
    assert expected and found == expected


def test_critic_with_an_autoencoder_wider_than_the_generator_is_silent(tmp_path):
    _, found, expected = _check(tmp_path, _ae_gan(w1=2048, w2=1024), {"GL102"})
    assert not expected and found == set()
