"""Data flow through training loops as real trainers write it, each with near misses that must stay silent.

Every project below is written in the style of public trainers (not copied from any). A trailing
`# expect GLnnn` marks each line where that finding must be reported; for the codes a test names, the
findings must be exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)

# -- GL115: a generator returning several outputs, unpacked before the D step ----------------------------
_ATTN_NETS = """\
import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, z_dim=64):
        super().__init__()
        self.fc = nn.Linear(z_dim, 784)
        self.attn = nn.Linear(784, 784)

    def forward(self, z):
        h = torch.tanh(self.fc(z))
        a = torch.softmax(self.attn(h), dim=1)
        return h * a, a, h


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 1)

    def forward(self, x):
        return self.fc(x), x.mean(1), x.std(1)
"""

_ATTN_TRAINER = """\
import torch
from nets import Discriminator, Generator


class Trainer(object):
    def __init__(self, loader, config):
        self.loader = loader
        self.z_dim = config.z_dim
        self.G = Generator(self.z_dim)
        self.D = Discriminator()
        self.g_optimizer = torch.optim.Adam(self.G.parameters(), 1e-4, [0.0, 0.9])
        self.d_optimizer = torch.optim.Adam(self.D.parameters(), 4e-4, [0.0, 0.9])

    def reset_grad(self):
        self.d_optimizer.zero_grad()
        self.g_optimizer.zero_grad()

    def train(self):
        for step, (real_images, _) in enumerate(self.loader):
            d_out_real, dr1, dr2 = self.D(real_images)
            d_loss_real = torch.nn.ReLU()(1.0 - d_out_real).mean()
            z = torch.randn(real_images.size(0), self.z_dim)
            fake_images, gf1, gf2 = self.G(z)
            d_out_fake, df1, df2 = self.D(fake_images)  # expect GL115
            d_loss_fake = torch.nn.ReLU()(1.0 + d_out_fake).mean()
            d_loss = d_loss_real + d_loss_fake
            self.reset_grad()
            d_loss.backward()
            self.d_optimizer.step()

            z = torch.randn(real_images.size(0), self.z_dim)
            fake_images, _, _ = self.G(z)
            g_out_fake, _, _ = self.D(fake_images)
            g_loss = -g_out_fake.mean()
            self.reset_grad()
            g_loss.backward()
            self.g_optimizer.step()
"""


def test_a_generator_output_unpacked_from_a_tuple_is_the_fake_of_the_d_step(tmp_path):
    _res, found, expected = _check(tmp_path, {"nets.py": _ATTN_NETS, "trainer.py": _ATTN_TRAINER}, {"GL115"})
    assert found == expected == {("GL115", "trainer.py", 24)}


def test_the_unpacked_fake_detached_or_made_under_no_grad_stays_silent(tmp_path):
    detached = _ATTN_TRAINER.replace("self.D(fake_images)  # expect GL115", "self.D(fake_images.detach())")
    _res, found, expected = _check(tmp_path, {"nets.py": _ATTN_NETS, "trainer.py": detached}, {"GL115"})
    assert found == expected == set()
    no_grad = _ATTN_TRAINER.replace(
        "            fake_images, gf1, gf2 = self.G(z)\n",
        "            with torch.no_grad():\n                fake_images, gf1, gf2 = self.G(z)\n",
    ).replace("  # expect GL115", "")
    _res, found, expected = _check(tmp_path / "ng", {"nets.py": _ATTN_NETS, "trainer.py": no_grad}, {"GL115"})
    assert found == expected == set()


_SCRIPT = """\
import torch
import torch.nn.functional as F
from nets import Discriminator, Generator

netG, netD = Generator(), Discriminator()
optD = torch.optim.Adam(netD.parameters(), lr=2e-4)
optG = torch.optim.Adam(netG.parameters(), lr=2e-4)


def d_step_pair(real, z):
    fake, _ = netG(z)
    out_fake = netD(fake)[0]  # expect GL115
    loss_d = F.softplus(out_fake).mean() + F.softplus(-netD(real)[0]).mean()
    optD.zero_grad()
    loss_d.backward()
    optD.step()


def d_step_parenthesised(real, z):
    (fake, attn) = netG(z)
    errD = F.softplus(netD(fake)[0]).mean() + F.softplus(-netD(real)[0]).mean()  # expect GL115
    optD.zero_grad()
    errD.backward()
    optD.step()


def d_step_indexed(real, z):
    fake = netG(z)[0]
    errD = F.softplus(netD(fake)[0]).mean() + F.softplus(-netD(real)[0]).mean()  # expect GL115
    optD.zero_grad()
    errD.backward()
    optD.step()


def d_step_indexed_detached(real, z):
    fake = netG(z)[0].detach()
    errD = F.softplus(netD(fake)[0]).mean() + F.softplus(-netD(real)[0]).mean()
    optD.zero_grad()
    errD.backward()
    optD.step()


def d_step_other_part(real, z):
    fake, attn = netG(z)
    mask = attn.detach()
    errD = F.softplus(netD(fake.detach() * mask)[0]).mean() + F.softplus(-netD(real)[0]).mean()
    optD.zero_grad()
    errD.backward()
    optD.step()


def g_step(z):
    fake, _ = netG(z)
    errG = F.softplus(-netD(fake)[0]).mean()
    optG.zero_grad()
    errG.backward()
    optG.step()


def encode_step(encoder, real):
    mu, logvar = encoder(real)
    loss_d = F.softplus(-netD(mu)[0]).mean()
    optD.zero_grad()
    loss_d.backward()
    optD.step()
"""


def test_pairs_parenthesised_and_indexed_generator_outputs_in_d_steps(tmp_path):
    # near misses: the indexed fake detached, a detached fake times another (detached) part, the G step's own
    # undetached fake, and an encoder's unpacked output (not a generator's) fed to D
    _res, found, expected = _check(tmp_path, {"nets.py": _ATTN_NETS, "gan.py": _SCRIPT}, {"GL115"})
    assert found == expected == {("GL115", "gan.py", 12), ("GL115", "gan.py", 21), ("GL115", "gan.py", 29)}


# -- GL202: a KL weight that is a parameter of the loss function, called from a trainer in another file -----
_ELBO = """\
import torch
import torch.nn.functional as F


def elbo_loss(recon_x, x, mu, logvar, beta=1):  # expect GL202
    \"\"\"Reconstruction + KL; call as elbo_loss(recon, x, mu, logvar, beta=0.5) for a beta-VAE.\"\"\"
    bce = F.binary_cross_entropy(recon_x, x, reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + beta * kld
"""

_VAE_TRAINER = """\
from model.loss import elbo_loss


class VAETrainer:
    def __init__(self, model, optimizer, loader):
        self.model, self.optimizer, self.loader = model, optimizer, loader

    def train_epoch(self, epoch):
        for x, _ in self.loader:
            self.optimizer.zero_grad()
            out, mu, logvar = self.model(x)
            # elbo_loss(out, x, mu, logvar, beta=2) was too strong
            loss = elbo_loss(out, x, mu, logvar)
            loss.backward()
            self.optimizer.step()
"""


_MAIN = "from trainer.trainer import VAETrainer\n\n\ndef main(model, opt, loader):\n    VAETrainer(model, opt, loader).train_epoch(0)\n"


def test_a_kl_weight_left_at_its_parameter_default_by_every_call(tmp_path):
    files = {"model/loss.py": _ELBO, "trainer/trainer.py": _VAE_TRAINER, "train.py": _MAIN}
    res, found, expected = _check(tmp_path, files, {"GL202"})
    assert found == expected == {("GL202", "loss.py", 5)}
    (f,) = [f for f in res.findings if f.code == "GL202"]
    assert (f.location.column, f.evidence["kl_weight"]) == (44, 1.0)  # at the default `1` of beta=1
    assert "default of elbo_loss()" in f.message


def test_a_kl_weight_passed_as_a_number_is_reported_at_the_call(tmp_path):
    trainer = _VAE_TRAINER.replace("elbo_loss(out, x, mu, logvar)", "elbo_loss(out, x, mu, logvar,\n"
                                   "                             beta=4)  # expect GL202")
    loss = _ELBO.replace("  # expect GL202", "")
    res, found, expected = _check(tmp_path, {"model/loss.py": loss, "trainer/trainer.py": trainer, "train.py": _MAIN},
                                  {"GL202"})
    assert found == expected == {("GL202", "trainer.py", 14)}
    (f,) = [f for f in res.findings if f.code == "GL202"]
    assert (f.location.column, f.evidence["kl_weight"]) == (35, 4.0)
    # positionally too, and a method's `self` is not counted
    method = ("import torch\n\n\nclass Loss:\n    def elbo(self, recon, x, mu, logvar, beta=1.0):\n"
              "        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())\n"
              "        return ((recon - x) ** 2).sum() + beta * kld\n\n\n"
              "def step(crit, out, x, mu, logvar):\n    return crit.elbo(out, x, mu, logvar, 0.25)  # expect GL202\n")
    _res, found, expected = _check(tmp_path / "m", {"losses.py": method}, {"GL202"})
    assert found == expected == {("GL202", "losses.py", 11)}


def test_a_kl_weight_annealed_at_its_call_or_with_unseen_callers_stays_silent(tmp_path):
    loss = _ELBO.replace("  # expect GL202", "")
    annealed = _VAE_TRAINER.replace("elbo_loss(out, x, mu, logvar)",
                                    "elbo_loss(out, x, mu, logvar, beta=min(1.0, self.step / 1000))")
    _res, found, expected = _check(tmp_path / "a", {"model/loss.py": loss, "trainer/trainer.py": annealed,
                                                    "train.py": _MAIN}, {"GL202"})
    assert found == expected == set()
    # the function handed to the trainer as a value: its calls there are not seen
    passed = ("from model.loss import elbo_loss\nfrom trainer.trainer import VAETrainer\n\n"
              "def main(model, opt, loader):\n    VAETrainer(model, opt, loader, criterion=elbo_loss).train()\n")
    _res, found, expected = _check(tmp_path / "p", {"model/loss.py": loss, "main.py": passed}, {"GL202"})
    assert found == expected == set()
    # a call that passes **kwargs may carry beta
    splat = _VAE_TRAINER.replace("elbo_loss(out, x, mu, logvar)", "elbo_loss(out, x, mu, logvar, **self.loss_args)")
    _res, found, expected = _check(tmp_path / "s", {"model/loss.py": loss, "trainer/trainer.py": splat,
                                                    "train.py": _MAIN}, {"GL202"})
    assert found == expected == set()


# -- GL105: one critic update per generator step while the critic-step setting is parsed and never read ---
_PARAMS = """\
import argparse


def get_parameters():
    parser = argparse.ArgumentParser()
    parser.add_argument('--adv_loss', type=str, default='wgan-gp', choices=['wgan-gp', 'hinge'])
    parser.add_argument('--z_dim', type=int, default=64)
    parser.add_argument('--lambda_gp', type=float, default=10)
    parser.add_argument('--total_step', type=int, default=100000)
    parser.add_argument('--d_iters', type=int, default=5)
    parser.add_argument('--g_lr', type=float, default=0.0001)
    parser.add_argument('--d_lr', type=float, default=0.0001)
    return parser.parse_args()
"""

_MAIN_105 = """\
from parameter import get_parameters
from trainer import Trainer

if __name__ == '__main__':
    config = get_parameters()
    Trainer(config).train()
"""

_WGAN_TRAINER = """\
import torch
import torch.nn as nn


class Trainer(object):
    def __init__(self, config):
        self.adv_loss = config.adv_loss
        self.z_dim = config.z_dim
        self.lambda_gp = config.lambda_gp
        self.total_step = config.total_step
        self.d_iters = config.d_iters
        self.G = nn.Sequential(nn.Linear(self.z_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())
        self.D = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
        self.g_optimizer = torch.optim.Adam(self.G.parameters(), config.g_lr, [0.0, 0.9])
        self.d_optimizer = torch.optim.Adam(self.D.parameters(), config.d_lr, [0.0, 0.9])

    def reset_grad(self):
        self.d_optimizer.zero_grad()
        self.g_optimizer.zero_grad()

    def train(self, loader):
        data_iter = iter(loader)
        for step in range(self.total_step):  # expect GL105
            try:
                real, _ = next(data_iter)
            except StopIteration:
                data_iter = iter(loader)
                real, _ = next(data_iter)
            z = torch.randn(real.size(0), self.z_dim)
            fake = self.G(z)
            d_loss = self.D(fake.detach()).mean() - self.D(real).mean()
            self.reset_grad()
            d_loss.backward()
            self.d_optimizer.step()
            if self.adv_loss == 'wgan-gp':
                alpha = torch.rand(real.size(0), 1)
                x_hat = (alpha * real.data + (1 - alpha) * fake.data).requires_grad_(True)
                grad = torch.autograd.grad(self.D(x_hat).sum(), x_hat, create_graph=True)[0]
                d_loss_gp = ((grad.norm(2, dim=1) - 1) ** 2).mean()
                d_loss = self.lambda_gp * d_loss_gp
                self.reset_grad()
                d_loss.backward()
                self.d_optimizer.step()
            g_loss = -self.D(self.G(torch.randn(real.size(0), self.z_dim))).mean()
            self.reset_grad()
            g_loss.backward()
            self.g_optimizer.step()
"""


def _project(trainer=_WGAN_TRAINER, params=_PARAMS, main=_MAIN_105):
    return {"parameter.py": params, "trainer.py": trainer, "main.py": main}


def test_a_critic_updated_once_per_generator_step_while_d_iters_is_never_read(tmp_path):
    res, found, expected = _check(tmp_path, _project(), {"GL105"})
    assert found == expected == {("GL105", "trainer.py", 23)}
    (f,) = [f for f in res.findings if f.code == "GL105"]
    assert "d_iters = 5 (parameter.py:10) is never read" in f.message
    assert [(r.file.rsplit("/", 1)[-1], r.line) for r in f.related] == [("parameter.py", 10)]
    # the same loop written as `while step < total:`
    looped = _WGAN_TRAINER.replace("        for step in range(self.total_step):  # expect GL105\n",
                                   "        step = 0\n        while step < self.total_step:  # expect GL105\n"
                                   "            step += 1\n")
    _res, found, expected = _check(tmp_path / "w", _project(looped), {"GL105"})
    assert found == expected == {("GL105", "trainer.py", 24)}


def test_the_critic_step_setting_read_by_a_loop_a_condition_or_a_parameter_stays_silent(tmp_path):
    marked = _WGAN_TRAINER.replace("  # expect GL105", "")
    d_step = ("            fake = self.G(z)\n            d_loss = self.D(fake.detach()).mean() - self.D(real).mean()\n"
              "            self.reset_grad()\n            d_loss.backward()\n            self.d_optimizer.step()\n")
    looped = marked.replace(d_step, "            for _ in range(self.d_iters):\n"
                            + "".join("    " + ln + "\n" for ln in d_step.splitlines()))
    assert looped != marked
    every_n = marked.replace("            g_loss = -self.D(", "            if step % self.d_iters:\n                continue\n"
                             "            g_loss = -self.D(")
    assert every_n != marked
    by_param = marked.replace("    def train(self, loader):", "    def train(self, loader, d_iters=1):")
    by_string = marked.replace("        self.d_iters = config.d_iters\n",
                               "        self.d_iters = config.d_iters\n        self.log('d_iters', getattr(self, 'd_iters'))\n")
    for i, trainer in enumerate((looped, every_n, by_param, by_string)):
        _res, found, expected = _check(tmp_path / str(i), _project(trainer), {"GL105"})
        assert found == expected == set(), i


def test_hinge_ttur_and_unknown_loss_choices_stay_silent(tmp_path):
    marked = _WGAN_TRAINER.replace("  # expect GL105", "")
    # the flag's default selects the hinge loss (the penalty branch does not run)
    hinge = _PARAMS.replace("default='wgan-gp', choices", "default='hinge', choices")
    # the loss flag has no default: which loss trains is not written
    unknown = _PARAMS.replace("default='wgan-gp', choices", "choices")
    # a default from a module constant is read
    constant = "LOSS = 'hinge'\n" + _PARAMS.replace("default='wgan-gp', choices", "default=LOSS, choices")
    # TTUR: the critic's own learning rate instead of n_critic, and no critic-step setting at all
    ttur = _PARAMS.replace("    parser.add_argument('--d_iters', type=int, default=5)\n", "").replace(
        "'--d_lr', type=float, default=0.0001", "'--d_lr', type=float, default=0.0004")
    ttur_trainer = marked.replace("        self.d_iters = config.d_iters\n", "")
    cases = [(hinge, marked), (unknown, marked), (constant, marked), (ttur, ttur_trainer)]
    for i, (params, trainer) in enumerate(cases):
        _res, found, expected = _check(tmp_path / str(i), _project(trainer, params), {"GL105"})
        assert found == expected == set(), i
    # the same module constant naming the Wasserstein loss is read too
    wgan = "LOSS = 'wgan-gp'\n" + _PARAMS.replace("default='wgan-gp', choices", "default=LOSS, choices")
    _res, found, _expected = _check(tmp_path / "w", _project(params=wgan), {"GL105"})
    assert found == {("GL105", "trainer.py", 23)}


def test_a_standard_gan_with_an_unused_critic_step_flag_stays_silent(tmp_path):
    # one script, no penalty and no clipping: a hinge GAN's one D step per G step is its own balance
    script = (_PARAMS.replace("    parser.add_argument('--adv_loss', type=str, default='wgan-gp', choices=['wgan-gp', 'hinge'])\n", "")
              .replace("    parser.add_argument('--d_iters', type=int, default=5)\n", "    parser.add_argument('--n_critic', type=int, default=5)\n")
              + "\n\nimport torch\nimport torch.nn.functional as F\n\n\n"
              "def train(G, D, opt_d, opt_g, loader, z_dim):\n"
              "    for real in loader:\n"
              "        fake = G(torch.randn(real.size(0), z_dim))\n"
              "        d_loss = F.relu(1.0 - D(real)).mean() + F.relu(1.0 + D(fake.detach())).mean()\n"
              "        opt_d.zero_grad()\n        d_loss.backward()\n        opt_d.step()\n"
              "        g_loss = -D(fake).mean()\n"
              "        opt_g.zero_grad()\n        g_loss.backward()\n        opt_g.step()\n")
    _res, found, expected = _check(tmp_path, {"hinge_gan.py": script}, {"GL105"})
    assert found == expected == set()


def test_a_step_function_called_once_per_loop_iteration(tmp_path):
    # the iteration's body moved into a method of its own, called from the loop
    body_start = _WGAN_TRAINER.index("            z = torch.randn(real.size(0), self.z_dim)\n")
    body = _WGAN_TRAINER[body_start:]
    head = _WGAN_TRAINER[:body_start].replace("  # expect GL105", "")
    step_fn = "".join(ln[4:] + "\n" for ln in body.splitlines())
    trainer = (head + "            self.train_step(real, step)\n\n"
               "    def train_step(self, real, step):  # expect GL105\n" + step_fn)
    res, found, expected = _check(tmp_path, _project(trainer), {"GL105"})
    assert found == expected and len(found) == 1
    (f,) = [f for f in res.findings if f.code == "GL105"]
    assert f.message.startswith("train_step(), called once per loop iteration, updates the critic once")
    # near miss: the same step function, called by a framework (no loop of the project calls it)
    framework = trainer.replace("            self.train_step(real, step)\n", "            pass\n").replace(
        "  # expect GL105", "")
    _res, found, expected = _check(tmp_path / "f", _project(framework), {"GL105"})
    assert found == expected == set()
