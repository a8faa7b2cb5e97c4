"""GL115 fake-not-detached: the discriminator step back-propagates into the generator (paper)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import replace_code, segment
from ganlint.reading.facts import ProjectFacts


class FakeNotDetached(Rule):
    code = "GL115"
    slug = "fake-not-detached"
    severity = Severity.ERROR
    summary = "The critic/discriminator loss uses `G(z)` without `.detach()` or `torch.no_grad()`, so its backward pass runs into the generator."
    why = (
        "The discriminator's loss wants D(G(z)) low; back-propagated into G (which shares the graph when the "
        "fake batch is not detached), it computes gradients that push the generator *towards* being "
        "detected. Those gradients accumulate in G's `.grad` unless zeroed before the generator step, and the "
        "backward pass through G doubles the cost of every discriminator update."
    )
    use_instead = "`loss_d = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)`, or generate the D batch under `torch.no_grad()`."
    source = "paper"
    families = ("gan", "wgan", "wgan-gp")
    options: dict[str, Any] = {}

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        for u in facts.code.undetached_fakes:
            call = segment(facts.texts, u.location)
            same_line = u.location.line == u.location.end_line == u.fake_location.line == u.fake_location.end_line
            if call and same_line:
                # rewrite the whole D(...) call (unique on its line) so the edit survives line shifts
                i = u.fake_location.column - u.location.column
                new = call[:i] + f"{u.fake_src}.detach()" + call[i + len(u.fake_src):]
                edit = replace_code(u.location, call, new)
            else:
                edit = replace_code(u.fake_location, u.fake_src, f"{u.fake_src}.detach()")
            yield self.finding(
                f"the discriminator loss uses `{u.fake_src}` (a generator output) without .detach(): its "
                "backward pass runs into the generator; use "
                f"`{u.fake_src}.detach()`",
                u.location,
                related=[u.generated_at] if u.generated_at else [],
                fix=Fix(f"detach {u.fake_src} in the discriminator step", [edit]),
                evidence={"fake": u.fake_src},
            )

    bad = [
        Example(
            {
                "train.py": (
                    "import torch\nimport torch.nn as nn\nfrom model import Discriminator, Generator\n\n"
                    "def main(cfg):\n"
                    "    G = Generator(cfg['z_dim'])\n"
                    "    D = Discriminator()\n"
                    "    criterion = nn.BCEWithLogitsLoss()\n"
                    "    for real in loader:\n"
                    "        fake = G(torch.randn(64, 16))\n"
                    "        loss_d = criterion(D(real), ones) + criterion(D(fake), zeros)  # expect\n"
                    "        loss_d.backward()\n"
                ),
            },
            "document 002's loop",
        ),
        Example(
            {
                "train.py": (
                    "import torch\n\n"
                    "def critic_step(gen, critic, real, z):\n"
                    "    fake = gen(z)\n"
                    "    d_loss = critic(fake).mean() - critic(real).mean()  # expect\n"
                    "    return d_loss\n\n"
                    "def dcgan_step(netG, netD, criterion, noise, label):\n"
                    "    fake = netG(noise)\n"
                    "    output = netD(fake).view(-1)  # expect\n"
                    "    errD_fake = criterion(output, label)\n"
                    "    return errD_fake\n"
                ),
            },
            "WGAN critic loss; DCGAN tutorial's errD_fake without detach",
        ),
        Example(
            {
                "gan_script.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def G(z):\n    return torch.sigmoid(z @ Wg)\n\n"
                    "def D(x):\n    return torch.sigmoid(x @ Wd)\n\n"
                    "g_opt = torch.optim.Adam(g_params, lr=2e-4)\n"
                    "d_opt = torch.optim.Adam(d_params, lr=2e-4)\n"
                    "for it in range(1000):\n"
                    "    sample = G(torch.randn(64, 8))\n"
                    "    out_real, out_fake = D(batch), D(sample)  # expect\n"
                    "    part_fake = F.binary_cross_entropy(out_fake, torch.full_like(out_fake, 0.1))\n"
                    "    total = F.binary_cross_entropy(out_real, torch.ones_like(out_real)) + part_fake\n"
                    "    total.backward()\n"
                    "    d_opt.step()\n"
                    "    d_opt.zero_grad()\n"
                ),
            },
            "a script with unrevealing names: the loss is the D step's because d_opt steps after its backward",
        ),
        Example(
            {
                "vaegan.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def train_step(vae, netD, opt_enc_dec, opt_dis, x):\n"
                    "    mu, logvar = vae.encode(x)\n"
                    "    z = mu + torch.exp(0.5 * logvar.clamp(-10, 10)) * torch.randn_like(mu)\n"
                    "    x_tilde = vae.decode(z)\n"
                    "    d_real, d_fake = netD(x), netD(x_tilde)  # expect\n"
                    "    loss_dis = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \\\n"
                    "        F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))\n"
                    "    opt_dis.zero_grad()\n    loss_dis.backward()\n    opt_dis.step()\n"
                ),
            },
            "a VAE-GAN: the decoder's reconstruction is the fake of the discriminator step",
        ),
    ]
    good = [
        Example(
            {
                "train.py": (
                    "import torch\n\n"
                    "def step(G, D, criterion, real, z, ones, zeros):\n"
                    "    fake = G(z)\n"
                    "    loss_d = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)\n"
                    "    loss_g = criterion(D(fake), ones)\n"
                    "    with torch.no_grad():\n"
                    "        fake2 = G(z)\n"
                    "    d_loss = D(fake2).mean() - D(real).mean()\n"
                    "    return loss_d, loss_g, d_loss\n"
                ),
            },
            "detached, under no_grad, and the generator's own loss",
        ),
        Example(
            {
                "train.py": (
                    "import torch\n\n"
                    "def critic_step(gen, critic, real, z):\n"
                    "    fake = gen(z).detach()\n"
                    "    loss_critic = critic(fake).mean() - critic(real).mean()\n"
                    "    return loss_critic\n\n"
                    "def gen_step(gen, critic, z):\n"
                    "    loss_g = -critic(gen(z)).mean()\n"
                    "    return loss_g\n"
                ),
            },
            "document 000's WGAN-GP loop",
        ),
        Example(
            {
                "train.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def train(gen, disc, opt_gen, opt_disc, x, z):\n"
                    "    fake = gen(z)\n"
                    "    score_fake = disc(fake.detach())\n"
                    "    loss = F.softplus(score_fake).mean() + F.softplus(-disc(x)).mean()\n"
                    "    opt_disc.zero_grad()\n    loss.backward()\n    opt_disc.step()\n"
                    "    loss = F.softplus(-disc(fake)).mean()\n"
                    "    opt_gen.zero_grad()\n    loss.backward()\n    opt_gen.step()\n"
                ),
            },
            "one name for both losses: the second `loss` is the G step's (opt_gen steps after it)",
        ),
        Example(
            {
                "gan_tf.py": (
                    "import tensorflow as tf\n\n"
                    "G_sample = generator(Z)\n"
                    "D_real, D_logit_real = discriminator(X)\n"
                    "D_fake, D_logit_fake = discriminator(G_sample)\n"
                    "D_loss = -tf.reduce_mean(tf.log(D_real) + tf.log(1. - D_fake))\n"
                    "D_solver = tf.train.AdamOptimizer().minimize(D_loss, var_list=theta_D)\n"
                ),
            },
            "TensorFlow: minimize(var_list=theta_D) never reaches the generator",
        ),
    ]


RULE = FakeNotDetached()
