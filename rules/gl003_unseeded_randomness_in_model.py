"""GL003 unseeded-randomness-in-model: random draws inside forward or circuit construction, and no seed
anywhere (document 000 §2.6)."""
from __future__ import annotations

import re
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.facts import ProjectFacts

# a module named for a data augmentation draws on purpose (random colour distortion, flips, crops)
_AUGMENT = re.compile(r"augment|distort|transform|jitter|flip|crop|blur|cutout|mixup|grayscale|perturb", re.I)
# torchvision's naming of random augmentations and their wrappers: RandomApply, RandomResizedCrop, RandomErasing
_RANDOM_OP = re.compile(r"^Random[A-Z]")


# a draw ranked into indices (`torch.rand(b, n).argsort(dim=-1)`, `torch.randn(b, n).topk(k).indices`): a random
# choice of which tokens to mask or keep, like a dropout mask, not noise added to what the model computes
_RANKED = re.compile(r"\s*\.\s*(?:argsort|topk|sort)\s*\(")


def _random_selection(facts: ProjectFacts, rc) -> bool:
    """The draw is a random permutation (`torch.randperm`) or is ranked into indices right away."""
    if rc.kind.rsplit(".", 1)[-1] == "randperm":
        return True
    loc = rc.location
    if loc.end_line is None or loc.end_column is None:
        return False
    lines = facts.__dict__.setdefault("_gl003_lines", {})
    if loc.file not in lines:
        lines[loc.file] = facts.texts.get(loc.file, "").splitlines()
    text = lines[loc.file]
    return 0 < loc.end_line <= len(text) and bool(_RANKED.match(text[loc.end_line - 1], loc.end_column - 1))


class UnseededRandomnessInModel(Rule):
    code = "GL003"
    slug = "unseeded-randomness-in-model"
    severity = Severity.WARNING
    summary = "`random.*` / `np.random.*` / `torch.rand*` is called inside `forward` or circuit construction and no seed is set anywhere."
    why = (
        "A network whose forward pass draws its own random numbers (document 000's quantum noise circuit "
        "called `random.uniform(-1, 1)` each time it was built) is not a function of its inputs: the same "
        "batch gives different outputs, gradients carry noise the optimizer cannot remove, and no run can be "
        "reproduced. Python's `random` and NumPy's generator are not even covered by `torch.manual_seed`."
    )
    use_instead = (
        "Sample the noise outside the model and pass it in (`z1, z2 = torch.rand(2)`, then `model(x, z1, z2)`), "
        "and seed every generator once at start-up: `torch.manual_seed(0); random.seed(0); np.random.seed(0)`."
    )
    source = "000 §2.6"
    options: dict[str, Any] = {}
    fix_safety = "display-only"
    fix_safety_why = (
        "Where the noise should come from is the program's design: the fix is a recipe to follow, not an "
        "edit."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        code = facts.code
        if code.seeds:
            return
        for rc in code.random_calls:
            if rc.kind.startswith("torch.") and rc.role in ("vae", "encoder", "decoder"):
                continue  # reparameterisation noise
            if rc.kind.startswith("torch.") and facts.file_families(rc.location.file) == {"diffusion"}:
                continue  # a diffusion model's timestep and forward-process noise: its objective's own draws
            if _random_selection(facts, rc):
                continue  # a random subset of tokens to mask or drop (MAE, patch dropout): dropout's randomness
            scope = rc.scope or ""
            cls = scope.split(".")[0] if "." in scope else None
            net = code.network(cls) if cls else None
            if "circuit" not in scope.lower() and net is None:
                continue  # not a model: data augmentation, samplers, ... draw on purpose
            if net is not None and net.role is None and (_AUGMENT.search(cls) or _RANDOM_OP.match(cls)):
                continue  # an nn.Module that augments the batch before the model (no generator/critic/... role)
            yield self.finding(
                f"`{rc.src}` draws random numbers inside {rc.scope or 'the model'} and no seed is set anywhere: "
                "outputs are not a function of the inputs and runs cannot be reproduced; sample outside and "
                "pass the values in, and seed once (torch.manual_seed / random.seed / np.random.seed)",
                rc.location,
                fix=Fix("sample the noise outside forward and pass it in; call torch.manual_seed(...) and "
                        "random.seed(...) once at start-up", []),
                evidence={"call": rc.kind, "scope": rc.scope},
            )

    bad = [
        Example(
            {
                "noise.py": (
                    "import random\nimport torch.nn as nn\n\n"
                    "class QuantumNoise(nn.Module):\n"
                    "    def build_circuit(self, n):\n"
                    "        angles = [random.uniform(-1, 1) for _ in range(n)]  # expect\n"
                    "        return angles\n\n"
                    "    def forward(self, x):\n"
                    "        return x + random.gauss(0, 1)  # expect\n"
                ),
            },
            "document 000: random angles inside the circuit",
            fixed=[],
        ),
        Example(
            {
                "model.py": (
                    "import numpy as np\nimport torch\nimport torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc = nn.Linear(4, 2)\n\n"
                    "    def forward(self, x):\n"
                    "        jitter = np.random.normal(0, 0.1)  # expect\n"
                    "        z = torch.randn(x.size(0), 4)  # expect\n"
                    "        return self.fc(z) + jitter\n"
                ),
            },
            "NumPy and torch draws inside a generator's forward",
            fixed=[],
        ),
        Example(
            {
                "models.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class AugmentedGenerator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc = nn.Linear(8, 8)\n\n"
                    "    def forward(self, z):\n"
                    "        keep = torch.bernoulli(torch.full((z.size(0), 1), 0.8))  # expect\n"
                    "        return self.fc(z) * keep\n"
                ),
            },
            "a generator named for augmentation is still a model (its role says so)",
            fixed=[],
        ),
    ]
    good = [
        Example(
            {
                "augment.py": (
                    "import random\n\n"
                    "class RandomFlip:\n"
                    "    def __call__(self, x):\n"
                    "        return x[::-1] if random.random() < 0.5 else x\n"
                ),
            },
            "data augmentation is random on purpose",
        ),
        Example(
            {
                "noise.py": (
                    "import random\nimport torch\nimport torch.nn as nn\n\n"
                    "torch.manual_seed(0)\nrandom.seed(0)\n\n"
                    "class QuantumNoise(nn.Module):\n"
                    "    def build_circuit(self, n):\n"
                    "        return [random.uniform(-1, 1) for _ in range(n)]\n"
                ),
            },
            "seeded",
        ),
        Example(
            {
                "vae.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class VAE(nn.Module):\n"
                    "    def forward(self, mu, log_var):\n"
                    "        std = torch.exp(0.5 * log_var)\n"
                    "        return mu + std * torch.randn_like(std)\n\n"
                    "def sample(n):\n"
                    "    return torch.randn(n, 2)\n"
                ),
            },
            "reparameterisation noise in forward, and sampling outside the model",
        ),
        Example(
            {
                "augmentation.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class BatchColourDistortion(nn.Module):\n"
                    "    def __init__(self, strength=0.5):\n"
                    "        super().__init__()\n"
                    "        self.strength = strength\n\n"
                    "    def forward(self, x):\n"
                    "        apply = torch.bernoulli(torch.full((x.size(0), 1, 1, 1), 0.8))\n"
                    "        shift = (torch.rand(x.size(0), 3, 1, 1) - 0.5) * self.strength\n"
                    "        return x + apply * shift\n"
                ),
            },
            "an nn.Module augmenting the batch (random colour distortion) is random on purpose",
        ),
        Example(
            {
                "augment_utils.py": (
                    "import random\nimport torch.nn as nn\n\n"
                    "class RandomApply(nn.Module):\n"
                    "    def __init__(self, fn, p):\n"
                    "        super().__init__()\n"
                    "        self.fn, self.p = fn, p\n\n"
                    "    def forward(self, x):\n"
                    "        if random.random() > self.p:\n"
                    "            return x\n"
                    "        return self.fn(x)\n"
                ),
            },
            "a wrapper applying an augmentation with probability p (torchvision's RandomApply naming)",
        ),
        Example(
            {
                "masking.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class TokenMasking(nn.Module):\n"
                    "    def forward(self, tokens, num_masked):\n"
                    "        b, n, _ = tokens.shape\n"
                    "        order = torch.rand(b, n, device=tokens.device).argsort(dim=-1)\n"
                    "        return tokens[torch.arange(b)[:, None], order[:, num_masked:]]\n"
                ),
            },
            "a random choice of tokens to mask (a masked autoencoder's, a patch dropout's): dropout's randomness",
        ),
    ]


RULE = UnseededRandomnessInModel()
