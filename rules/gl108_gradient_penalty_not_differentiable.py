"""GL108 gradient-penalty-not-differentiable: the penalty's autograd.grad lacks create_graph=True, or is
taken at real or fake points only (document 001 Ⅲ; Gulrajani et al. 2017)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.links import add_kwarg, replace_code, segment
from ganlint.reading.facts import ProjectFacts

_PEN = (
    "import torch\n\n"
    "def gradient_penalty(critic, real, fake):\n"
    "    alpha = torch.rand(real.size(0), 1)\n"
    "    interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)\n"
    "    scores = critic(interpolates)\n"
)


class GradientPenaltyNotDifferentiable(Rule):
    code = "GL108"
    slug = "gradient-penalty-not-differentiable"
    severity = Severity.ERROR
    summary = "The gradient penalty's `torch.autograd.grad` lacks `create_graph=True`, or is taken at real or fake points only instead of interpolates."
    why = (
        "The penalty (‖∇D(x̂)‖ - 1)² is a function of the critic's gradient; to train the critic with it, "
        "autograd must differentiate through that gradient, which needs `create_graph=True`. Without it the "
        "penalty is a constant to the optimizer and the Lipschitz constraint is never enforced. WGAN-GP also "
        "enforces the constraint on random interpolates between real and generated samples (document 001's "
        "'half real, half fake' test pictures); penalising at real or fake points only leaves the space "
        "between them unconstrained."
    )
    use_instead = (
        "`x_hat = (a * real + (1 - a) * fake).requires_grad_(True)` with `a ~ U(0, 1)` per sample, then "
        "`torch.autograd.grad(critic(x_hat), x_hat, grad_outputs=torch.ones_like(...), create_graph=True)`."
    )
    source = "001 Ⅲ, paper"
    options: dict[str, Any] = {}

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        for g in facts.code.penalties:
            problems = []
            edits = []
            if not g.create_graph:
                problems.append("lacks create_graph=True (the penalty cannot be back-propagated)")
                old = segment(facts.texts, g.location)
                if old and not g.create_graph_given:
                    new = add_kwarg(old, "create_graph=True")
                    if new:
                        edits.append(replace_code(g.location, old, new))
                elif old and "create_graph=False" in old:
                    edits.append(replace_code(g.location, old, old.replace("create_graph=False", "create_graph=True")))
            if g.interpolated is False and g.two_sided:
                problems.append(f"is taken at `{g.inputs_src}` only, not at interpolates between real and fake samples")
            if not problems:
                continue
            yield self.finding(
                "the gradient penalty's autograd.grad " + " and ".join(problems),
                g.location,
                fix=Fix("pass create_graph=True; penalise at x_hat = a*real + (1-a)*fake", edits),
                evidence={"function": g.function, "inputs": g.inputs_src},
            )

    bad = [
        Example(
            {
                "gp.py": _PEN + (
                    "    grads = torch.autograd.grad(outputs=scores, inputs=interpolates,  # expect\n"
                    "                                grad_outputs=torch.ones_like(scores))[0]\n"
                    "    return ((grads.norm(2, dim=1) - 1) ** 2).mean()\n"
                ),
            },
            "create_graph missing",
            fixed=[("                                grad_outputs=torch.ones_like(scores))[0]\n", "                                grad_outputs=torch.ones_like(scores), create_graph=True)[0]\n")],
        ),
        Example(
            {
                "gp.py": (
                    "import torch\nfrom torch import autograd\n\n"
                    "def compute_gp(critic, real):\n"
                    "    real = real.requires_grad_(True)\n"
                    "    out = critic(real)\n"
                    "    g = autograd.grad(out.sum(), real, create_graph=True)[0]  # expect\n"
                    "    return ((g.norm(2, dim=1) - 1) ** 2).mean()\n"
                ),
            },
            "a two-sided penalty at real points only",
            fixed=[],
        ),
    ]
    good = [
        Example(
            {
                "gp.py": _PEN + (
                    "    grads = torch.autograd.grad(outputs=scores, inputs=interpolates,\n"
                    "                                grad_outputs=torch.ones_like(scores), create_graph=True)[0]\n"
                    "    return ((grads.norm(2, dim=1) - 1) ** 2).mean()\n"
                ),
            },
            "document 000's penalty",
        ),
        Example(
            {
                "ebm.py": (
                    "import torch\n\n"
                    "def langevin(energy, x, steps=10):\n"
                    "    for _ in range(steps):\n"
                    "        x = x.detach().requires_grad_(True)\n"
                    "        g = torch.autograd.grad(energy(x).sum(), x)[0]\n"
                    "        x = x - 0.1 * g + 0.01 * torch.randn_like(x)\n"
                    "    return x\n\n"
                    "def r1_penalty(d_out, real):\n"
                    "    g = torch.autograd.grad(d_out.sum(), real, create_graph=True)[0]\n"
                    "    return g.pow(2).sum(1).mean()\n"
                ),
            },
            "Langevin sampling is not a penalty; R1 is meant to be taken at real points",
        ),
    ]

    fix_safety = "safe"
    fix_safety_why = "`create_graph=True` only makes the penalty differentiable; the forward values are unchanged."

    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        edits = project.transform_or_edits(self, findings, opts, "create-graph")
        return [Fix("create_graph=True in the penalty's autograd.grad", edits, stage=self.fix_stage)] if edits else []


RULE = GradientPenaltyNotDifferentiable()
