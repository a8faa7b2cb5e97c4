"""GL111 sigmoid-then-bce: a discriminator ends in Sigmoid and is trained with BCELoss (paper)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import bce_losses_for, replace_code, segment
from ganlint.reading.facts import ProjectFacts

_G = (
    "class Generator(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.net = nn.Linear(16, 2)\n\n"
)


class SigmoidThenBce(Rule):
    code = "GL111"
    slug = "sigmoid-then-bce"
    severity = Severity.WARNING
    summary = "A discriminator ends in Sigmoid and is trained with `BCELoss` (or `F.binary_cross_entropy`)."
    why = (
        "Computing sigmoid and then log separately loses precision exactly where GAN training lives: when the "
        "discriminator is confident, sigmoid rounds to 0 or 1, `BCELoss` clamps log(0) to -100 and the "
        "gradient through the saturated sigmoid is ~0. `BCEWithLogitsLoss` fuses both with the log-sum-exp "
        "trick and keeps the gradient exact."
    )
    use_instead = "Return logits from the discriminator (drop the final `nn.Sigmoid()`) and use `nn.BCEWithLogitsLoss()`."
    source = "paper"
    families = ("gan",)
    options: dict[str, Any] = {}
    fix_stage = 1

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        if not any(l.kind == "bce" for l in facts.code.losses):
            return
        for net in facts.code.networks_with_role("critic"):
            act = net.final_sigmoid
            if act is None or act.scaled:
                continue
            bce = bce_losses_for(facts, net)  # the losses of its own program, not the whole project's
            if not bce:
                continue
            edits = []
            old = segment(facts.texts, act.location)
            if act.via == "module" and old:
                edits.append(replace_code(act.location, old, "nn.Identity()"))
            elif act.via in ("functional", "attribute") and old and act.arg_src:
                edits.append(replace_code(act.location, old, act.arg_src))
            for l in bce:
                lo = segment(facts.texts, l.location)
                if lo.startswith(("nn.BCELoss", "torch.nn.BCELoss", "BCELoss")):
                    edits.append(replace_code(l.location, lo, lo.replace("BCELoss", "BCEWithLogitsLoss", 1)))
                elif "binary_cross_entropy(" in lo:
                    edits.append(replace_code(l.location, lo, lo.replace("binary_cross_entropy(", "binary_cross_entropy_with_logits(", 1)))
            yield self.finding(
                f"discriminator `{net.name}` ends in a Sigmoid and is trained with `{bce[0].src}`: saturated "
                "probabilities lose the gradient; return logits and use BCEWithLogitsLoss",
                act.location,
                related=[l.location for l in bce],
                fix=Fix("drop the final Sigmoid and use BCEWithLogitsLoss", edits),
                evidence={"network": net.name},
            )

    bad = [
        Example(
            {
                "model.py": (
                    "import torch.nn as nn\n\n" + _G +
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(\n"
                    "            nn.Linear(2, 128),\n"
                    "            nn.LeakyReLU(0.2),\n"
                    "            nn.Linear(128, 1),\n"
                    "            nn.Sigmoid(),  # expect\n"
                    "        )\n\n"
                    "    def forward(self, x):\n"
                    "        return self.net(x)\n"
                ),
                "train.py": "import torch.nn as nn\ncriterion = nn.BCELoss()\n",
            },
            "document 002",
        ),
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n" + _G +
                    "class NetD(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc = nn.Linear(2, 1)\n\n"
                    "    def forward(self, x):\n"
                    "        return torch.sigmoid(self.fc(x))  # expect\n\n"
                    "def d_loss(D, real, fake):\n"
                    "    return F.binary_cross_entropy(D(real), torch.ones(len(real), 1))\n"
                ),
            },
            "functional sigmoid and F.binary_cross_entropy",
        ),
        Example(
            {
                "gan_script.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "N_IDEAS = 5\nART_COMPONENTS = 15\n\n"
                    "G = nn.Sequential(nn.Linear(N_IDEAS, 128), nn.ReLU(), nn.Linear(128, ART_COMPONENTS))\n"
                    "D = nn.Sequential(nn.Linear(ART_COMPONENTS, 128), nn.ReLU(), nn.Linear(128, 1),\n"
                    "                  nn.Sigmoid())  # expect\n"
                    "criterion = nn.BCELoss()\n"
                ),
            },
            "a script without classes: module-level Sequentials",
        ),
        Example(
            {
                "gan_weights.py": (
                    "import torch\nimport torch.nn.functional as nn\n\n"
                    "W1 = torch.randn(784, 128, requires_grad=True)\nW2 = torch.randn(128, 1, requires_grad=True)\n\n"
                    "def G(z):\n"
                    "    return torch.tanh(z @ torch.randn(16, 784))\n\n"
                    "def D(X):\n"
                    "    h = nn.relu(X @ W1)\n"
                    "    return nn.sigmoid(h @ W2)  # expect\n\n"
                    "for x in loader:\n"
                    "    z = torch.randn(len(x), 16)\n"
                    "    D_loss = nn.binary_cross_entropy(D(x), torch.ones(len(x), 1)) + \\\n"
                    "        nn.binary_cross_entropy(D(G(z)), torch.zeros(len(x), 1))\n"
                    "    G_loss = nn.binary_cross_entropy(D(G(z)), torch.ones(len(x), 1))\n"
                ),
            },
            "a discriminator written as a function of weight tensors (torch.nn.functional imported as nn)",
        ),
    ]
    good = [
        Example(
            {
                "model.py": (
                    "import torch.nn as nn\n\n" + _G +
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))\n\n"
                    "    def forward(self, x):\n"
                    "        return self.net(x)\n"
                ),
                "train.py": "import torch.nn as nn\ncriterion = nn.BCEWithLogitsLoss()\n",
            },
            "the repaired 002: logits and BCEWithLogitsLoss",
        ),
        Example(
            {
                "model.py": (
                    "import torch.nn as nn\n\n" + _G +
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())\n\n"
                    "    def forward(self, x):\n"
                    "        return self.net(x)\n"
                ),
                "train.py": "import torch\nloss = -torch.log(D(real)).mean()\n",
            },
            "a sigmoid output without BCELoss",
        ),
    ]


RULE = SigmoidThenBce()
