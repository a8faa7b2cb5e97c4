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
