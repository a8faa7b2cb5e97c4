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
    ]


RULE = FakeNotDetached()
