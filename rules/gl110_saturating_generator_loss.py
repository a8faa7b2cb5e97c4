"""GL110 saturating-generator-loss: a standard GAN generator minimises log(1 - D(G(z))) (document 002 §2, §3(2))."""
from __future__ import annotations

import re
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import replace_code, segment
from ganlint.reading.facts import ProjectFacts

_MODELS = (
    "import torch.nn as nn\n\n"
    "class Generator(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.net = nn.Linear(16, 2)\n\n"
    "class Discriminator(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.net = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())\n"
)


class SaturatingGeneratorLoss(Rule):
    code = "GL110"
    slug = "saturating-generator-loss"
    severity = Severity.WARNING
    summary = "A standard GAN generator minimises the saturating loss `log(1 - D(G(z)))`."
    why = (
        "Early in training the discriminator rejects generated samples with confidence, D(G(z)) ≈ 0, where "
        "log(1 - D) is flat: the generator's gradient vanishes exactly when it most needs to learn. "
        "Minimising -log D(G(z)) has the same fixed point but steep gradients there (document 002 §3(2))."
    )
    use_instead = "`loss_g = -torch.log(D(G(z))).mean()`, or with logits `F.binary_cross_entropy_with_logits(D(G(z)), ones)`."
    source = "002 §2, §3(2)"
    families = ("gan",)
    options: dict[str, Any] = {}
    fix_stage = 1

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        for loss in facts.code.losses:
            if loss.kind != "saturating":
                continue
            old = segment(facts.texts, loss.location)
            # only a log(1 - D) expression is rewritten: a loss built from a helper's terms (`loss_decoder = mse -
            # c * loss_dis`) is changed by hand, in the helper and its caller together
            written = bool(old) and "log" in old.split("(", 1)[0] and "=" not in old
            edits = [replace_code(loss.location, old, f"-torch.log({loss.arg_src})")] if written and loss.arg_src else []
            yield self.finding(
                f"the generator minimises the saturating loss `{loss.src}`: its gradient vanishes while the "
                f"discriminator rejects fakes; minimise -log({loss.arg_src}) instead",
                loss.location,
                fix=Fix("use the non-saturating loss -log D(G(z))", edits, safe=False),
                evidence={"expression": loss.src},
            )

    bad = [
        Example(
            {
                "model.py": _MODELS,
                "train.py": (
                    "import torch\nfrom model import Discriminator, Generator\n\n"
                    "def step(G, D, opt_g, z):\n"
                    "    loss_g = torch.log(1 - D(G(z))).mean()  # expect\n"
                    "    opt_g.zero_grad()\n"
                    "    loss_g.backward()\n"
                    "    opt_g.step()\n"
                ),
            },
            "document 002: the textbook minimax form",
            fixed=[("train.py", "    loss_g = torch.log(1 - D(G(z))).mean()  # expect\n", "    loss_g = -torch.log(D(G(z))).mean()  # expect\n")],
        ),
        Example(
            {
                "model.py": _MODELS,
                "train.py": (
                    "import torch\n\n"
                    "def g_step(netG, netD, z):\n"
                    "    fake = netG(z)\n"
                    "    return torch.log1p(-netD(fake)).mean()  # expect\n"
                ),
            },
            "log1p(-D(fake))",
            fixed=[("train.py", "    return torch.log1p(-netD(fake)).mean()  # expect\n", "    return -torch.log(netD(fake)).mean()  # expect\n")],
        ),
        Example(
            {
                "toy_gan.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "G = nn.Sequential(nn.Linear(5, 64), nn.ReLU(), nn.Linear(64, 2))\n"
                    "D = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 1), nn.Sigmoid())\n"
                    "opt_D = torch.optim.Adam(D.parameters(), lr=1e-4)\n"
                    "opt_G = torch.optim.Adam(G.parameters(), lr=1e-4)\n"
                    "for step in range(1000):\n"
                    "    fakes = G(torch.randn(32, 5))\n"
                    "    p_real = D(real_points())\n"
                    "    p_fake = D(fakes)\n"
                    "    D_loss = -torch.mean(torch.log(p_real) + torch.log(1. - p_fake))\n"
                    "    G_loss = torch.mean(torch.log(1. - p_fake))  # expect\n"
                    "    opt_D.zero_grad()\n    D_loss.backward(retain_graph=True)\n    opt_D.step()\n"
                    "    opt_G.zero_grad()\n    G_loss.backward()\n    opt_G.step()\n"
                ),
            },
            "a module-level script: D's probability held in a name, torch.mean(torch.log(1. - prob))",
            fixed=[('    G_loss = torch.mean(torch.log(1. - p_fake))  # expect\n', '    G_loss = torch.mean(-torch.log(D(fakes)))  # expect\n')]),
        Example(
            {
                "model.py": _MODELS,
                "train.py": (
                    "import torch\n\n"
                    "def g_step(G, D, z):\n"
                    "    return torch.mean(torch.log((1 - D(G(z))) + 1e-8))  # expect\n"
                ),
            },
            "an epsilon inside the log keeps log(0) away, not the flat gradient; the fix keeps it",
            fixed=[("train.py", "    return torch.mean(torch.log((1 - D(G(z))) + 1e-8))  # expect\n",
                    "    return torch.mean(-torch.log(D(G(z)) + 1e-8))  # expect\n")]),
    ]
    good = [
        Example(
            {
                "model.py": _MODELS,
                "train.py": (
                    "import torch\n\n"
                    "def step(G, D, z):\n"
                    "    return -torch.log(D(G(z))).mean()\n"
                ),
            },
            "non-saturating",
        ),
        Example(
            {
                "model.py": _MODELS,
                "train.py": (
                    "import torch\n\n"
                    "def d_step(G, D, real, z):\n"
                    "    fake = G(z).detach()\n"
                    "    loss_d = -(torch.log(D(real)) + torch.log(1 - D(fake))).mean()\n"
                    "    return loss_d\n"
                ),
            },
            "the discriminator's own loss contains log(1 - D(G(z)))",
        ),
        Example(
            {
                "model.py": _MODELS,
                "train.py": (
                    "import torch\n\n"
                    "def d_step(G, D, real, z):\n"
                    "    fake_term = torch.log(1 - D(G(z)))\n"
                    "    real_term = torch.log(D(real))\n"
                    "    loss_d = -(real_term + fake_term).mean()\n"
                    "    return loss_d\n"
                ),
            },
            "the same term, split over statements of the discriminator step",
        ),
        Example(
            {
                "model.py": _MODELS,
                "bgan.py": (
                    "import torch\n\n"
                    "def g_step(G, D, z):\n"
                    "    d_fake = D(G(z))\n"
                    "    return 0.5 * torch.mean((torch.log(d_fake) - torch.log(1 - d_fake)) ** 2)\n"
                ),
            },
            "boundary-seeking GAN: log(1 - D) inside (log D - log(1 - D))^2 is not the minimax loss",
        ),
    ]

    fix_safety = "unsafe"
    fix_safety_why = "The generator's loss changes (same fixed point, different gradients): a change of training dynamics."

    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        code = project.code()
        # the discriminator gives logits (BCE-with-logits after GL111's fix, or no sigmoid at all): write the
        # non-saturating loss as softplus(-D(G(z))), else as -log D(G(z))
        logits = bool(re.search(r"BCELoss|binary_cross_entropy\(", code)) or not re.search(r"Sigmoid\(\)|sigmoid\(", code)
        edits = project.transform_or_edits(self, findings, opts, "non-saturating-loss", logits=logits)
        if not edits:
            return []
        return [Fix("generator loss log(1 - D(G(z))) -> non-saturating", edits, safe=False, stage=self.fix_stage)]


RULE = SaturatingGeneratorLoss()
