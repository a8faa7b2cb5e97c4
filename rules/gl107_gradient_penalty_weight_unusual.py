"""GL107 gradient-penalty-weight-unusual: the WGAN-GP penalty weight λ outside [1, 10] (000 §2.4, 001)."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Setting, Severity


class GradientPenaltyWeightUnusual(SettingRangeRule):
    code = "GL107"
    slug = "gradient-penalty-weight-unusual"
    severity = Severity.WARNING
    summary = "The gradient-penalty weight λ (`grad_penalty`, `lambda_gp`, `gp_weight`, `LAMBDA`) is outside [1, 10]."
    why = (
        "The penalty keeps the critic 1-Lipschitz. Far below 1 it barely constrains the critic, which then "
        "behaves like an unconstrained discriminator; above 10 it dominates the critic's loss and "
        "over-smooths it, so the generator gets a flat, uninformative gradient (documents 000 and 001). The "
        "paper's λ = 10 works across many problems; lower it to 5 or 1 only if the probe sees collapse."
    )
    use_instead = "`lambda_gp: 10` (then 5 or 1 if the probe reports mode collapse)."
    source = "000 §2.4, 001"
    families = ("wgan-gp",)
    setting = "gp_weight"
    low = "min_weight"
    high = "max_weight"
    options = {"min_weight": 1.0, "max_weight": 10.0, "proposed": 10.0}
    option_docs = {
        "min_weight": "penalty weights below this fire the rule",
        "max_weight": "penalty weights above this fire the rule",
        "proposed": "the weight the fix writes",
    }
    fix_stage = 4
    fix_safety = "safe"
    fix_safety_why = (
        "The penalty weight is set to the option `proposed`."
    )
    message = "gradient-penalty weight {key} = {value} is {direction} the usual [{low}, {high}]: the critic is {effect}; use {proposed}"

    def candidates(self, facts):
        """The penalty-weight settings, plus each number written as the multiplier of a gradient-penalty term
        (`d_loss += 0.2 * gradient_penalty(D, real, fake)`): that number is λ, with no setting to name it."""
        found = super().candidates(facts)
        for arg, term in facts.code.penalty_literals:
            found.append(Setting(key=f"multiplier of {term}", value=arg.literal, location=arg.location, style="code",
                                 canonical="gp_weight", raw=arg.src))
        return found

    def render(self, template, setting, direction, proposed, opts):
        effect = "barely constrained" if direction == "below" else "over-smoothed"
        if setting.style == "code":  # a number in the loss: say what it multiplies
            template = template.replace("{key} = {value}", "{value} (the {key})").replace("use {proposed}", "write {proposed}")
        return super().render(template.replace("{effect}", effect), setting, direction, proposed, opts)

    def accept(self, facts, setting, opts):
        return setting.value > 0  # 0 switches the penalty off: another matter

    bad = [
        Example({"wgan_toy.py": "MODE = 'wgan-gp'\nLAMBDA = .1  # expect\nCRITIC_ITERS = 5\n"}, "module constants",
            fixed=[("LAMBDA = .1  # expect\n", "LAMBDA = 10.0  # expect\n")]),
        Example({"config.yaml": "n_critic: 5\nlambda_gp: 100  # expect\n"}, "YAML",
            fixed=[("lambda_gp: 100  # expect\n", "lambda_gp: 10   # expect\n")]),
        Example(
            {
                "wgan_gp.py": (
                    "import torch\n\n"
                    "def gradient_penalty(D, real, fake):\n"
                    "    x_hat = (0.5 * real + 0.5 * fake).requires_grad_(True)\n"
                    "    g = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)[0]\n"
                    "    return ((g.norm(2, dim=1) - 1) ** 2).mean()\n\n"
                    "def critic_loss(D, real, fake):\n"
                    "    return D(fake).mean() - D(real).mean() + 0.2 * gradient_penalty(D, real, fake)  # expect\n"
                ),
            },
            "a number written as the penalty's multiplier, no setting",
            fixed=[("+ 0.2 * gradient_penalty(D, real, fake)  # expect\n", "+ 10 * gradient_penalty(D, real, fake)  # expect\n")]),
    ]
    good = [
        Example({"config.yaml": "n_critic: 5\nlambda_gp: 10\n"}, "the paper's value"),
        Example({"config.yaml": "n_critic: 5\ngrad_penalty: 1\n"}, "at the lower bound"),
        Example({"smoothing.py": "LAMBDA = 0.1\nEPOCHS = 10\n"}, "a LAMBDA with no GAN around it"),
    ]


RULE = GradientPenaltyWeightUnusual()
