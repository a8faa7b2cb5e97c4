"""GL111 sigmoid-then-bce: a discriminator ends in Sigmoid and is trained with BCELoss (paper)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.errors import GanlintError
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
    fix_safety = "safe"
    fix_safety_why = (
        "Safe when every use of the discriminator's output is a BCE loss or a log (the fix rewrites those). "
        "Any other use (an accuracy, a threshold at 0.5) would read logits as probabilities: then the fix is "
        "unsafe and waits for --unsafe-fixes."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        functional = list(self._functional(facts))
        yield from functional
        reported = {f.location for f in functional}  # a function-network's sigmoid the flow facts already report
        if not any(l.kind == "bce" for l in facts.code.losses):
            return
        for net in facts.code.networks_with_role("critic"):
            act = net.final_sigmoid
            if act is None or act.scaled or act.location in reported:
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

    def _functional(self, facts: ProjectFacts) -> Iterable[Finding]:
        """torch.sigmoid / F.sigmoid on a discriminator's output, then F.binary_cross_entropy / BCELoss."""
        for sb in facts.code.sigmoid_bces:
            edits = []
            old = segment(facts.texts, sb.location)
            if old and sb.arg_src and old.endswith(")") and "(" in old:
                edits.append(replace_code(sb.location, old, f"({sb.arg_src})" if " " in sb.arg_src.strip() else sb.arg_src))
            lo = segment(facts.texts, sb.bce_location)
            if lo and "binary_cross_entropy(" in lo and edits:
                edits.append(replace_code(sb.bce_location, lo, lo.replace("binary_cross_entropy(", "binary_cross_entropy_with_logits(", 1)))
            else:
                edits = []  # a BCELoss criterion defined elsewhere: both halves change together, by hand
            yield self.finding(
                f"the discriminator `{sb.network}`'s probability comes from `{sb.sigmoid_src}` and is trained with "
                f"`{sb.bce_src}`: saturated probabilities lose the gradient; pass the logits to "
                "binary_cross_entropy_with_logits",
                sb.location,
                related=[sb.bce_location],
                fix=Fix("drop the sigmoid and use binary_cross_entropy_with_logits", edits),
                evidence={"network": sb.network, "call_site": True},
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
                "train.py": "import torch.nn as nn\ncriterion = nn.BCELoss()\nloss_d = criterion(D(real), ones)\n",
            },
            "document 002",
            fixed=[("model.py", "            nn.Sigmoid(),  # expect\n", "            nn.Identity(),  # expect\n"),
                   ("train.py", "criterion = nn.BCELoss()\n", "criterion = nn.BCEWithLogitsLoss()\n")],
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
            fixed=[("        return torch.sigmoid(self.fc(x))  # expect\n", "        return self.fc(x)  # expect\n"),
                   ("    return F.binary_cross_entropy(D(real), torch.ones(len(real), 1))\n", "    return F.binary_cross_entropy_with_logits(D(real), torch.ones(len(real), 1))\n")],
        ),
        Example(
            {
                "gan.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def generator(z):\n    return torch.tanh(z @ W1) @ W2\n\n"
                    "def discriminator(x):\n"
                    "    h = F.leaky_relu(x @ V1, 0.2)\n"
                    "    out = torch.sigmoid(h @ V2)  # expect\n"
                    "    return out\n\n"
                    "for it in range(500):\n"
                    "    fake = generator(torch.randn(64, 10))\n"
                    "    d_real = discriminator(batch)\n"
                    "    loss = F.binary_cross_entropy(d_real, torch.ones_like(d_real))\n"
                ),
            },
            "a weights-as-tensors script: the discriminator is a function returning torch.sigmoid",
            fixed=[('    loss = F.binary_cross_entropy(d_real, torch.ones_like(d_real))\n', '    loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))\n'), ('    out = torch.sigmoid(h @ V2)  # expect\n', '    out = (h @ V2)  # expect\n')]),
        Example(
            {
                "step.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "bce = nn.BCELoss()\n\n"
                    "def d_step(netD, real, fake, ones, zeros):\n"
                    "    p_real = torch.sigmoid(netD(real))  # expect\n"
                    "    p_fake = netD(fake.detach()).sigmoid()  # expect\n"
                    "    return bce(p_real.view(-1), ones) + bce(p_fake.view(-1), zeros)\n"
                ),
            },
            "sigmoid applied to the discriminator's logits before nn.BCELoss",
            fixed=[]),
        Example(
            {
                "gan_script.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "N_IDEAS = 5\nART_COMPONENTS = 15\n\n"
                    "G = nn.Sequential(nn.Linear(N_IDEAS, 128), nn.ReLU(), nn.Linear(128, ART_COMPONENTS))\n"
                    "D = nn.Sequential(nn.Linear(ART_COMPONENTS, 128), nn.ReLU(), nn.Linear(128, 1),\n"
                    "                  nn.Sigmoid())  # expect\n"
                    "criterion = nn.BCELoss()\n"
                    "d_loss = criterion(D(real), torch.ones(real.size(0), 1))\n"
                ),
            },
            "a script without classes: module-level Sequentials",
            fixed=[("nn.Sigmoid())  # expect\n", "nn.Identity())  # expect\n"),
                   ("criterion = nn.BCELoss()\n", "criterion = nn.BCEWithLogitsLoss()\n")],
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
        Example(
            {
                "clf.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def classifier(x):\n    return torch.sigmoid(x @ W)\n\n"
                    "def train_step(x, y):\n"
                    "    p = classifier(x)\n"
                    "    return F.binary_cross_entropy(p, y)\n"
                ),
            },
            "BCE on a classifier that is not a discriminator",
        ),
        Example(
            {
                "gan.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "def discriminator(x):\n    return F.leaky_relu(x @ V1, 0.2) @ V2\n\n"
                    "def d_loss(x, fake):\n"
                    "    real_logit = discriminator(x)\n"
                    "    fake_logit = discriminator(fake.detach())\n"
                    "    return (F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))\n"
                    "            + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))\n"
                ),
            },
            "logits into binary_cross_entropy_with_logits",
        ),
    ]


    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        from ganlint.fix.edits.code import logits_safe
        from ganlint.fix.edits.py_doc import parse_cst

        from ganlint.fix.edits.code import instances
        from ganlint.fix.project import refused

        if any(f.evidence.get("call_site") and not (f.fix and f.fix.edits) for f in findings):
            # the transform would swap the criterion and leave the caller's sigmoid: a double sigmoid
            return [refused("drop the sigmoid and use BCEWithLogitsLoss",
                            "the sigmoid is applied where the discriminator is called and the BCELoss criterion "
                            "is made elsewhere: both halves change together, by hand")]
        classes = sorted({f.evidence["network"] for f in findings if f.evidence.get("network")})

        safe, seen = True, False
        for file in project.code_files:
            try:
                module = parse_cst(file, project.texts[file])
            except GanlintError:
                continue
            seen = seen or bool(instances(module, "critic", classes or None))
            safe = safe and logits_safe(module, classes or None)
        # no instance of the discriminator in the files read: what reads its output cannot be checked
        safe = safe and seen
        edits = project.transform_or_edits(self, findings, opts, "sigmoid-bce", confine=False,
                                           **({"classes": classes} if classes else {}))
        if not edits:
            return []
        return [Fix("discriminator returns logits; BCELoss -> BCEWithLogitsLoss", edits, safe=safe, stage=self.fix_stage)]


RULE = SigmoidThenBce()
