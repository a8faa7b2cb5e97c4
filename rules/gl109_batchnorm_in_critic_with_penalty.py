"""GL109 batchnorm-in-critic-with-penalty: the critic uses BatchNorm while a per-sample gradient penalty
is applied (Gulrajani et al. 2017)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import penalties_for, replace_code, segment
from ganlint.reading.facts import ProjectFacts

_GP = (
    "def gradient_penalty(critic, real, fake):\n"
    "    a = torch.rand(real.size(0), 1)\n"
    "    x_hat = (a * real + (1 - a) * fake).requires_grad_(True)\n"
    "    g = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]\n"
    "    return ((g.norm(2, dim=1) - 1) ** 2).mean()\n"
)


class BatchnormInCriticWithPenalty(Rule):
    code = "GL109"
    slug = "batchnorm-in-critic-with-penalty"
    severity = Severity.WARNING
    summary = "The critic uses BatchNorm while a per-sample gradient penalty is applied."
    why = (
        "The gradient penalty constrains the norm of the critic's gradient with respect to *each* input "
        "separately. Batch normalisation makes every output depend on the whole batch, so the per-sample "
        "gradient is no longer what the penalty assumes and the constraint is enforced on the wrong "
        "function. The WGAN-GP paper drops batch norm from the critic for this reason; a zero-centred "
        "penalty on real inputs (R1, DRAGAN) of a standard GAN's discriminator is per-sample too. A module whose "
        "critic and penalty nothing in the project builds or calls (a vendored GAN library beside another model) "
        "trains no critic."
    )
    use_instead = "`nn.LayerNorm(features)` (or no normalisation) in the critic; `nn.GroupNorm(1, C)` / `InstanceNorm2d(C, affine=True)` for images."
    source = "paper"
    families = ("wgan-gp", "gan")  # a standard GAN regularised by R1 / DRAGAN penalises per sample as well
    options: dict[str, Any] = {}
    fix_stage = None
    fix_safety = "safe"
    fix_safety_why = (
        "BatchNorm in the critic becomes LayerNorm of the same width."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        if not facts.code.penalties:
            return
        reported: set = set()  # a layer inherited by thin subclasses (Critic32(Critic)) is one place to change
        for net in facts.code.networks_with_role("critic"):
            if not net.batchnorms:
                continue  # nothing to report (and no program's penalties to look up: one scan per critic)
            penalties = penalties_for(facts, net)
            if not penalties:
                continue  # the penalty trains another model of the project
            # one finding per critic (its first BatchNorm; the others related, all in its fix): the class is the
            # one thing to change, however many layers it normalises with
            layers = [bn for bn in net.batchnorms if bn.location not in reported]
            if not layers:
                continue
            reported.update(bn.location for bn in layers)
            edits = []
            for bn in layers:
                old = segment(facts.texts, bn.location)
                if bn.kind == "BatchNorm1d" and old and "BatchNorm1d" in old:
                    edits.append(replace_code(bn.location, old, old.replace("BatchNorm1d", "LayerNorm", 1)))
            first = layers[0]
            kinds = sorted({bn.kind for bn in layers})
            more = f" ({len(layers)} layers)" if len(layers) > 1 else ""
            yield self.finding(
                f"critic `{net.name}` uses {' and '.join(kinds)}{more} while a gradient penalty is applied: the "
                "per-sample gradient norm the penalty constrains is mixed across the batch; use LayerNorm or no norm",
                first.location,
                related=[bn.location for bn in layers[1:]] + [g.location for g in penalties[:1]],
                fix=Fix("replace BatchNorm in the critic with LayerNorm", edits),
                evidence={"network": net.name, "norm": first.kind, "layers": len(layers)},
            )

    bad = [
        Example(
            {
                "wgan_gp.py": (
                    "import torch\nimport torch.nn as nn\nfrom torch.autograd import grad\n\n"
                    "class discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc = nn.Sequential(nn.Linear(784, 256), nn.BatchNorm1d(256),  # expect\n"
                    "                                nn.LeakyReLU(0.2), nn.Linear(256, 1))\n\n"
                    "    def forward(self, x):\n"
                    "        return self.fc(x)\n\n"
                    "class trainer:\n"
                    "    def step(self, x_, G_):\n"
                    "        a = torch.rand(x_.size(0), 1)\n"
                    "        x_hat = (a * x_.data + (1 - a) * G_.data).requires_grad_(True)\n"
                    "        out = self.D(x_hat)\n"
                    "        g = grad(outputs=out, inputs=x_hat, grad_outputs=torch.ones(out.size()), create_graph=True)[0]\n"
                    "        return self.lambda_ * ((g.view(g.size()[0], -1).norm(2, 1) - 1) ** 2).mean()\n"
                ),
            },
            "a penalty whose norm is taken on a reshaped gradient (a method chain)",
            fixed=[('        self.fc = nn.Sequential(nn.Linear(784, 256), nn.BatchNorm1d(256),  # expect\n', '        self.fc = nn.Sequential(nn.Linear(784, 256), nn.LayerNorm(256),  # expect\n')]),
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(\n"
                    "            nn.Linear(2, 128),\n"
                    "            nn.BatchNorm1d(128),  # expect\n"
                    "            nn.LeakyReLU(0.2),\n"
                    "            nn.Linear(128, 1),\n"
                    "        )\n\n" + _GP
                ),
            },
            "BatchNorm1d in a WGAN-GP critic",
            fixed=[("            nn.BatchNorm1d(128),  # expect\n", "            nn.LayerNorm(128),  # expect\n")],
        ),
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self, c=64):\n"
                    "        super().__init__()\n"
                    "        self.conv = nn.Conv2d(3, c, 4, 2, 1)\n"
                    "        self.bn = nn.BatchNorm2d(c)  # expect\n"
                    "        self.out = nn.Conv2d(c, 1, 4)\n\n" + _GP
                ),
            },
            "BatchNorm2d attribute in a DCGAN-style critic",
            fixed=[],
        ),
        Example(
            {
                "nets.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self, width):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Conv2d(3, width, 4, 2, 1), nn.BatchNorm2d(width), nn.LeakyReLU(0.2))  # expect\n\n"
                    "class SmallCritic(Critic):\n"
                    "    def __init__(self):\n"
                    "        super().__init__(64)\n\n"
                    "class WideCritic(Critic):\n"
                    "    def __init__(self):\n"
                    "        super().__init__(512)\n\n" + _GP
                ),
            },
            "thin subclasses that only change a width: the inherited layer is reported once, at its line",
            fixed=[],
        ),
        Example(
            {
                "dcgan_r1.py": (
                    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 128), nn.BatchNorm1d(128),  # expect\n"
                    "                                 nn.LeakyReLU(0.2), nn.Linear(128, 1))\n\n"
                    "def r1_penalty(x_real, d_real):\n"
                    "    g = torch.autograd.grad(d_real.sum(), x_real, create_graph=True)[0]\n"
                    "    return g.pow(2).sum(1).mean()\n\n"
                    "def d_loss(D, real, fake):\n"
                    "    real.requires_grad_(True)\n"
                    "    out = D(real)\n"
                    "    return (F.binary_cross_entropy_with_logits(out, torch.ones_like(out))\n"
                    "            + F.binary_cross_entropy_with_logits(D(fake), torch.zeros_like(out)) + 5 * r1_penalty(real, out))\n"
                ),
            },
            "a standard GAN with a zero-centred (R1) penalty on real inputs: per-sample as well",
            fixed=[("        self.net = nn.Sequential(nn.Linear(2, 128), nn.BatchNorm1d(128),  # expect\n",
                    "        self.net = nn.Sequential(nn.Linear(2, 128), nn.LayerNorm(128),  # expect\n")],
        ),
        Example(
            {
                "wgan_gp.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(\n"
                    "            nn.Linear(784, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),  # expect\n"
                    "            nn.Linear(256, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2),\n"
                    "            nn.Linear(128, 1))\n\n"
                    "    def forward(self, x):\n        return self.net(x)\n\n"
                    + _GP +
                    "\ndef critic_loss(critic, real, fake):\n"
                    "    return critic(fake).mean() - critic(real).mean() + 10 * gradient_penalty(critic, real, fake)\n"
                ),
            },
            "one finding for the critic, however many BatchNorm layers: the class is what to change",
            fixed=[("            nn.Linear(784, 256), nn.BatchNorm1d(256), nn.LeakyReLU(0.2),  # expect\n"
                    "            nn.Linear(256, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2),\n",
                    "            nn.Linear(784, 256), nn.LayerNorm(256), nn.LeakyReLU(0.2),  # expect\n"
                    "            nn.Linear(256, 128), nn.LayerNorm(128), nn.LeakyReLU(0.2),\n")],
        ),
    ]
    good = [
        Example(
            {
                "networks.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class ResBlock(nn.Module):\n"
                    "    def __init__(self, c):\n"
                    "        super().__init__()\n"
                    "        self.conv = nn.Conv2d(c, c, 3, padding=1)\n\n"
                    "    def forward(self, x):\n"
                    "        return x + self.conv(x)\n\n"
                    "class NLayerDiscriminator(nn.Module):\n"
                    "    def __init__(self, c=64):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Conv2d(3, c, 4, 2, 1), nn.BatchNorm2d(c), nn.LeakyReLU(0.2))\n\n"
                    "def define_D(c):\n"
                    "    return NLayerDiscriminator(c)\n\n" + _GP
                ),
                "train_score.py": (
                    "import torch\nimport torch.nn as nn\nfrom networks import ResBlock\n\n"
                    "score = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), ResBlock(64), nn.Conv2d(64, 3, 3, padding=1))\n"
                    "opt = torch.optim.Adam(score.parameters(), lr=1e-3)\n"
                    "for x in loader:\n"
                    "    noisy = x + 0.1 * torch.randn_like(x)\n"
                    "    loss = ((score(noisy) + (noisy - x) / 0.01) ** 2).mean()\n"
                    "    opt.zero_grad()\n"
                    "    loss.backward()\n"
                    "    opt.step()\n"
                ),
            },
            "a vendored GAN module a score model borrows a block from: nothing builds its critic or calls its penalty",
        ),
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 128), nn.LayerNorm(128), nn.LeakyReLU(0.2), nn.Linear(128, 1))\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(16, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 2))\n\n" + _GP
                ),
            },
            "LayerNorm in the critic; BatchNorm in the generator is fine",
        ),
        Example(
            {
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 128), nn.BatchNorm1d(128), nn.LeakyReLU(0.2), nn.Linear(128, 1))\n"
                ),
                "train.py": "import torch.nn as nn\ncriterion = nn.BCEWithLogitsLoss()\n",
            },
            "no gradient penalty",
        ),
        Example(
            {
                "dcgan.py": (
                    "import torch.nn as nn\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2))\n\n"
                    "netD = Discriminator()\n"
                ),
                "wgan_gp.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1), nn.InstanceNorm2d(64, affine=True))\n\n"
                    "netD = Discriminator()\n\n" + _GP.replace("critic", "netD")
                ),
            },
            "a repository of several models: the penalty trains the other file's critic",
        ),
        Example(
            {
                "bn_nets.py": (
                    "import torch.nn as nn\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2))\n"
                ),
                "ln_nets.py": (
                    "import torch.nn as nn\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2))\n"
                ),
                "train_gp.py": (
                    "import torch\nimport ln_nets as nets\n\n"
                    "critics = {'small': nets.Critic}\n\n" + _GP
                ),
            },
            "the penalty's script imports the models module of another critic (no BatchNorm there)",
        ),
    ]


RULE = BatchnormInCriticWithPenalty()
