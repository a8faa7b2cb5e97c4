"""GL301 sigmoid-bounded-energy: an energy head ends in a Sigmoid with no scale/offset (document 004 方案1)."""
from __future__ import annotations

import ast
import math
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import replace_code, segment
from ganlint.reading.config.values import finite_number
from ganlint.reading.facts import ProjectFacts

_INFONCE = (
    "def infonce(model, h, a, tau):\n"
    "    B = h.shape[0]\n"
    "    E = model(h.repeat_interleave(B, 0), a.repeat(B, 1)).view(B, B)\n"
    "    return F.cross_entropy(-E / tau, torch.arange(B))\n"
)


def _atomic(src: str) -> bool:
    try:
        node = ast.parse(src.strip(), mode="eval").body
    except SyntaxError:
        return False
    return isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant))


def infonce_floor(width: float, tau: float, batch: int) -> float:
    """Lowest in-batch InfoNCE loss when energies live in a band of `width`: log(1 + (B-1) e^(-w/τ))."""
    return math.log(1.0 + (batch - 1) * math.exp(-width / tau))


class SigmoidBoundedEnergy(Rule):
    code = "GL301"
    slug = "sigmoid-bounded-energy"
    severity = Severity.ERROR
    runtime_fact = "sigmoid_head"  # the probe's name for this condition in the built networks
    summary = "An energy head ends in a Sigmoid with no scale or offset, so every energy lives in a band of width 1."
    why = (
        "In-batch InfoNCE compares the positive's energy with B-1 negatives through softmax(-E/τ). If a "
        "sigmoid squeezes E into (0, 1), the best possible gap is 1, and the loss can never fall below "
        "log(1 + (B-1)·e^(-1/τ)) however well the model ranks pairs: the gradient keeps pushing the sigmoid "
        "into saturation, the energy gap stays small and accuracy hovers near chance (document 004, where "
        "energies sat in [1e-6, 1 + 1e-6])."
    )
    use_instead = "Widen the band gently: `E = self.act(raw * 0.5) * 2.0 + 0.1` (E in [0.1, 2.1]), or an unbounded head."
    source = "004 方案1"
    families = ("energy",)
    options = {"scale": 2.0, "offset": 0.1, "raw_scale": 0.5}
    option_docs = {
        "scale": "multiplier the fix applies after the sigmoid",
        "offset": "offset the fix adds after the sigmoid",
        "raw_scale": "factor the fix applies to the sigmoid's input",
    }
    fix_stage = 1

    def _number(self, facts: ProjectFacts, canonical: str) -> float | None:
        for role in ("energy", "any"):
            v = facts.value(canonical, role=role)
            if finite_number(v) and v > 0:  # an inf/nan batch or τ has no floor to state
                return float(v)
        return None

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        tau = self._number(facts, "temperature")
        batch = self._number(facts, "batch_size")
        for head in facts.code.energy_heads:
            if not head.bounded_sigmoid:
                continue
            w = head.scale if head.scale is not None else 1.0
            if tau is not None and batch is not None and batch > 1:
                floor = (f"with τ = {tau:g} and B = {int(batch)} the in-batch InfoNCE loss cannot fall below "
                         f"log(1 + (B−1)·e^(−w/τ)) = {infonce_floor(w, tau, int(batch)):.2f} (w = {w:g})")
            else:
                known = ", ".join(x for x in (f"τ = {tau:g}" if tau else "", f"B = {int(batch)}" if batch else "") if x)
                floor = (f"the in-batch InfoNCE loss cannot fall below log(1 + (B−1)·e^(−w/τ)) with w = {w:g}"
                         + (f" ({known})" if known else ""))
            s, o, r = opts["scale"], opts["offset"], opts["raw_scale"]
            edits = []
            old = segment(facts.texts, head.location)
            if old and head.call_src == old and head.arg_src:
                arg = head.arg_src
                inner = arg if _atomic(arg) else f"({arg})"
                rs, ss, os_ = (repr(float(x)) for x in (r, s, o))
                if old.endswith(".sigmoid()"):
                    new = f"({inner} * {rs}).sigmoid() * {ss} + {os_}"
                else:
                    idx = old.rfind(arg)
                    new = (old[:idx] + f"{inner} * {rs}" + old[idx + len(arg):] + f" * {ss} + {os_}") if idx >= 0 else None
                if new:
                    edits.append(replace_code(head.location, old, new))
            yield self.finding(
                f"energy head `{head.network}` ends in a Sigmoid with no scale/offset: energies live in a band of "
                f"width {w:g}, so {floor}; use sigmoid({r:g}·raw)·{s:g} + {o:g}",
                head.location,
                fix=Fix(f"rescale the head: sigmoid(raw * {r:g}) * {s:g} + {o:g}", edits),
                evidence={"network": head.network, "width": w, "temperature": tau, "batch_size": batch},
            )

    bad = [
        Example(
            {
                "config.toml": "[energy]\ntemperature = 0.5\nbatch_size = 64\n",
                "model.py": (
                    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
                    "class EnergyModel(nn.Module):\n"
                    "    def __init__(self, d):\n"
                    "        super().__init__()\n"
                    "        self.prediction_head = nn.Linear(d, 1)\n"
                    "        self.act = nn.Sigmoid()\n\n"
                    "    def forward(self, h, a):\n"
                    "        raw = self.prediction_head(torch.cat([h, a], -1))\n"
                    "        E = self.act(raw)  # expect\n"
                    "        return E.squeeze(-1)\n\n" + _INFONCE
                ),
            },
            "document 004 (floor 2.25 at τ 0.5, B 64)",
            fixed=[("model.py", "        E = self.act(raw)  # expect\n", "        E = self.act(raw * 0.5) * 2.0 + 0.1  # expect\n")],
        ),
        Example(
            {
                "ebm.py": (
                    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
                    "class EBM(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.fc = nn.Linear(8, 1)\n\n"
                    "    def forward(self, h, a):\n"
                    "        return torch.sigmoid(self.fc(h * a)) + 1e-6  # expect\n\n" + _INFONCE
                ),
            },
            "an offset alone does not widen the band",
            fixed=[("        return torch.sigmoid(self.fc(h * a)) + 1e-6  # expect\n", "        return torch.sigmoid(self.fc(h * a) * 0.5) * 2.0 + 0.1 + 1e-6  # expect\n")],
        ),
    ]
    good = [
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
                    "class EnergyModel(nn.Module):\n"
                    "    def __init__(self, d):\n"
                    "        super().__init__()\n"
                    "        self.prediction_head = nn.Linear(d, 1)\n"
                    "        self.act = nn.Sigmoid()\n"
                    "        self.energy_scale = 2.0\n"
                    "        self.energy_offset = 0.1\n\n"
                    "    def forward(self, h, a):\n"
                    "        raw = self.prediction_head(torch.cat([h, a], -1))\n"
                    "        E = self.act(raw * 0.5) * self.energy_scale + self.energy_offset\n"
                    "        return E.squeeze(-1)\n\n" + _INFONCE
                ),
            },
            "the repaired 004",
        ),
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
                    "class EnergyModel(nn.Module):\n"
                    "    def __init__(self, d):\n"
                    "        super().__init__()\n"
                    "        self.head = nn.Linear(d, 1)\n"
                    "        self.gate = nn.Linear(d, d)\n\n"
                    "    def forward(self, h, a):\n"
                    "        x = torch.cat([h, a], -1)\n"
                    "        x = x * torch.sigmoid(self.gate(x))\n"
                    "        return self.head(x).squeeze(-1)\n\n" + _INFONCE
                ),
            },
            "an unbounded head; a gating sigmoid inside is not the output",
        ),
    ]

    fix_safety = "safe"
    fix_safety_why = "The head keeps its activation and gains a scale and offset (options `scale`, `offset`, `raw_scale`)."

    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        classes = sorted({f.evidence["network"] for f in findings if f.evidence.get("network")})
        edits = project.transform_or_edits(self, findings, opts, "energy-head", scale=opts["scale"],
                                           offset=opts["offset"], input_scale=opts["raw_scale"],
                                           **({"classes": classes} if classes else {}))
        if not edits:
            return []
        return [Fix(f"energy head: E = sigmoid(raw * {opts['raw_scale']:g}) * {opts['scale']:g} + {opts['offset']:g}",
                    edits, stage=self.fix_stage)]


RULE = SigmoidBoundedEnergy()
