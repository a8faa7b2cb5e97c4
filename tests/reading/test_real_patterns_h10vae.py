"""VAE, VAE-GAN and autoencoder programs beside GAN programs (held-out set 10's misses and false alarms):

- a repository of one-model-per-file trainers: the VAE file (its KL term, or only its VAE-named model with an
  MMD in place of the KL) is a VAE program, a plain autoencoder's file neither a GAN nor a VAE program, even
  when most files train GANs; the trainer's `lr=lr` is the number its file's own call of `train(...)` passes;
- a VAE-GAN whose VAE makes the fakes its discriminator judges: the VAE's optimizer is a GAN player's;
- a log-standard-deviation called `std`, exponentiated and squared into the KL's variance.

Projects are written in the styles real repositories use (not copied from any); `# expect GLnnn` marks each
line where that finding must be reported, and the findings of the codes a test names are exactly the marked
lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

# a GAN trainer of the same repository: makes it a repository of GANs
_GAN_FILE = """\
import torch
import torch.nn as nn
import torch.optim as optim


class Generator(nn.Module):
    def __init__(self, z_dim=16, hidden=128, out_dim=784):
        super().__init__()
        self.hidden = nn.Linear(z_dim, hidden)
        self.out = nn.Linear(hidden, out_dim)

    def forward(self, z):
        return torch.sigmoid(self.out(torch.relu(self.hidden(z))))


class Discriminator(nn.Module):
    def __init__(self, in_dim=784, hidden=128):
        super().__init__()
        self.hidden = nn.Linear(in_dim, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return torch.sigmoid(self.out(torch.relu(self.hidden(x))))


class GANTrainer:
    def __init__(self, G, D, loader):
        self.G, self.D, self.loader = G, D, loader

    def train(self, epochs, G_lr=2e-4, D_lr=2e-4):
        G_opt = optim.Adam(self.G.parameters(), lr=G_lr)  # expect GL112
        D_opt = optim.Adam(self.D.parameters(), lr=D_lr)  # expect GL112
        for _ in range(epochs):
            for x in self.loader:
                D_opt.zero_grad()
                z = torch.randn(x.size(0), 16)
                d_loss = -torch.mean(torch.log(self.D(x)) + torch.log(1 - self.D(self.G(z).detach())))
                d_loss.backward()
                D_opt.step()
                G_opt.zero_grad()
                g_loss = -torch.mean(torch.log(self.D(self.G(z))))
                g_loss.backward()
                G_opt.step()


if __name__ == "__main__":
    trainer = GANTrainer(Generator(), Discriminator(), loader=[])
    trainer.train(epochs=10, G_lr=2e-4, D_lr=2e-4)
"""

_HALVES = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Encoder(nn.Module):
    def __init__(self, in_dim, hidden, z_dim):
        super().__init__()
        self.hidden = nn.Linear(in_dim, hidden)
        self.mu = nn.Linear(hidden, z_dim)
{extra_head}
    def forward(self, x):
        h = F.relu(self.hidden(x))
        return {encoder_out}


class Decoder(nn.Module):
    def __init__(self, z_dim, hidden, out_dim):
        super().__init__()
        self.hidden = nn.Linear(z_dim, hidden)
        self.out = nn.Linear(hidden, out_dim)

    def forward(self, z):
        return torch.sigmoid(self.out(F.relu(self.hidden(z))))
"""

_VAE_FILE = _HALVES.format(extra_head="        self.log_var = nn.Linear(hidden, z_dim)\n",
                           encoder_out="self.mu(h), self.log_var(h).clamp(-8, 8)") + """

class VAE(nn.Module):
    def __init__(self, in_dim=784, hidden=256, z_dim=16):
        super().__init__()
        self.encoder = Encoder(in_dim, hidden, z_dim)
        self.decoder = Decoder(z_dim, hidden, in_dim)

    def forward(self, x):
        mu, log_var = self.encoder(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * log_var)
        return self.decoder(z), mu, log_var


class VAETrainer:
    def __init__(self, model, loader):
        self.model, self.loader = model, loader

    def train(self, epochs, lr=1e-3, weight_decay=1e-5):
        optimizer = optim.Adam(params=[p for p in self.model.parameters() if p.requires_grad],
                               lr=lr, weight_decay=weight_decay)
        for _ in range(epochs):
            self.model.train()
            for x in self.loader:
                optimizer.zero_grad()
                out, mu, log_var = self.model(x)
                kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
                loss = F.binary_cross_entropy(out, x, reduction="sum") + kl
                loss.backward()
                optimizer.step()

    def latent_walk(self, epochs=2):
        small = VAETrainer(VAE(z_dim=2), self.loader)
        small.train(epochs)


if __name__ == "__main__":
    model = VAE(in_dim=784, hidden=256, z_dim=16)
    trainer = VAETrainer(model=model, loader=[])
    trainer.train(epochs=5,
                  lr=1e-3,  # expect GL203
                  weight_decay=1e-5)
"""

# a VAE variant with a fixed posterior variance and an MMD in place of the KL: no KL term, no exp(log-variance)
_MMD_VAE_FILE = _HALVES.format(extra_head="", encoder_out="self.mu(h)") + """

def mmd(a, b):
    def kernel(x, y):
        return torch.exp(-((x[:, None] - y[None]) ** 2).mean(2) / x.size(1))
    return kernel(a, a).mean() + kernel(b, b).mean() - 2 * kernel(a, b).mean()


class InfoVAE(nn.Module):
    def __init__(self, in_dim=784, hidden=256, z_dim=16, noise=0.05):
        super().__init__()
        self.encoder = Encoder(in_dim, hidden, z_dim)
        self.decoder = Decoder(z_dim, hidden, in_dim)
        self.noise = noise

    def forward(self, x):
        z = self.encoder(x)
        z = z + self.noise * torch.randn_like(z)
        return self.decoder(z), z


class InfoVAETrainer:
    def __init__(self, model, loader):
        self.model, self.loader = model, loader

    def train(self, epochs, lr=1e-3):
        optimizer = optim.Adam(self.model.parameters(), lr=lr)
        for _ in range(epochs):
            for x in self.loader:
                optimizer.zero_grad()
                out, z = self.model(x)
                loss = F.mse_loss(out, x) + mmd(z, torch.randn_like(z))
                loss.backward()
                optimizer.step()


if __name__ == "__main__":
    trainer = InfoVAETrainer(InfoVAE(), loader=[])
    trainer.train(epochs=10, lr=1e-3)  # expect GL203
"""

# a plain autoencoder: neither the GAN rules nor the VAE rules apply to it
_AE_FILE = _HALVES.format(extra_head="", encoder_out="F.relu(self.mu(h))") + """

class Autoencoder(nn.Module):
    def __init__(self, in_dim=784, hidden=256, z_dim=32):
        super().__init__()
        self.encoder = Encoder(in_dim, hidden, z_dim)
        self.decoder = Decoder(z_dim, hidden, in_dim)

    def forward(self, x):
        return self.decoder(self.encoder(x))


class AutoencoderTrainer:
    def __init__(self, model, loader):
        self.model, self.loader = model, loader

    def train(self, epochs, lr=1e-3):
        optimizer = optim.Adam(self.model.parameters(), lr=lr)
        for _ in range(epochs):
            for x in self.loader:
                optimizer.zero_grad()
                loss = F.binary_cross_entropy(self.model(x), x)
                loss.backward()
                optimizer.step()


if __name__ == "__main__":
    trainer = AutoencoderTrainer(Autoencoder(), loader=[])
    trainer.train(epochs=10, lr=1e-3)
"""


def test_each_file_of_a_gan_repository_is_judged_as_the_model_it_trains(tmp_path):
    files = {"gan_mm.py": _GAN_FILE, "vae.py": _VAE_FILE, "info_vae.py": _MMD_VAE_FILE, "ae.py": _AE_FILE}
    res, found, expected = _check(tmp_path, files, {"GL112", "GL113", "GL203"})
    assert found == expected, (found, expected)
    facts = res.facts
    fams = {f.rsplit("/", 1)[-1]: facts.file_families(f) for f in facts.files}
    assert fams["vae.py"] == {"vae"} and fams["info_vae.py"] == {"vae"} and fams["ae.py"] == {"autoencoder"}
    assert "gan" in fams["gan_mm.py"]
    gl203 = next(f for f in res.findings if f.code == "GL203" and f.location.file.endswith("/vae.py"))
    assert gl203.fix is not None and [(e.old, e.new) for e in gl203.fix.edits] == [("1e-3", "0.0003")]


def test_the_call_decides_the_trainers_rate_only_when_it_is_one_known_number(tmp_path):
    main = 'if __name__ == "__main__":\n'
    head = _VAE_FILE.split(main)[0] + main + "    model = VAE()\n    trainer = VAETrainer(model=model, loader=[])\n"
    cases = {
        # the call passes 3e-4 and the helper's call runs the 1e-3 default: two numbers, not one
        "two_numbers.py": head + "    trainer.train(epochs=5, lr=3e-4)\n",
        # the call overrides the default with a rate in range, and no call runs the default
        "in_range.py": head.replace("        small.train(epochs)\n", "        small.train(epochs, lr=2e-4)\n")
                       + "    trainer.train(epochs=5, lr=2e-4)\n",
        # an object of unknown class may be this trainer, given another rate
        "unknown_receiver.py": head + "    runner = make_runner()\n    runner.train(5, 1e-4)\n"
                               + "    trainer.train(epochs=5, lr=1e-3)\n",
        # the rate comes from a flag: read where the flag is, not here
        "from_flag.py": head + "    trainer.train(epochs=5, lr=args.lr)\n",
    }
    for name, text in cases.items():
        _res, found, _ = _check(tmp_path / name[:-3], {name: text}, {"GL203"})
        assert found == set(), (name, found)
    # the control: the call's 1e-3 and the helper's default 1e-3 are one number, reported at the call
    _res, found, _ = _check(tmp_path / "same", {"same.py": head + "    trainer.train(epochs=5, lr=1e-3)\n"}, {"GL203"})
    assert found == {("GL203", "same.py", head.count("\n") + 1)}, found


def test_a_vae_files_optimizer_with_no_role_is_the_vaes_only_when_it_is_the_files_one_optimizer(tmp_path):
    # a second optimizer (over a probe of its own) in the trainer: which one trains the VAE is not said
    two = _VAE_FILE.replace(
        "        for _ in range(epochs):\n            self.model.train()\n",
        "        probe = optim.SGD(params_of(self.model), lr=lr)\n"
        "        for _ in range(epochs):\n            self.model.train()\n").replace("  # expect GL203", "")
    assert "probe = optim.SGD" in two
    _res, found, _ = _check(tmp_path / "two", {"vae.py": two}, {"GL203"})
    assert found == set(), found
    _res, found, expected = _check(tmp_path / "one", {"vae.py": _VAE_FILE}, {"GL203"})
    assert found == expected and len(expected) == 1, (found, expected)


# a VAE-GAN script: the discriminator judges what the VAE's decoder makes from noise; the VAE is its generator
# (and an auxiliary classifier's optimizer beside the two players is neither's)
_VAEGAN = """\
import torch
import torch.nn as nn
import torch.optim as optim


class VAE(nn.Module):
    def __init__(self, z_dim=32):
        super().__init__()
        self.z_dim = z_dim
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU())
        self.to_mu = nn.Linear(256, z_dim)
        self.to_logvar = nn.Linear(256, z_dim)
        self.decoder = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = self.to_mu(h), self.to_logvar(h).clamp(-8, 8)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder(z), mu, logvar


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x):
        return self.net(x)


vae, netD = VAE(), Discriminator()
bce = nn.BCEWithLogitsLoss()
opt_d = optim.Adam(netD.parameters(), lr=1e-4, betas=(0.5, 0.999))
opt_vae = optim.Adam(vae.parameters(), lr=1e-4)  # expect GL112
opt_cls = optim.Adam(classifier.parameters(), lr=1e-4)  # a third network beside the two players: neither's
loader = []
for x in loader:
    z = torch.randn(x.size(0), vae.z_dim)
    fake = vae.decoder(z)
    d_loss = bce(netD(x), torch.ones(x.size(0), 1)) + bce(netD(fake.detach()), torch.zeros(x.size(0), 1))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    recon, mu, logvar = vae(x)
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    g_loss = ((recon - x) ** 2).sum() + kld + bce(netD(vae.decoder(z)), torch.ones(x.size(0), 1))
    opt_vae.zero_grad()
    g_loss.backward()
    opt_vae.step()
"""

# the same VAE trained beside a discriminator that judges only the latent codes (an adversarial prior on z):
# the VAE makes no batch the critic scores as fake, so its optimizer is no GAN player's
_LATENT_PRIOR = _VAEGAN.replace("    fake = vae.decoder(z)\n", "    fake = vae.to_mu(vae.encoder(x))\n").replace(
    "bce(netD(vae.decoder(z)), torch.ones(x.size(0), 1))", "bce(netD(vae.to_mu(vae.encoder(x))), torch.ones(x.size(0), 1))"
).replace("  # expect GL112", "").replace("nn.Linear(784, 256), nn.LeakyReLU", "nn.Linear(32, 256), nn.LeakyReLU").replace(
    "opt_cls = optim.Adam(classifier.parameters(), lr=1e-4)  # a third network beside the two players: neither's\n", "")


def test_a_vaegan_vae_whose_decoder_makes_the_fakes_is_a_gan_player(tmp_path):
    res, found, expected = _check(tmp_path / "vaegan", {"vaegan.py": _VAEGAN}, {"GL112"})
    assert found == expected, (found, expected)
    f = next(f for f in res.findings if f.code == "GL112")
    assert f.evidence["role"] == "generator" and [e.new for e in f.fix.edits] == [
        "optim.Adam(vae.parameters(), lr=1e-4, betas=(0.5, 0.999))"]
    _res, found, _ = _check(tmp_path / "prior", {"prior.py": _LATENT_PRIOR}, {"GL112"})
    assert found == set(), found


# a VAE script whose loss takes the encoder's log-std under the name `std`: exp(std) squared is the variance
_LOG_STD = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, z_dim=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(784, 256), nn.ReLU())
        self.fc_mean = nn.Linear(256, z_dim)
        self.fc_spread = nn.Linear(256, z_dim)
        self.dec = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def forward(self, x):
        h = self.body(x)
        mean, spread = self.fc_mean(h), self.fc_spread(h)
        z = mean + torch.randn_like(mean) * torch.exp(spread.clamp(-5, 5))
        return self.dec(z), mean, spread


def loss_function(recon_x, x, mean, std):
    rec = F.binary_cross_entropy(recon_x, x, reduction="sum")
    var = torch.pow(torch.exp(std), 2)  # expect GL205
    kld = -0.5 * torch.sum(1 + torch.log(var) - torch.pow(mean, 2) - var)
    return rec + kld


def loss_squared(recon_x, x, mu, s):
    var = torch.exp(s) ** 2  # expect GL205
    return F.mse_loss(recon_x, x) - 0.5 * torch.sum(1 + var.log() - mu ** 2 - var)


def loss_bounded(recon_x, x, mean, std):
    std = torch.clamp(std, -5, 5)
    var = torch.pow(torch.exp(std), 2)
    return -0.5 * torch.sum(1 + torch.log(var) - torch.pow(mean, 2) - var)


def rbf(x, y, scale):
    width = torch.exp(scale) ** 2
    return torch.exp(-((x - y) ** 2).sum(1) / width)
"""


def test_a_log_std_called_std_exponentiated_and_squared_into_the_kl_is_read(tmp_path):
    res, found, expected = _check(tmp_path, {"vae.py": _LOG_STD}, {"GL205"})
    assert found == expected, (found, expected)  # a clamp first, or a kernel's width with no KL: silent
    first = min((f for f in res.findings if f.code == "GL205"), key=lambda f: f.location.line)
    assert first.evidence["holds"] == "log-std" and "[-5, 5]" in first.message
    assert [e.new for e in first.fix.edits] == ["torch.exp(std.clamp(-5, 5))"]


# a zoo of VAEs, one JSON section of constructor arguments per model, the model chosen by a flag's default
_ZOO_MODELS = """\
import torch
import torch.nn as nn


class BetaVAE(nn.Module):
    def __init__(self, channels, z_dim, beta, **kwargs):
        super().__init__()
        self.enc = nn.Linear(channels * 64, 2 * z_dim)
        self.dec = nn.Linear(z_dim, channels * 64)
        self.beta = beta

    def loss(self, x):
        mu, logvar = self.enc(x.flatten(1)).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-8, 8))
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.clamp(-8, 8).exp())
        return ((self.dec(z) - x.flatten(1)) ** 2).sum() + self.beta * kl


class FactorVAE(BetaVAE):
    def __init__(self, channels, z_dim, beta, gamma, **kwargs):
        super().__init__(channels, z_dim, beta)
        self.gamma = gamma


class Classifier(nn.Module):
    def __init__(self, channels, beta, **kwargs):
        super().__init__()
        self.head = nn.Linear(channels * 64, 10)
        self.beta = beta
"""

_ZOO_CONFIG = """\
{
    "beta_params": {
        "channels": 1,
        "z_dim": 10,
        "beta": 4
    },
    "factor_params": {
        "channels": 1,
        "z_dim": 10,
        "beta": 1,
        "gamma": 30
    },
    "probe_params": {
        "channels": 1,
        "beta": 0.5
    }
}
"""

_ZOO_TRAIN = """\
import argparse
import json

import torch

import models


def init_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=str, default="beta")
    parser.add_argument("--steps", type=int, default=100)
    return parser.parse_args()


def main():
    args = init_args()
    with open("config.json") as f:
        config = json.load(f)
    model_dict = {"beta": models.BetaVAE, "factor": models.FactorVAE}
    model = model_dict[args.model](**config[f"{args.model}_params"])
    probe = models.Classifier(**config["probe_params"])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    for _ in range(args.steps):
        loss = model.loss(torch.rand(8, 64))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
"""


def test_a_json_section_chosen_by_a_flag_default_and_splatted_into_a_vae_holds_its_kl_weight(tmp_path):
    files = {"models.py": _ZOO_MODELS, "config.json": _ZOO_CONFIG, "train.py": _ZOO_TRAIN}
    res, found, _ = _check(tmp_path / "zoo", files, {"GL201", "GL202"})
    beta_line = _ZOO_CONFIG.splitlines().index('        "beta": 4') + 1
    # the default model's section only: FactorVAE's beta is another run's, the classifier's beta no KL weight
    assert found == {("GL202", "config.json", beta_line)}, found
    s = next(s for s in res.facts.settings if s.key == "beta_params.beta")
    assert (s.canonical, s.role) == ("kl_weight", "vae")
    # no default for the flag: which section is used is not known, nothing is placed
    unknown = _ZOO_TRAIN.replace('"--model", type=str, default="beta"', '"--model", type=str, required=True')
    _res, found, _ = _check(tmp_path / "required", {**files, "train.py": unknown}, {"GL201", "GL202"})
    assert found == set(), found
