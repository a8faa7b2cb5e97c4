"""GAN training-loop patterns of public code: a generated batch reached through a helper defined further down
or an explicit `.forward`, the critic/generator ratio written as `if step % k == 0:` around the generator's
step, a literal penalty weight, and clipping and a penalty on exclusive branches of one flag. Each comes with
near misses that must stay silent. Written in the styles real repositories use (not copied from any); a
trailing `# expect GLnnn` marks each line where that finding must be reported, and for the codes a test names
the findings must be exactly the marked lines.
"""
from __future__ import annotations

from expect_marks import _check  # tests/reading is on sys.path under pytest (no __init__.py)


# -- GL115: the fake batch comes from a sampling method defined below the step that uses it ------------
_TRAINER = """\
import torch


class Trainer:
    def __init__(self, gen, critic, opt_gen, opt_critic, z_dim=32):
        self.gen = gen
        self.critic = critic
        self.opt_gen = opt_gen
        self.opt_critic = opt_critic
        self.z_dim = z_dim

    def fit(self, loader):
        for real in loader:
            self._critic_step(real)
            self._gen_step(real.size(0))

    def _critic_step(self, real):
        fake = self._draw(real.size(0))
        loss = self.critic(fake).mean() - self.critic(real).mean()  # expect GL115
        self.opt_critic.zero_grad()
        loss.backward()
        self.opt_critic.step()

    def _gen_step(self, n):
        fake = self._draw(n)
        loss = -self.critic(fake).mean()
        self.opt_gen.zero_grad()
        loss.backward()
        self.opt_gen.step()

    def _draw(self, n):
        z = torch.randn(n, self.z_dim)
        return self.gen(z)
"""


def test_a_sampling_method_defined_below_the_critic_step_is_a_live_generated_batch(tmp_path):
    _, found, expected = _check(tmp_path / "live", {"trainer.py": _TRAINER}, {"GL115"})
    assert found == expected == {("GL115", "trainer.py", 19)}
    # near misses: the method below detaches, turns gradients off, or returns no generator output
    detached = _TRAINER.replace("        return self.gen(z)\n", "        return self.gen(z).detach()\n")
    no_grad = _TRAINER.replace("        return self.gen(z)\n",
                               "        with torch.no_grad():\n            out = self.gen(z)\n        return out\n")
    real_data = _TRAINER.replace("        return self.gen(z)\n", "        return self.pool.take(n)\n")
    for i, text in enumerate((detached, no_grad, real_data)):
        _, found, _ = _check(tmp_path / str(i), {"trainer.py": text.replace("  # expect GL115", "")}, {"GL115"})
        assert found == set(), (i, found)


_SCRIPT_HELPER_BELOW = """\
import torch


def train(netG, netD, opt_d, loader):
    for real in loader:
        fake = make_batch(netG, real.size(0))
        d_loss = netD(fake).mean() - netD(real).mean()  # expect GL115
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()


def make_batch(netG, n):
    noise = torch.randn(n, 16)
    images = netG(noise)
    return images.view(n, -1)
"""


def test_a_module_function_defined_below_the_loop_returning_g_of_z_is_followed(tmp_path):
    _, found, expected = _check(tmp_path, {"train.py": _SCRIPT_HELPER_BELOW}, {"GL115"})
    assert found == expected == {("GL115", "train.py", 7)}
    silent = _SCRIPT_HELPER_BELOW.replace("  # expect GL115", "").replace(
        "    images = netG(noise)\n", "    images = netG(noise).detach()\n")
    _, found, _ = _check(tmp_path / "near", {"train.py": silent}, {"GL115"})
    assert found == set()


# -- GL115: an explicit `.forward` call, and torch.Tensor(fake) as an alias that keeps the graph ----------
_FORWARD_STYLE = """\
import numpy as np
import torch


class TabularGAN:
    def __init__(self, generator, discriminator, n_features):
        self.generator = generator
        self.discriminator = discriminator
        self.n_features = n_features

    def step_discriminator(self, disc_optimizer, real):
        noise = torch.FloatTensor(np.random.normal(0, 1, (real.shape[0], self.n_features)))
        generated = self.generator.forward(noise)
        generated = torch.FloatTensor(generated)
        score_fake = self.discriminator.forward(generated)  # expect GL115
        score_real = self.discriminator.forward(real)
        loss = torch.mean(score_fake) - torch.mean(score_real)
        disc_optimizer.zero_grad()
        loss.backward()
        disc_optimizer.step()

    def step_generator(self, gen_optimizer, n):
        noise = torch.FloatTensor(np.random.normal(0, 1, (n, self.n_features)))
        generated = torch.Tensor(self.generator.forward(noise))
        loss = -torch.mean(self.discriminator.forward(generated))
        gen_optimizer.zero_grad()
        loss.backward()
        gen_optimizer.step()
"""


def test_an_explicit_forward_call_and_a_tensor_constructor_alias_keep_the_generator_graph(tmp_path):
    _, found, expected = _check(tmp_path / "live", {"process.py": _FORWARD_STYLE}, {"GL115"})
    assert found == expected == {("GL115", "process.py", 15)}
    # near misses: the forward output detached, or copied by torch.tensor (no graph)
    base = _FORWARD_STYLE.replace("  # expect GL115", "")
    detached = base.replace("generated = self.generator.forward(noise)\n",
                            "generated = self.generator.forward(noise).detach()\n")
    copied = base.replace("generated = torch.FloatTensor(generated)\n", "generated = torch.tensor(generated.tolist())\n")
    for i, text in enumerate((detached, copied)):
        _, found, _ = _check(tmp_path / str(i), {"process.py": text}, {"GL115"})
        assert found == set(), (i, found)


# -- GL105: the generator steps only every k-th batch (`if i % k == 0:`), the critic every batch ------------
_PENALTY = """\
def penalty(critic, real, fake):
    eps = torch.rand(real.size(0), 1)
    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
    grads = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)[0]
    return ((grads.norm(2, dim=1) - 1) ** 2).mean()


"""

_EVERY_KTH = """\
import argparse
import torch

parser = argparse.ArgumentParser()
parser.add_argument('--gen_every', type=int, default=3)  # expect GL105
args = parser.parse_args()


""" + _PENALTY + """\
def train(gen, critic, opt_g, opt_critic, loader, epochs):
    for epoch in range(epochs):
        for step, real in enumerate(loader):
            fake = gen(torch.randn(real.size(0), 16)).detach()
            loss_c = critic(fake).mean() - critic(real).mean() + 10 * penalty(critic, real, fake)
            opt_critic.zero_grad()
            loss_c.backward()
            opt_critic.step()
            if step % args.gen_every == 0:
                loss_g = -critic(gen(torch.randn(real.size(0), 16))).mean()
                opt_g.zero_grad()
                loss_g.backward()
                opt_g.step()
"""


def test_a_generator_step_every_kth_batch_is_k_critic_updates_per_generator_step(tmp_path):
    _, found, expected = _check(tmp_path / "flag", {"train.py": _EVERY_KTH}, {"GL105"})
    assert found == expected == {("GL105", "train.py", 5)}
    # the ratio written as a literal in the guard, as `(i + 1) % k`, and on a counter the loop increments
    literal = _EVERY_KTH.replace("  # expect GL105", "").replace(
        "            if step % args.gen_every == 0:", "            if (step + 1) % 2 == 0:  # expect GL105")
    _, found, expected = _check(tmp_path / "literal", {"train.py": literal}, {"GL105"})
    assert found == expected == {("GL105", "train.py", 24)}
    counter = literal.replace("    for epoch in range(epochs):\n", "    global_step = 0\n    for epoch in range(epochs):\n").replace(
        "        for step, real in enumerate(loader):\n", "        for real in loader:\n            global_step += 1\n").replace(
        "(step + 1) % 2 == 0", "not global_step % 2")
    _, found, expected = _check(tmp_path / "counter", {"train.py": counter}, {"GL105"})
    assert found == expected == {("GL105", "train.py", 26)}
    # near misses: the ratio asked for; a counter that is not the batch index; a critic step that runs only
    # sometimes; a standard (BCE) GAN, where n_critic does not apply
    base = _EVERY_KTH.replace("  # expect GL105", "")
    five = base.replace("default=3", "default=5")
    not_the_index = base.replace("if step % args.gen_every == 0:", "if epoch % args.gen_every == 0:")
    critic_guarded = base.replace("            opt_critic.step()\n", "            if real.size(0) > 1:\n                opt_critic.step()\n")
    standard = base.replace("critic(fake).mean() - critic(real).mean() + 10 * penalty(critic, real, fake)",
                            "torch.nn.functional.binary_cross_entropy_with_logits(critic(fake), torch.zeros(real.size(0), 1))")
    standard = standard.replace(_PENALTY, "")
    for i, text in enumerate((five, not_the_index, critic_guarded, standard)):
        _, found, _ = _check(tmp_path / str(i), {"train.py": text}, {"GL105"})
        assert found == set(), (i, found)


_TRAINER_EVERY_KTH = """\
import argparse
import torch

parser = argparse.ArgumentParser()
parser.add_argument('--g_interval', type=int, default=2)  # expect GL105
args = parser.parse_args()


class WGANTrainer:
    def __init__(self, netG, netD, optG, optD, opt):
        self.netG, self.netD, self.optG, self.optD = netG, netD, optG, optD
        self.g_interval = opt.g_interval
        self.iters = 0

    def run_epoch(self, loader):
        for real in loader:
            self.iters += 1
            self._step_critic(real)
            if self.iters % self.g_interval == 0:
                self._step_generator(real.size(0))

    def _step_critic(self, real):
        fake = self.netG(torch.randn(real.size(0), 32)).detach()
        loss_d = self.netD(fake).mean() - self.netD(real).mean()
        self.optD.zero_grad()
        loss_d.backward()
        self.optD.step()
        for p in self.netD.parameters():
            p.data.clamp_(-0.01, 0.01)

    def _step_generator(self, n):
        loss_g = -self.netD(self.netG(torch.randn(n, 32))).mean()
        self.optG.zero_grad()
        loss_g.backward()
        self.optG.step()


WGANTrainer(None, None, None, None, args).run_epoch([])
"""


def test_a_trainer_stepping_the_generator_every_kth_iteration_reads_k_through_its_attribute(tmp_path):
    _, found, expected = _check(tmp_path / "two", {"wgan.py": _TRAINER_EVERY_KTH}, {"GL105"})
    assert found == expected == {("GL105", "wgan.py", 5)}
    five = _TRAINER_EVERY_KTH.replace("default=2)  # expect GL105", "default=5)")
    _, found, _ = _check(tmp_path / "five", {"wgan.py": five}, {"GL105"})
    assert found == set()


# -- GL107: a number written in the loss as the penalty's multiplier is λ --------------------------------
_LITERAL_WEIGHT = """\
import torch


""" + _PENALTY + """\
def critic_update(gen, critic, opt_critic, real):
    fake = gen(torch.randn(real.size(0), 16)).detach()
    loss_c = critic(fake).mean() - critic(real).mean()
    loss_c = loss_c + 0.1 * penalty(critic, real, fake)  # expect GL107
    opt_critic.zero_grad()
    loss_c.backward()
    opt_critic.step()
"""


def test_a_literal_multiplying_the_gradient_penalty_is_its_weight(tmp_path):
    _, found, expected = _check(tmp_path / "low", {"wgan_gp.py": _LITERAL_WEIGHT}, {"GL107"})
    assert found == expected == {("GL107", "wgan_gp.py", 14)}
    # a helper named for the penalty, defined in another file
    helper = _LITERAL_WEIGHT.replace(_PENALTY, "from losses import gradient_penalty\n\n\n").replace(
        "0.1 * penalty(", "0.1 * gradient_penalty(")
    files = {"wgan_gp.py": helper, "losses.py": "import torch\n\n\n" + _PENALTY.replace("def penalty(", "def gradient_penalty(")}
    _, found, expected = _check(tmp_path / "named", files, {"GL107"})
    assert found == expected == {("GL107", "wgan_gp.py", 10)}
    # the (||g|| - 1)^2 term itself, multiplied by 50, held in a name first
    inline = _LITERAL_WEIGHT.replace("    loss_c = loss_c + 0.1 * penalty(critic, real, fake)  # expect GL107\n", (
        "    eps = torch.rand(real.size(0), 1)\n"
        "    mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)\n"
        "    grads = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)[0]\n"
        "    gp = ((grads.norm(2, dim=1) - 1) ** 2).mean()\n"
        "    loss_c = loss_c + gp * 50  # expect GL107\n"))
    _, found, expected = _check(tmp_path / "inline", {"wgan_gp.py": inline}, {"GL107"})
    assert found == expected == {("GL107", "wgan_gp.py", 18)}
    # near misses: λ = 10 as a literal; a literal multiplying another regulariser (R1's one-sided penalty)
    ten = _LITERAL_WEIGHT.replace("0.1 * penalty(", "10 * gradient_penalty(").replace("def penalty(", "def gradient_penalty(")
    r1 = _LITERAL_WEIGHT.replace("def penalty(", "def r1_penalty(").replace("0.1 * penalty(", "0.1 * r1_penalty(").replace(
        "((grads.norm(2, dim=1) - 1) ** 2).mean()", "grads.pow(2).sum(1).mean()")
    for i, text in enumerate((ten, r1)):
        _, found, _ = _check(tmp_path / str(i), {"wgan_gp.py": text.replace("  # expect GL107", "")}, {"GL107"})
        assert found == set(), (i, found)


# -- GL114: clipping and a penalty on exclusive arms of one flag never constrain the same critic ----------
_ONE_SCRIPT_TWO_MODES = """\
import argparse
import torch

parser = argparse.ArgumentParser()
parser.add_argument('--mode', default='wgan-gp', choices=['wgan', 'wgan-gp'])
args = parser.parse_args()


""" + _PENALTY + """\
def train(gen, critic, opt_g, opt_critic, loader):
    for real in loader:
        for _ in range(5):
            fake = gen(torch.randn(real.size(0), 16)).detach()
            loss_c = critic(fake).mean() - critic(real).mean()
            if args.mode == 'wgan-gp':
                loss_c = loss_c + 10 * penalty(critic, real, fake)
            opt_critic.zero_grad()
            loss_c.backward()
            opt_critic.step()
            if args.mode == 'wgan':
                for p in critic.parameters():
                    p.data.clamp_(-0.01, 0.01)
        loss_g = -critic(gen(torch.randn(real.size(0), 16))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
"""

_CLAMP = "                    p.data.clamp_(-0.01, 0.01)\n"


def test_clipping_and_a_penalty_in_exclusive_arms_of_one_flag_are_silent(tmp_path):
    # one if statement: the penalty in its arm, the clipping in its else arm (a boolean flag)
    else_arm = _ONE_SCRIPT_TWO_MODES.replace(
        "            if args.mode == 'wgan':\n                for p in critic.parameters():\n" + _CLAMP, "").replace(
        "            if args.mode == 'wgan-gp':\n                loss_c = loss_c + 10 * penalty(critic, real, fake)\n",
        "            if args.use_gp:\n                loss_c = loss_c + 10 * penalty(critic, real, fake)\n"
        "            else:\n                for p in critic.parameters():\n" + _CLAMP)
    assert else_arm.count("clamp_") == 1
    inline = _ONE_SCRIPT_TWO_MODES.replace(_PENALTY, "").replace(
        "                loss_c = loss_c + 10 * penalty(critic, real, fake)\n",
        "                mixed = (0.5 * real + 0.5 * fake).requires_grad_(True)\n"
        "                grads = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)[0]\n"
        "                loss_c = loss_c + 10 * ((grads.norm(2, dim=1) - 1) ** 2).mean()\n")
    for i, text in enumerate((_ONE_SCRIPT_TWO_MODES, else_arm, inline)):
        _, found, _ = _check(tmp_path / str(i), {"train.py": text}, {"GL114"})
        assert found == set(), (i, found)
    # near misses that run both on one critic: overlapping values, a second call outside the arms, another flag
    overlap = _ONE_SCRIPT_TWO_MODES.replace("if args.mode == 'wgan':", "if args.mode in ('wgan', 'wgan-gp'):")
    twice = _ONE_SCRIPT_TWO_MODES.replace("            opt_critic.zero_grad()\n",
                                          "            print(penalty(critic, real, fake).item())\n"
                                          "            opt_critic.zero_grad()\n")
    other_flag = _ONE_SCRIPT_TWO_MODES.replace("if args.mode == 'wgan':", "if args.clip:")
    for i, text in enumerate((overlap, twice, other_flag)):
        marked = text.replace(_CLAMP, _CLAMP.rstrip("\n") + "  # expect GL114\n")
        _, found, expected = _check(tmp_path / f"both{i}", {"train.py": marked}, {"GL114"})
        assert found == expected and len(expected) == 1, (i, found, expected)
