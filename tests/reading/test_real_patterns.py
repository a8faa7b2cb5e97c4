"""Patterns of public training code the reader must follow, each with a near miss that must stay silent.

Every project below is written in the style real repositories use (not copied from any). A trailing
`# expect GLnnn` marks each line where that finding must be reported; for the codes a test names, the
findings must be exactly the marked lines (no more, no fewer).
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)


# -- an unused nn.BCELoss() does not make a WGAN a standard GAN --------------------------------------
_WGAN_NETS = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, nz=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(nz, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                                 nn.Linear(256, 1), nn.Sigmoid())  # expect GL101

    def forward(self, x):
        return self.net(x)


G, C = Generator(), Critic()
opt_c = torch.optim.RMSprop(C.parameters(), lr=5e-5)
opt_g = torch.optim.RMSprop(G.parameters(), lr=5e-5)
"""

_WGAN_LOOP = """
for real in loader:
    for _ in range(5):
        fake = G(torch.randn(real.size(0), 64)).detach()
        loss_c = -(C(real).mean() - C(fake).mean())
        opt_c.zero_grad()
        loss_c.backward()
        opt_c.step()
        for p in C.parameters():
            p.data.clamp_(-0.01, 0.01)
    loss_g = -C(G(torch.randn(real.size(0), 64))).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
"""


def test_a_bce_loss_object_never_used_leaves_a_clipped_critic_a_wasserstein_one(tmp_path):
    script = _WGAN_NETS + "adversarial_loss = nn.BCELoss()  # left from the DCGAN script\n" + _WGAN_LOOP
    res, found, expected = _check(tmp_path, {"wgan.py": script}, {"GL101", "GL111"})
    assert found == expected == {("GL101", "wgan.py", 18)}
    assert [l.kind for l in res.facts.code.losses if l.kind.startswith("bce")] == []


def test_a_bce_loss_object_that_is_used_keeps_the_critic_a_bce_discriminator(tmp_path):
    # near miss: the same networks, the criterion handed to a helper: a BCE-trained discriminator (DRAGAN-like)
    script = (_WGAN_NETS + "criterion = nn.BCELoss()\n\n\ndef d_loss(crit, real, fake):\n"
              "    return crit(C(real), torch.ones(real.size(0), 1)) + crit(C(fake), torch.zeros(fake.size(0), 1))\n"
              + _WGAN_LOOP.replace("-(C(real).mean() - C(fake).mean())", "d_loss(criterion, real, fake)"))
    script = script.replace("  # expect GL101", "")
    res, found, expected = _check(tmp_path, {"dragan.py": script}, {"GL101"})
    assert found == expected == set()
    assert [l.kind for l in res.facts.code.losses] == ["bce"]


# -- an autoencoder critic (EBGAN / BEGAN) is judged by its parameters, not its summed widths ---------
_AE_GAN = """\
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(62, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
                                nn.Linear(1024, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU())
        self.up = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                                nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.up(self.fc(z).view(-1, 128, 7, 7))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.ReLU())  # expect GL102
        self.code = nn.Linear(64 * 14 * 14, CODE)
        self.fc = nn.Sequential(nn.Linear(CODE, 64 * 14 * 14), nn.BatchNorm1d(64 * 14 * 14), nn.ReLU())
        self.up = nn.ConvTranspose2d(64, 1, 4, 2, 1)

    def forward(self, x):
        h = self.code(self.down(x).view(x.size(0), -1))
        return self.up(self.fc(h).view(-1, 64, 14, 14)), h
"""


def test_an_autoencoder_critic_with_a_narrow_code_is_weaker_than_its_generator(tmp_path):
    # widths [64, 32, 12544] sum above the generator's [1024, 6272, 64], but 0.8M parameters against 6.6M
    res, found, expected = _check(tmp_path, {"ebgan.py": _AE_GAN.replace("CODE", "32")}, {"GL102"})
    assert found == expected and len(found) == 1
    [f] = [f for f in res.findings if f.code == "GL102"]
    assert f.evidence["critic_params"] < f.evidence["generator_params"] / 4


def test_an_autoencoder_critic_with_a_wide_code_stays_silent(tmp_path):
    # near miss: the same shape with a 512-unit code holds 12.9M parameters, twice the generator's
    text = _AE_GAN.replace("CODE", "512").replace("  # expect GL102", "")
    _res, found, expected = _check(tmp_path, {"began.py": text}, {"GL102"})
    assert found == expected == set()


# -- a flag with an unusual name passed as the optimizer's lr is a learning rate ----------------------
_CT_GAN = """\
import argparse
import torch
from torch.autograd import grad
from models import Critic, Generator

parser = argparse.ArgumentParser()
parser.add_argument('--gamma', type=float, default=GAMMA, help='adam: learning rate')  # expect GL104
parser.add_argument('--decay', type=float, default=0.5)
parser.add_argument('--n_critic', type=int, default=5)
opt = parser.parse_args()

generator, critic = Generator(), Critic()
optimizer_D = torch.optim.Adam(critic.parameters(), lr=opt.gamma, betas=(0.5, 0.9))
optimizer_G = torch.optim.Adam(generator.parameters(), lr=opt.gamma, betas=(0.5, 0.9))
scheduler = torch.optim.lr_scheduler.StepLR(optimizer_G, 1000, gamma=opt.decay)


def penalty(real, fake):
    eps = torch.rand(real.size(0), 1)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    g = grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
    g_norm = g.view(g.size(0), -1).norm(2, dim=1)
    return ((g_norm - 1) ** 2).mean()
"""


def test_a_flag_named_gamma_that_adam_takes_as_lr_is_a_learning_rate(tmp_path):
    res, found, expected = _check(tmp_path, {"ct_gan.py": _CT_GAN.replace("GAMMA", "3e-4")}, {"GL104"})
    assert found == expected == {("GL104", "ct_gan.py", 7)}
    assert "wgan-gp" in res.facts.families()  # (g_norm - 1) ** 2 with the norm held in a name: two-sided


def test_a_gamma_passed_to_a_scheduler_keeps_its_own_meaning(tmp_path):
    # near miss: --decay (0.5) is StepLR's gamma, not a learning rate; --gamma at 1e-4 is in range
    text = _CT_GAN.replace("GAMMA", "1e-4").replace("  # expect GL104", "")
    res, found, expected = _check(tmp_path, {"ct_gan.py": text}, {"GL104", "GL113"})
    assert found == expected == set()
    assert {s.leaf: s.canonical for s in res.facts.settings}["decay"] != "learning_rate"


# -- numbers written as locals of main() and passed to the network it builds -------------------------
_VAE_MAIN = """\
import torch
from net import VAE


def loss_function(recon_x, x, mu, logvar):
    bce = torch.nn.functional.binary_cross_entropy(recon_x, x, reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.clamp(-10, 10).exp())
    return bce + kld


def main():
    batch_size = 128
    z_size = Z  # expect GL206
    vae = VAE(zsize=z_size, layer_count=4)
    optimizer = torch.optim.Adam(vae.parameters(), lr=1e-4)
    for epoch in range(10):
        for x in loader(batch_size):
            recon, mu, logvar = vae(x)
            loss = loss_function(recon, x, mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
"""


def test_a_latent_size_written_in_main_is_the_vaes_latent_size(tmp_path):
    _res, found, expected = _check(tmp_path, {"train.py": _VAE_MAIN.replace("Z", "512")}, {"GL206"})
    assert found == expected == {("GL206", "train.py", 13)}


def test_locals_that_no_network_is_built_with_stay_unread(tmp_path):
    # near miss: z_size = 16 is in range, and a `latent_dim = 256` that only sizes a noise batch for
    # sampling (no network is built with it) is no setting
    text = _VAE_MAIN.replace("Z", "16").replace("  # expect GL206", "").replace(
        "    optimizer = ", "    latent_dim = 256\n    noise = torch.randn(64, latent_dim)\n    optimizer = ")
    res, found, expected = _check(tmp_path, {"train.py": text}, {"GL206"})
    assert found == expected == set()
    assert "latent_dim" not in {s.key for s in res.facts.settings}


# -- InfoGAN: the info step (one optimizer over G and D) is not a discriminator step -----------------
_INFOGAN = """\
import itertools
import torch
import torch.nn as nn
from models import Discriminator, Generator

G, D = Generator(), Discriminator()
bce, ce = nn.BCELoss(), nn.CrossEntropyLoss()
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_info = torch.optim.Adam(itertools.chain(G.parameters(), D.parameters()), lr=2e-4, betas=(0.5, 0.999))

for x, _ in loader:
    z, code = torch.rand(64, 62), torch.randint(0, 10, (64,))
    fake = G(z, code)
    d_real, _, _ = D(x)
    d_fake, _, _ = D(FAKE)  # expect GL115
    d_loss = bce(d_real, ones) + bce(d_fake, zeros)
    opt_d.zero_grad()
    d_loss.backward(retain_graph=True)
    opt_d.step()

    fake = G(z, code)
    d_fake, d_cont, d_disc = D(fake)
    g_loss = bce(d_fake, ones)
    opt_g.zero_grad()
    g_loss.backward(retain_graph=True)
    opt_g.step()

    disc_loss = ce(d_disc, code)
    info_loss = disc_loss + 0.1 * d_cont.pow(2).mean()
    opt_info.zero_grad()
    info_loss.backward()
    opt_info.step()
"""


def test_infogans_info_step_is_not_a_discriminator_step(tmp_path):
    # the D step's undetached fake is reported; the info step's D(fake) (G and Q train jointly) is not
    _res, found, expected = _check(tmp_path, {"infogan.py": _INFOGAN.replace("FAKE", "fake")}, {"GL115"})
    assert found == expected == {("GL115", "infogan.py", 16)}


def test_infogan_with_a_detached_d_step_is_silent(tmp_path):
    text = _INFOGAN.replace("FAKE", "fake.detach()").replace("  # expect GL115", "")
    _res, found, expected = _check(tmp_path, {"infogan.py": text}, {"GL115"})
    assert found == expected == set()


# -- fakes made inside model methods, D losses computed by helpers --------------------------------
_MODELS = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, nz=100):
        super().__init__()
        self.nz = nz
        self.main = nn.Sequential(nn.Linear(nz, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())

    def forward(self, z):
        return self.main(z)

    def sample(self, n):
        z = torch.randn(n, self.nz)
        return self(z)

    @torch.no_grad()
    def sample_for_display(self, n):
        return self(torch.randn(n, self.nz))

    def sample_latent(self, n):
        return torch.randn(n, self.nz)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 256), nn.LeakyReLU(0.2),
                                  nn.Linear(256, 1))

    def forward(self, x):
        return self.main(x)
"""

_SAMPLE_LOOP = """\
import torch
import torch.nn.functional as F
from models import Discriminator, Generator

netG, netD = Generator(), Discriminator()
optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
for real in loader:
    fake = netG.METHOD(real.size(0))
    errD = F.softplus(-netD(real)).mean() + F.softplus(netD(fake)).mean()  # expect GL115
    optD.zero_grad()
    errD.backward()
    optD.step()
    errG = F.softplus(-netD(netG.sample(real.size(0)))).mean()
    optG.zero_grad()
    errG.backward()
    optG.step()
"""


def test_a_fake_from_the_generators_sample_method_in_another_file_is_traced(tmp_path):
    for method in ("sample", "module.sample"):  # the second: netG wrapped in nn.DataParallel
        files = {"models.py": _MODELS, "train.py": _SAMPLE_LOOP.replace("METHOD", method)}
        _res, found, expected = _check(tmp_path / method, files, {"GL115"})
        assert found == expected == {("GL115", "train.py", 10)}, method


def test_the_generators_no_grad_or_latent_methods_are_no_live_fake(tmp_path):
    # near misses: a @torch.no_grad() sampler returns a batch outside the graph; sample_latent returns noise
    for method in ("sample_for_display", "sample_latent"):
        files = {"models.py": _MODELS, "train.py": _SAMPLE_LOOP.replace("METHOD", method).replace("  # expect GL115", "")}
        _res, found, expected = _check(tmp_path / method, files, {"GL115"})
        assert found == expected == set(), method


def test_a_fake_from_a_sample_method_in_the_same_file_is_traced(tmp_path):
    one = _MODELS + _SAMPLE_LOOP.replace("METHOD", "sample").split("\n", 3)[3]
    line = next(i for i, l in enumerate(one.splitlines(), 1) if "# expect GL115" in l)
    _res, found, _expected = _check(tmp_path, {"gan.py": one}, {"GL115"})
    assert found == {("GL115", "gan.py", line)}


_HELPER_MODEL = """\
import torch
import torch.nn as nn
from nets import Critic, Generator


class WGAN(nn.Module):
    def __init__(self, z_size=100):
        super().__init__()
        self.z_size = z_size
        self.critic = Critic()
        self.generator = Generator(z_size)

    def c_loss(self, x, z, return_g=False):
        g = self.generator(z)
        c_x = self.critic(x).mean()
        c_g = self.critic(GEN).mean()  # expect GL115
        l = -(c_x - c_g)
        return (l, g) if return_g else l

    def g_loss(self, z):
        g = self.generator(z)
        return -self.critic(g).mean()
"""

_HELPER_TRAIN = """\
import torch
from model import WGAN

model = WGAN()
critic_optimizer = torch.optim.Adam(model.critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
generator_optimizer = torch.optim.Adam(model.generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
for x in loader:
    for _ in range(5):
        z = torch.randn(x.size(0), 100)
        c_loss, g = model.c_loss(x, z, return_g=True)
        c_loss_gp = c_loss + model.gradient_penalty(x, g, 10.0)
        critic_optimizer.zero_grad()
        c_loss_gp.backward()
        critic_optimizer.step()
    g_loss = model.g_loss(torch.randn(x.size(0), 100))
    generator_optimizer.zero_grad()
    g_loss.backward()
    generator_optimizer.step()
"""


def test_a_critic_loss_helper_whose_result_the_d_step_backpropagates_is_traced(tmp_path):
    files = {"model.py": _HELPER_MODEL.replace("GEN", "g"), "train.py": _HELPER_TRAIN}
    _res, found, expected = _check(tmp_path, files, {"GL115"})
    assert found == expected == {("GL115", "model.py", 16)}  # g_loss's critic(g) is the G step's: silent


def test_a_critic_loss_helper_with_a_detached_fake_is_silent(tmp_path):
    files = {"model.py": _HELPER_MODEL.replace("GEN", "g.detach()").replace("  # expect GL115", ""),
             "train.py": _HELPER_TRAIN}
    _res, found, expected = _check(tmp_path, files, {"GL115"})
    assert found == expected == set()


# -- a weight with an unusual name that multiplies the gradient penalty is the penalty's weight ------
_GP_WEIGHTS = """\
import argparse
import torch
from torch.autograd import grad
from models import Critic, Generator

parser = argparse.ArgumentParser()
parser.add_argument('--lambda_1', type=float, default=W1, help='gradient penalty coefficient')  # expect GL107
parser.add_argument('--lambda_2', type=float, default=W2, help='consistency term coefficient')
parser.add_argument('--lambda_adv', type=float, default=0.1)
parser.add_argument('--n_critic', type=int, default=5)
opt = parser.parse_args()

generator, critic = Generator(), Critic()
optimizer_D = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
for real in loader:
    fake = generator(torch.randn(real.size(0), 128)).detach()
    eps = torch.rand(real.size(0), 1)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    g = grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
    g_norm = g.view(g.size(0), -1).norm(2, dim=1)
    gp = torch.mean((g_norm - 1) ** 2)
    ct = (critic(real) - critic(real)).pow(2).mean()
    ls = torch.mean((critic(fake) - 1) ** 2)
    d_loss = critic(fake).mean() - critic(real).mean() + opt.lambda_1 * gp + opt.lambda_2 * ct + opt.lambda_adv * ls
    optimizer_D.zero_grad()
    d_loss.backward()
    optimizer_D.step()
"""


def test_a_lambda_that_multiplies_the_gradient_penalty_is_its_weight(tmp_path):
    text = _GP_WEIGHTS.replace("W1", "0.1").replace("W2", "2.0")
    res, found, expected = _check(tmp_path, {"ct_gan.py": text}, {"GL107"})
    assert found == expected == {("GL107", "ct_gan.py", 7)}


def test_lambdas_of_other_terms_are_no_penalty_weights(tmp_path):
    # near misses: the consistency weight (0.1) and an LSGAN-style (D - 1)^2 weight (0.1) are not the
    # penalty's; the penalty's own weight at 10 is in range
    text = _GP_WEIGHTS.replace("W1", "10.0").replace("W2", "0.1").replace("  # expect GL107", "")
    res, found, expected = _check(tmp_path, {"ct_gan.py": text}, {"GL107"})
    assert found == expected == set()
    assert {s.leaf for s in res.facts.settings if s.canonical == "gp_weight"} == {"lambda_1"}


# -- networks held in dicts: D['model'](x), nets['G'](z) ----------------------------------------------
_DICT_NETS = """\
import torch
import torch.nn as nn

G_net = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 2))
D_net = nn.Sequential(nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 1), nn.Sigmoid())
G = {'model': G_net, 'solver': torch.optim.Adam(G_net.parameters(), lr=2e-4, betas=(0.5, 0.999))}
D = {'model': D_net, 'solver': torch.optim.Adam(D_net.parameters(), lr=2e-4, betas=(0.5, 0.999))}
for it in range(10000):
    z, x = torch.randn(64, 16), sample_data(64)
    G_sample = G['model'](z)FAKE
    D_loss = -torch.mean(torch.log(D['model'](x)) + torch.log(1 - D['model'](G_sample)))  # expect GL115
    D_loss.backward()
    D['solver'].step()
    G_loss = -torch.mean(torch.log(D['model'](G['model'](z))))
    G_loss.backward()
    G['solver'].step()
"""


def test_networks_held_in_a_dict_keep_their_roles(tmp_path):
    _res, found, expected = _check(tmp_path, {"gap.py": _DICT_NETS.replace("FAKE", "")}, {"GL115"})
    assert found == expected == {("GL115", "gap.py", 11)}


def test_a_detached_fake_of_a_dict_held_generator_is_silent(tmp_path):
    text = _DICT_NETS.replace("FAKE", ".detach()").replace("  # expect GL115", "")
    _res, found, expected = _check(tmp_path, {"gap.py": text}, {"GL115"})
    assert found == expected == set()


def test_the_fix_of_a_local_setting_rewrites_only_its_literal(tmp_path, ganlint_cmd, clean_env):
    import subprocess

    text = _VAE_MAIN.replace("Z", "512")
    (tmp_path / "train.py").write_text(text)
    proc = subprocess.run([*ganlint_cmd, "fix", "--in-place", "--all-stages", "--select", "GL206", str(tmp_path)],
                          capture_output=True, text=True, env=clean_env, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert (tmp_path / "train.py").read_text() == text.replace("z_size = 512", "z_size = 16")


# -- a trainer class's __init__ defaults are what it trains with, unless a call passes others -------
_SYNTH = """\
import torch
from torch.autograd import grad
from .nets import Critic, Generator


class TabularGAN:
    def __init__(self, embedding_dim=128, generator_lr=2e-4, batch_size=500, critic_steps=STEPS, epochs=300):  # expect GL105
        self.critic_steps = critic_steps
        self.generator_lr = generator_lr
        self.batch_size = batch_size

    def fit(self, data):
        self.G, self.C = Generator(), Critic()
        opt_g = torch.optim.Adam(self.G.parameters(), lr=self.generator_lr, betas=(0.5, 0.9))
        opt_c = torch.optim.Adam(self.C.parameters(), lr=2e-4, betas=(0.5, 0.9))
        for real in data:
            for _ in range(self.critic_steps):
                fake = self.G(torch.randn(real.size(0), 128)).detach()
                a = torch.rand(real.size(0), 1)
                x_hat = (a * real + (1 - a) * fake).requires_grad_(True)
                g = grad(self.C(x_hat).sum(), x_hat, create_graph=True)[0]
                gp = ((g.norm(2, dim=1) - 1) ** 2).mean()
                loss_c = self.C(fake).mean() - self.C(real).mean() + 10 * gp
                opt_c.zero_grad()
                loss_c.backward()
                opt_c.step()
"""


def test_a_trainer_classs_default_critic_steps_are_read(tmp_path):
    files = {"pkg/synth.py": _SYNTH.replace("STEPS", "1"), "pkg/__main__.py": "from .synth import TabularGAN\n"
             "model = TabularGAN(epochs=10, batch_size=256)\n"}
    _res, found, expected = _check(tmp_path, files, {"GL105", "GL106"})
    assert found == expected == {("GL105", "synth.py", 7)}


def test_a_trainer_default_that_every_call_overrides_stays_unread(tmp_path):
    # near miss: the command line passes critic_steps (by keyword here, by position or **vars(args) too)
    for call in ("TabularGAN(critic_steps=args.critic_steps)", "TabularGAN(128, 2e-4, 500, 5)",
                 "TabularGAN(**vars(args))"):
        files = {"pkg/synth.py": _SYNTH.replace("STEPS", "1").replace("  # expect GL105", ""),
                 "pkg/__main__.py": f"from .synth import TabularGAN\nmodel = {call}\n"}
        _res, found, expected = _check(tmp_path / str(abs(hash(call))), files, {"GL105"})
        assert found == expected == set(), call


def test_a_bce_script_counting_one_d_step_is_no_wasserstein_critic(tmp_path):
    # near miss: `N_CRITIC = 1` in a standard GAN trained with BCE is no WGAN's critic count
    text = ("import torch\nimport torch.nn as nn\nN_CRITIC = 1\nLR = 2e-4\n"
            "G, D = Generator(), Discriminator()\ncriterion = nn.BCEWithLogitsLoss()\n"
            "opt_d = torch.optim.Adam(D.parameters(), lr=LR, betas=(0.5, 0.999))\n"
            "for real in loader:\n    for _ in range(N_CRITIC):\n"
            "        d_loss = criterion(D(real), ones) + criterion(D(G(z).detach()), zeros)\n"
            "        opt_d.zero_grad()\n        d_loss.backward()\n        opt_d.step()\n")
    _res, found, expected = _check(tmp_path, {"dcgan.py": text}, {"GL105"})
    assert found == expected == set()


_VAE_TRAINER = """\
import torch
from .nets import Decoder, Encoder


def kl_term(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.clamp(-10, 10).exp())


class TableVAE:
    def __init__(self, embedding_dim=DIM, batch_size=500, epochs=300):  # expect GL206
        self.embedding_dim = embedding_dim

    def fit(self, data):
        self.encoder, self.decoder = Encoder(self.embedding_dim), Decoder(self.embedding_dim)
        opt = torch.optim.Adam(list(self.encoder.parameters()) + list(self.decoder.parameters()), lr=1e-4)
        for x in data:
            mu, logvar = self.encoder(x)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar.clamp(-10, 10))
            loss = ((self.decoder(z) - x) ** 2).sum() + kl_term(mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
"""


def test_a_vae_trainers_embedding_dim_is_its_latent_size(tmp_path):
    _res, found, expected = _check(tmp_path, {"pkg/tvae.py": _VAE_TRAINER.replace("DIM", "128")}, {"GL206"})
    assert found == expected == {("GL206", "tvae.py", 10)}


def test_an_embedding_dim_without_a_kl_term_is_no_latent_size(tmp_path):
    # near miss: the same trainer reconstructing without a KL term (a plain autoencoder): no VAE latent
    text = _VAE_TRAINER.replace("DIM", "128").replace(" + kl_term(mu, logvar)", "").replace(
        " * torch.exp(0.5 * logvar.clamp(-10, 10))", "").replace("  # expect GL206", "")
    text = text.replace("def kl_term(mu, logvar):\n    return -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.clamp(-10, 10).exp())\n", "")
    res, found, expected = _check(tmp_path, {"pkg/ae.py": text}, {"GL206"})
    assert found == expected == set()
    assert "embedding_dim" not in {s.key for s in res.facts.settings}


def test_a_number_the_call_passes_instead_of_the_default_is_the_setting(tmp_path):
    files = {"pkg/synth.py": _SYNTH.replace("STEPS", "5").replace("  # expect GL105", ""),
             "pkg/__main__.py": "from .synth import TabularGAN\n"
             "model = TabularGAN(epochs=10, critic_steps=2)  # expect GL105\n"}
    _res, found, expected = _check(tmp_path, files, {"GL105"})
    assert found == expected == {("GL105", "__main__.py", 2)}


# -- a LightningModule's hyperparameter defaults are its settings ------------------------------------
_LIGHTNING_GAN = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
import pytorch_lightning as pl


class Generator(nn.Module):
    def __init__(self, latent_dim, img_dim=784):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(latent_dim, 256), nn.LeakyReLU(0.2), nn.Linear(256, img_dim), nn.Tanh())

    def forward(self, z):
        return self.model(z)


class Discriminator(nn.Module):
    def __init__(self, img_dim=784):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(img_dim, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1), nn.Sigmoid())

    def forward(self, img):
        return self.model(img)


class GAN(pl.LightningModule):
    def __init__(self, latent_dim=100, lr=0.0002, b1=0.5, b2=0.999, batch_size=BATCH):  # expect GL106
        super().__init__()
        self.save_hyperparameters()
        self.generator = Generator(latent_dim)
        self.discriminator = Discriminator()

    def forward(self, z):
        return self.generator(z)

    def training_step(self, batch, batch_idx, optimizer_idx):
        imgs, _ = batch
        z = torch.randn(imgs.shape[0], self.hparams.latent_dim)
        if optimizer_idx == 0:
            valid = torch.ones(imgs.size(0), 1)
            g_loss = F.binary_cross_entropy(self.discriminator(self(z)), valid)
            return g_loss
        if optimizer_idx == 1:
            real_loss = F.binary_cross_entropy(self.discriminator(imgs), torch.ones(imgs.size(0), 1))
            fake_loss = F.binary_cross_entropy(self.discriminator(self(z).detach()), torch.zeros(imgs.size(0), 1))
            return (real_loss + fake_loss) / 2

    def configure_optimizers(self):
        lr, b1, b2 = self.hparams.lr, self.hparams.b1, self.hparams.b2
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=lr, betas=(b1, b2))
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=lr, betas=(b1, b2))
        return [opt_g, opt_d], []
"""


def test_a_lightning_gans_default_batch_size_is_read(tmp_path):
    _res, found, expected = _check(tmp_path, {"gan_pl.py": _LIGHTNING_GAN.replace("BATCH", "32")}, {"GL106", "GL103"})
    assert found == expected == {("GL106", "gan_pl.py", 26)}


def test_a_lightning_gan_at_batch_64_is_silent(tmp_path):
    text = _LIGHTNING_GAN.replace("BATCH", "64").replace("  # expect GL106", "")
    _res, found, expected = _check(tmp_path, {"gan_pl.py": text}, {"GL106", "GL103", "GL113", "GL112"})
    assert found == expected == set()
