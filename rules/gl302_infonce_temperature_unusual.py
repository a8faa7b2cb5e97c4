"""GL302 infonce-temperature-unusual: an InfoNCE temperature outside [0.1, 1.0], or 0.5 on a bounded head (004 方案3)."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Edit, Fix, Severity


_HEAD = (
    "import torch.nn as nn\n\n\n"
    "class EnergyModel(nn.Module):\n"
    "    def __init__(self, dim):\n"
    "        super().__init__()\n"
    "        self.body = nn.Sequential(nn.Linear(dim, 64), nn.ReLU())\n"
    "        self.prediction_head = nn.Linear(64, 1)\n"
    "        self.act = nn.Sigmoid()\n\n"
    "    def forward(self, x):\n"
    "        return self.act(self.prediction_head(self.body(x))){scaled}\n"
)


# a CLIP-style loss module whose temperature is its constructor's default, built without the argument
_LOSS_MODULE = (
    "import torch\nfrom torch import nn\n\n\n"
    "class PairLoss(nn.Module):\n"
    "    def __init__(self, {param}=0.05):  # expect\n"
    "        super().__init__()\n"
    "        self.{param} = {param}\n\n"
    "    def forward(self, a, b):\n"
    "        logits = (a @ b.T) / self.{param}\n"
    "        return nn.CrossEntropyLoss()(logits, torch.arange(a.size(0)))\n"
)
_LOSS_TRAIN = (
    "import torch\nfrom losses import PairLoss\n\n"
    "def fit(model, loader):\n"
    "    loss_fn = PairLoss({args})\n"
    "    opt = torch.optim.Adam(model.parameters(), lr=1e-4)\n"
    "    for x, y in loader:\n"
    "        loss = loss_fn(model(x), model(y))\n"
    "        opt.zero_grad()\n        loss.backward()\n        opt.step()\n"
)


# a CLIP-style pair model: a learnable temperature started at a number, dividing the cosine similarities
# its forward returns for the training script's cross-entropy over the diagonal
_PAIR_MODEL = (
    "import torch\nimport torch.nn as nn\n\n\n"
    "class PairModel(nn.Module):\n"
    "    def __init__(self, dim=64):\n"
    "        super().__init__()\n"
    "        self.image_proj = nn.Linear(256, dim)\n"
    "        self.text_proj = nn.Linear(128, dim)\n"
    "        self.{name} = nn.Parameter(torch.tensor({tau})){mark}\n\n"
    "    def forward(self, image_feat, text_feat):\n"
    "        a = self.image_proj(image_feat)\n"
    "        b = self.text_proj(text_feat)\n"
    "        a = a / a.norm(dim=1, keepdim=True)\n"
    "        b = b / b.norm(dim=1, keepdim=True)\n"
    "        return torch.matmul(a, b.T) / self.{name}\n"
)


class InfonceTemperatureUnusual(SettingRangeRule):
    code = "GL302"
    slug = "infonce-temperature-unusual"
    severity = Severity.WARNING
    summary = "An energy model's InfoNCE temperature τ is outside [0.1, 1.0], or 0.5 while a sigmoid bounds the energies."
    why = (
        "InfoNCE divides the energies by τ before the softmax over the batch. Below 0.1 the loss only sees "
        "the hardest negative and the gradients spike; above 1.0 the logits are so flat that positives and "
        "negatives are barely told apart. With a sigmoid-bounded energy head (energies in a band of width 1) "
        "τ = 0.5 leaves logits within a range of 2, so the energy gap cannot grow and the loss stalls near "
        "chance (document 004, where τ 0.3 together with a rescaled head fixed it). A learnable temperature "
        "(`nn.Parameter(torch.tensor(0.07))`) that nothing bounds starts training at its initial value."
    )
    use_instead = "`temperature = 0.3`, and rescale a bounded head: `E = sigmoid(0.5 * raw) * 2.0 + 0.1`."
    source = "004 方案3"
    families = ("energy",)
    setting = "temperature"
    prefer_roles = ("energy",)
    low = "min_tau"
    high = "max_tau"
    options = {"min_tau": 0.1, "max_tau": 1.0, "proposed": 0.3, "bounded_tau": 0.5}
    option_docs = {
        "min_tau": "temperatures below this fire the rule (warning)",
        "max_tau": "temperatures above this fire the rule (warning)",
        "proposed": "the temperature the fix writes",
        "bounded_tau": "with a sigmoid-bounded energy head, this exact temperature fires an info finding",
    }
    fix_stage = 1
    fix_safety = "safe"
    fix_safety_why = (
        "The InfoNCE temperature is set to the option `proposed`."
    )
    message = "InfoNCE temperature {key} = {value} is {direction} the usual [{low}, {high}]; use {proposed}"

    def check(self, facts, opts):
        out = list(super().check(facts, opts))
        reported = {(f.location.file, f.location.line) for f in out}
        heads = [h for h in getattr(facts.code, "energy_heads", None) or [] if getattr(h, "bounded_sigmoid", False)]
        if not heads:
            return out
        tau = opts.get("bounded_tau", 0.5)
        proposed = opts.get("proposed", 0.3)
        for s in self.candidates(facts):
            if isinstance(s.value, bool) or not isinstance(s.value, (int, float)) or s.value != tau or not s.value:
                continue  # (bounded_tau = 0 and a 0 temperature: no 1/τ to state)
            if (s.location.file, s.location.line) in reported:
                continue
            reported.add((s.location.file, s.location.line))
            head = heads[0]
            fix = Fix(
                f"set {s.key} to {proposed} (and rescale the head, GL301)",
                edits=[Edit("set-setting", s.location.file, target=s.key, old=s.value, new=proposed, location=s.location)],
            )
            out.append(
                self.finding(
                    f"InfoNCE temperature {s.key} = {s.value:g} with a sigmoid-bounded energy head "
                    f"({head.network}): logits span at most 1/τ = {1 / s.value:g}, too little for the energy gap "
                    f"to grow; use {proposed:g}",
                    s.location,
                    related=[head.location] if getattr(head, "location", None) else [],
                    fix=fix,
                    evidence={"setting": s.key, "value": s.value, "head": head.network},
                    severity=Severity.INFO,
                    family="energy",
                )
            )
        return out

    bad = [
        Example({"config.toml": "[energy]\nlearning_rate = 1e-4\ntemperature = 0.05  # expect\n"}, "too sharp",
            fixed=[("temperature = 0.05  # expect\n", "temperature = 0.3  # expect\n")]),
        Example({"config.yaml": "energy:\n  lr: 1.0e-4\n  temperature: 2.0  # expect\n"}, "too flat",
            fixed=[("  temperature: 2.0  # expect\n", "  temperature: 0.3  # expect\n")]),
        Example({"config.yaml": "ebm:\n  lr: 1.0e-4\n  tau: 5  # expect\n"}, "tau inside an energy section",
            fixed=[("  tau: 5  # expect\n", "  tau: 0.3 # expect\n")]),
        Example(
            {"model.py": _HEAD.format(scaled=""), "config.toml": "[energy]\nenergy_lr = 1e-3\ntemperature = 0.5  # expect\n"},
            "document 004: 0.5 on a sigmoid-bounded head (info)",
            fixed=[("config.toml", "temperature = 0.5  # expect\n", "temperature = 0.3  # expect\n")],
        ),
        Example(
            {"losses.py": _LOSS_MODULE.format(param="temperature"), "train.py": _LOSS_TRAIN.format(args="")},
            "an InfoNCE loss module left at its constructor's default temperature",
            fixed=[("losses.py", "def __init__(self, temperature=0.05):", "def __init__(self, temperature=0.3):")],
        ),
        Example(
            {"pair_model.py": _PAIR_MODEL.format(name="temperature", tau="0.07", mark="  # expect")},
            "a learnable temperature started below the range (CLIP-style, nothing bounds it)",
            fixed=[("self.temperature = nn.Parameter(torch.tensor(0.07))", "self.temperature = nn.Parameter(torch.tensor(0.3))")],
        ),
    ]
    good = [
        Example({"config.toml": "[energy]\nlearning_rate = 1e-4\ntemperature = 0.3\n"}, "the repaired 004"),
        Example(
            {"model.py": (
                "import torch\nimport torch.nn as nn\n\n\n"
                "class Calibrated(nn.Module):\n"
                "    def __init__(self, model):\n"
                "        super().__init__()\n"
                "        self.model = model\n"
                "        self.temperature = nn.Parameter(torch.tensor(0.05))\n\n"
                "    def forward(self, x):\n"
                "        return self.model(x) / self.temperature\n")},
            "a calibration temperature dividing a classifier's logits (no similarity) is no InfoNCE temperature",
        ),
        Example({"config.yaml": "energy:\n  lr: 1.0e-4\n  temperature: 0.5\n"}, "0.5 is fine without a bounded head"),
        Example(
            {"model.py": _HEAD.format(scaled=" * 2.0 + 0.1"), "config.toml": "[energy]\nenergy_lr = 1e-4\ntemperature = 0.5\n"},
            "0.5 with the rescaled head of 004's fix",
        ),
        Example({"config.yaml": "tau: 0.005\ngamma: 0.99\nlr: 3.0e-4\n"}, "an RL soft-update tau"),
        Example({"config.yaml": "temperature: 0.01\nlr: 1.0e-4\n"}, "a temperature with no energy model"),
        Example(
            {
                "agent.py": (
                    "import torch\nimport torch.nn.functional as F\n\n"
                    "TAU = 0.005  # soft target update\n"
                    "GUMBEL_TAU = 0.05\n\n"
                    "def contrastive(z1, z2, temperature=0.3):\n"
                    "    logits = z1 @ z2.T / temperature\n"
                    "    return F.cross_entropy(logits, torch.arange(len(z1)))\n\n"
                    "def act(logits):\n"
                    "    return F.gumbel_softmax(logits, tau=GUMBEL_TAU, hard=True)\n\n"
                    "def soft_update(target, source):\n"
                    "    for t, s in zip(target.parameters(), source.parameters()):\n"
                    "        t.data.mul_(1 - TAU).add_(TAU * s.data)\n"
                ),
            },
            "beside an InfoNCE loss, a soft-update TAU and a Gumbel tau are no InfoNCE temperature",
        ),
        Example(
            {"losses.py": _LOSS_MODULE.format(param="temperature").replace("  # expect", ""),
             "train.py": _LOSS_TRAIN.format(args="temperature=0.2")},
            "the loss module's sharp default replaced where it is built",
        ),
    ]


RULE = InfonceTemperatureUnusual()
