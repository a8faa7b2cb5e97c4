"""GL202 no-kl-annealing: the KL weight is a constant from step 0 (document 003 1️⃣)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.types import Edit, Finding, Fix, Severity
from ganlint.reading.code.links import kl_annealed, kl_weight_sources
from ganlint.reading.facts import ProjectFacts


class NoKlAnnealing(Rule):
    code = "GL202"
    slug = "no-kl-annealing"
    severity = Severity.WARNING
    summary = "A VAE's KL weight is a constant from step 0: no annealing in the code and no anneal setting."
    why = (
        "At step 0 the decoder knows nothing, so the cheapest way to lower the loss is to shut the latent "
        "channel (posterior = prior, KL → 0); a constant KL weight applies full pressure exactly then. "
        "Ramping the weight up (linear `min(w_max, step / T)` or cyclical schedules) lets the decoder learn "
        "to use the latent code first, and stops the KL term from oscillating (document 003)."
    )
    use_instead = (
        "`kl_weight = min(w_max, step / T)` (e.g. T = 1000 steps), or a cyclical schedule; add "
        "`kl_anneal_steps` to the config."
    )
    source = "003 1️⃣"
    families = ("vae",)
    options = {"anneal_steps": 1000}
    option_docs = {"anneal_steps": "the ramp length T the fix proposes"}
    fix_stage = 1

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        code = facts.code
        if not (code.kl_terms or code.kl_weights) or kl_annealed(facts):
            return  # no KL term in the code read: the schedule cannot be seen
        T = opts["anneal_steps"]
        for kind, value, loc, src in kl_weight_sources(facts):
            name = src.key if kind == "setting" else src.src
            via = ""
            if kind == "literal" and getattr(src, "param_of", None):  # def elbo_loss(..., beta=1)
                via = (f" (the default of {src.param_of}()'s `{name}`, which its calls leave as is)"
                       if src.default is not None else f" (passed to {src.param_of}())")
            yield self.finding(
                f"KL weight {name} = {value:g}{via} applies in full from step 0 (no annealing in the code, no anneal "
                f"setting): ramp it up, w = min({value:g}, step / {T})",
                loc,
                fix=Fix(f"anneal the KL weight: min({name}, step / {T}) in the loss, and add kl_anneal_steps = {T}", []),
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
            fixed=[],
        ),
        Example(
            {
                "vae.py": (
                    "import torch\n\n"
                    "def loss_fn(recon, mu, logvar):\n"
                    "    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())\n"
                    "    beta = 4.0\n"
                    "    return recon + beta * kl  # expect\n"
                ),
            },
            "a constant beta-VAE weight in the loss",
            fixed=[],
        ),
    ]
    good = [
        Example(
            {
                "config.py": "config = {}\nconfig['omg_vae_alpha'] = 0.01\nconfig['kl_anneal_steps'] = 1000\n",
                "learner.py": (
                    "import torch\n\n"
                    "class Learner:\n"
                    "    def train(self, recons_loss, mu, log_var):\n"
                    "        kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))\n"
                    "        kl_weight = min(self.args['omg_vae_alpha'], self.step / self.args['kl_anneal_steps'])\n"
                    "        return recons_loss + kl_weight * kld_loss\n"
                ),
            },
            "the repaired 003",
        ),
        Example(
            {
                "vae.py": (
                    "import torch\n\n"
                    "class Trainer:\n"
                    "    def on_epoch(self, epoch):\n"
                    "        self.beta = min(1.0, epoch / 50)\n\n"
                    "    def loss(self, recon, mu, logvar):\n"
                    "        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())\n"
                    "        return recon + self.beta * kl\n"
                ),
            },
            "an attribute annealed elsewhere",
        ),
        Example(
            {"config.yaml": "vae:\n  kl_weight: 0.5\n"},
            "config only: the code's schedule is not visible",
        ),
    ]

    fix_safety = "safe"
    fix_safety_why = ("The weight ramps from 0 to its configured value over `anneal_steps`, then stays there: the "
                      "objective at convergence is the user's. Refused where the loss has no step counter to read.")

    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        from ganlint.fix.project import refused

        message = f"KL weight annealed over {opts['anneal_steps']} steps"
        at = {(f.location.file, f.location.line) for f in findings}
        weights = [k for k in project.settings if (k.file, k.line) in at]
        if len(weights) != 1:
            return [refused(message, "the KL weight is not one setting the loss reads")]
        w = weights[0]
        leaf = w.key.rsplit(".", 1)[-1]
        why: list[str] = []
        code_edits = project.transform_edits("kl-annealing", why=why, weight_key=leaf, steps_key="kl_anneal_steps",
                                             steps=opts["anneal_steps"])
        if not code_edits:  # the setting alone would be read by nothing
            return [refused(message, why[0] if why else f"no loss multiplies {leaf} by the KL term where a step is counted")]
        edits = code_edits
        from ganlint.fix.edits import apply_edits

        reads_key = any("kl_anneal_steps" in t for t in apply_edits(project.texts, code_edits).values())
        if reads_key and not project.find("kl_anneal_steps"):  # only a key the annealed loss reads
            edits = [Edit("add-setting", w.file, target="kl_anneal_steps", old=w.key, new=opts["anneal_steps"]), *edits]
        return [Fix(f"KL weight annealed: min({leaf}, step / kl_anneal_steps), {opts['anneal_steps']} steps", edits,
                    stage=self.fix_stage)]


RULE = NoKlAnnealing()
