"""GL201 kl-weight-too-small: a VAE's KL weight below 0.01 with no annealing (document 003 1️⃣)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Edit, Finding, Fix, Severity
from ganlint.reading.code.links import kl_annealed, kl_weight_sources
from ganlint.reading.facts import ProjectFacts


def no_kl_in_models(facts: ProjectFacts) -> bool:
    """The project's Python defines models, and none of its code computes a KL term or samples by
    reparameterisation."""
    code = facts.code
    return bool(code.networks) and not (code.kl_terms or code.logvar_exps or code.reparameterisations)


class KlWeightTooSmall(Rule):
    code = "GL201"
    slug = "kl-weight-too-small"
    severity = Severity.WARNING
    summary = "A VAE's KL weight (`beta`, `kl_weight`, `*_vae_alpha`) is below 0.01 and nothing anneals it."
    why = (
        "With a KL weight of 0.001 the regulariser hardly acts in the early stage: the encoder is free to "
        "spread the posterior, the latent space is not organised, and the KL term drifts and oscillates "
        "instead of settling (document 003, `omg_vae_alpha = 0.001`)."
    )
    use_instead = "`kl_weight: 0.01`, or anneal it: `w = min(w_max, step / T)`."
    source = "003 1️⃣"
    families = ("vae",)
    options = {"min_weight": 0.01, "proposed": 0.01}
    option_docs = {"min_weight": "KL weights below this fire the rule", "proposed": "the weight the fix writes"}
    fix_stage = 1
    fix_safety = "safe"
    fix_safety_why = (
        "The KL weight is set to the option `proposed`."
    )

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        if kl_annealed(facts):
            return
        low, proposed = float(opts["min_weight"]), opts["proposed"]
        for kind, value, loc, src in kl_weight_sources(facts):
            if not (0 <= value < low):
                continue
            if kind == "setting" and no_kl_in_models(facts):
                continue  # a WAE's config keeps kld_weight, but its model computes no KL term
            if kind == "setting":
                edit = Edit("set-setting", loc.file, target=src.key, old=value, new=proposed)
                name = src.key
            else:
                edit = None
                name = src.src
            yield self.finding(
                f"KL weight {name} = {value:g} is below {low:g} and nothing anneals it: the KL term hardly "
                f"regularises the latent space; use {proposed:g} or anneal min(w_max, step / T)",
                loc,
                fix=Fix(f"set the KL weight to {proposed:g}", [edit] if edit else []),
                evidence={"kl_weight": value},
            )

    bad = [
        Example(
            {
                "config.py": "config = {}\nconfig['omg_vae_alpha'] = 0.001  # expect\n",
                "learner.py": (
                    "import torch\n\n"
                    "def loss_fn(args, recons_loss, mu, log_var):\n"
                    "    kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))\n"
                    "    return recons_loss + args['omg_vae_alpha'] * kld_loss\n"
                ),
            },
            "document 003",
            fixed=[("config.py", "config['omg_vae_alpha'] = 0.001  # expect\n", "config['omg_vae_alpha'] = 0.01  # expect\n")],
        ),
        Example(
            {
                "vae.py": (
                    "import torch\n\n"
                    "def loss_fn(recon, mu, logvar):\n"
                    "    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())\n"
                    "    loss = recon + 0.0005 * kl  # expect\n"
                    "    return loss\n"
                ),
            },
            "a literal weight in the loss",
            fixed=[],
        ),
    ]
    good = [
        Example(
            {
                "config.py": "config = {}\nconfig['omg_vae_alpha'] = 0.01\n",
                "learner.py": (
                    "import torch\n\n"
                    "def loss_fn(args, recons_loss, mu, log_var):\n"
                    "    kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))\n"
                    "    return recons_loss + args['omg_vae_alpha'] * kld_loss\n"
                ),
            },
            "0.01",
        ),
        Example(
            {
                "config.yaml": "vae:\n  kl_weight: 0.001\n",
                "vae.py": (
                    "import torch\n\n"
                    "def loss_fn(cfg, recon, mu, logvar, step):\n"
                    "    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())\n"
                    "    w = min(cfg['kl_weight'], step / 1000)\n"
                    "    return recon + w * kl\n"
                ),
            },
            "a small target weight reached by annealing",
        ),
        Example(
            {
                "wae.yaml": "model_params:\n  name: WAE_MMD\nexp_params:\n  kld_weight: 0.00025\n",
                "wae.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class WAE_MMD(nn.Module):\n"
                    "    def loss_function(self, recons, x, z, **kwargs):\n"
                    "        prior_z = torch.randn_like(z)\n"
                    "        return ((recons - x) ** 2).mean() + self.mmd(z, prior_z)\n"
                ),
            },
            "a WAE's leftover kld_weight: its model computes no KL term",
        ),
    ]


RULE = KlWeightTooSmall()
