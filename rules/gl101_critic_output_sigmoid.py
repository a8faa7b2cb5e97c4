"""GL101 critic-output-sigmoid: a WGAN / WGAN-GP critic ends in a Sigmoid (documents 000 §1.1, 001)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import replace_code, segment, wasserstein
from ganlint.reading.facts import ProjectFacts


class CriticOutputSigmoid(Rule):
    code = "GL101"
    slug = "critic-output-sigmoid"
    severity = Severity.ERROR
    summary = "A WGAN / WGAN-GP critic ends in a Sigmoid; its output must be an unbounded real score."
    why = (
        "The Wasserstein critic estimates a distance by the *difference* of its scores on real and generated "
        "samples; document 001 calls it an art critic giving marks, not a forger-detector giving "
        "probabilities. A Sigmoid squeezes those marks into (0, 1): the difference cannot exceed 1, the "
        "critic saturates as soon as it separates the two sets, and the generator receives vanishing "
        "gradients - the very failure WGAN was designed to remove."
    )
    use_instead = "End the critic with a plain `nn.Linear(hidden, 1)`; no output activation."
    source = "000 §1.1, 001"
    families = ("wgan", "wgan-gp")
    options: dict[str, Any] = {}
    fix_stage = 1
    fix_safety = "safe"
    fix_safety_why = (
        "The final Sigmoid becomes nn.Identity() (or its argument): the critic's score is unbounded, nothing "
        "else moves. Refused where the output feeds a BCE loss, which needs probabilities."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        for net in facts.code.networks_with_role("critic"):
            act = net.final_sigmoid
            if act is None or facts.code.trains_with_bce(net.location.file) or not wasserstein(facts, net):
                continue  # BCE-trained in its own file (DRAGAN), or no WGAN training in its program
            old = segment(facts.texts, act.location)
            edits = []
            if act.via == "module" and old:
                edits.append(replace_code(act.location, old, "nn.Identity()"))
            elif act.via in ("functional", "attribute") and old and act.arg_src and not act.scaled:
                edits.append(replace_code(act.location, old, act.arg_src))
            yield self.finding(
                f"the critic `{net.name}` ends in a Sigmoid: a WGAN critic's score must be unbounded; "
                "remove the final Sigmoid",
                act.location,
                fix=Fix("remove the critic's final Sigmoid", edits),
                evidence={"network": net.name},
            )

    bad = [
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1),\n"
                    "                                 nn.Sigmoid())  # expect\n\n"
                    "    def forward(self, x):\n"
                    "        return self.net(x)\n\n"
                    "def gradient_penalty(critic, real, fake):\n"
                    "    a = torch.rand(real.size(0), 1)\n"
                    "    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)\n"
                    "    g = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]\n"
                    "    return ((g.norm(2, dim=1) - 1) ** 2).mean()\n"
                ),
            },
            "WGAN-GP critic with a Sigmoid as its last layer",
            fixed=[("                                 nn.Sigmoid())  # expect\n", "                                 nn.Identity())  # expect\n")],
        ),
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc = nn.Linear(2, 1)\n\n"
                    "    def forward(self, x):\n"
                    "        score = torch.sigmoid(self.fc(x))  # expect\n"
                    "        return score.squeeze(-1)\n\n"
                    "def train(D, opt_d, loader):\n"
                    "    for real in loader:\n"
                    "        for p in D.parameters():\n"
                    "            p.data.clamp_(-0.01, 0.01)\n"
                ),
            },
            "WGAN with weight clipping, functional sigmoid returned",
            fixed=[("        score = torch.sigmoid(self.fc(x))  # expect\n", "        score = self.fc(x)  # expect\n")],
        ),
    ]
    good = [
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))\n\n"
                    "    def forward(self, x):\n"
                    "        return self.net(x)\n\n"
                    "def gradient_penalty(critic, real, fake):\n"
                    "    a = torch.rand(real.size(0), 1)\n"
                    "    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)\n"
                    "    g = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]\n"
                    "    return ((g.norm(2, dim=1) - 1) ** 2).mean()\n"
                ),
            },
            "linear critic output",
        ),
        Example(
            {
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 1), nn.Sigmoid())\n\n"
                    "    def forward(self, x):\n"
                    "        return self.net(x)\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Linear(16, 2)\n"
                ),
                "train.py": "import torch.nn as nn\ncriterion = nn.BCELoss()\n",
            },
            "a standard GAN's discriminator is a classifier (GL111 covers its Sigmoid + BCELoss)",
        ),
        Example(
            {
                "dragan.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 1), nn.Sigmoid())\n\n"
                    "    def forward(self, x):\n"
                    "        return self.net(x)\n\n"
                    "bce = nn.BCELoss()\n\n"
                    "def gradient_penalty(D, x):\n"
                    "    x_hat = (x + 0.5 * x.std() * torch.rand_like(x)).requires_grad_(True)\n"
                    "    g = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)[0]\n"
                    "    return 10 * ((g.norm(2, dim=1) - 1) ** 2).mean()\n\n"
                    "def d_loss(D, real, fake, ones, zeros):\n"
                    "    return bce(D(real), ones) + bce(D(fake.detach()), zeros) + gradient_penalty(D, real)\n"
                ),
            },
            "DRAGAN: a BCE-trained discriminator with a gradient penalty is not a WGAN critic",
        ),
    ]

    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        from ganlint.fix.project import refused

        bce = [l for l in project.facts.code.losses if l.kind == "bce"]
        if bce:  # DRAGAN-style: a penalised discriminator trained with BCELoss needs its probabilities
            return [refused("remove the critic's final Sigmoid",
                            f"its output feeds `{bce[0].src}`, which needs probabilities; return logits with "
                            "BCEWithLogitsLoss instead, or keep the Sigmoid")]
        return super().fixes(project, findings, opts)


RULE = CriticOutputSigmoid()
