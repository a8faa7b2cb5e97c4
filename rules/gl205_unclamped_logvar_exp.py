"""GL205 unclamped-logvar-exp: exp of a log-variance with no clamp on it anywhere (document 003 5️⃣)."""
from __future__ import annotations

import re
from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.roles import role_from_name
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.code.facts import norm_var
from ganlint.reading.code.links import replace_code, segment
from ganlint.reading.facts import ProjectFacts


# a log standard deviation by its name (logsigma, log_std, log_scale), not a log-variance (logsigma2, log_sigma_sq)
_LOG_STD = re.compile(r"(?i)(?:^|_)log_?(?:sigma|std|scale)(?!_?(?:2|sq|squared))(?:$|_)|(?:^|_)log_?(?:sigma|std|scale)$")


def log_scale_of(var: str) -> str:
    """What a name says it holds: "log-std" (exp of it is sigma) or "log-variance" (exp of it is sigma^2)."""
    leaf = var.rsplit(".", 1)[-1]
    return "log-std" if _LOG_STD.search(leaf) else "log-variance"


def adversarial_without_kl(facts: ProjectFacts) -> bool:
    """A GAN project with no word of a VAE: no KL term, no VAE-named network, no KL weight. An ALI/BiGAN
    inference network samples z = mu + exp(logvar / 2) * eps and is trained by the discriminator alone:
    its log-variance feeds no KL term, so the VAE's overflow story does not apply."""
    code = facts.code
    if code.kl_terms or "vae" in facts.settings_families():
        return False
    roles = {n.role for n in code.networks} | {role_from_name(c.cls) for c in code.constructions}
    return "vae" not in roles and bool(code.families() & {"gan", "wgan", "wgan-gp"})


class UnclampedLogvarExp(Rule):
    code = "GL205"
    slug = "unclamped-logvar-exp"
    severity = Severity.WARNING
    summary = "`log_var.exp()` / `torch.exp(logvar)` in the KL or the reparameterisation, and the log-variance is never clamped."
    why = (
        "The encoder's log-variance is an unconstrained linear output. A few large values make exp(log_var) "
        "overflow or produce huge gradients through the KL term and the sampled z; the KL term then jumps "
        "and the run may end in NaN (document 003 5️⃣)."
    )
    use_instead = "Clamp the log-variance where it is produced, e.g. `log_var = torch.clamp(log_var, -10, 10)`, or the variance: `torch.clamp(log_var.exp(), max=10)`."
    source = "003 5️⃣"
    families = ("vae",)
    options = {"low": -10.0, "high": 10.0}
    option_docs = {"low": "lower clamp bound the fix writes", "high": "upper clamp bound the fix writes"}
    fix_stage = 1

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        code = facts.code
        if adversarial_without_kl(facts):
            return
        # one finding per log-variance, function and use: the training branch's exp and the evaluation branch's
        # copy of it in one forward are one unclamped log-variance (both sites are fixed, the later related);
        # the sampling's exp and the KL's exp of it are two uses, each reported
        groups: dict[tuple, list] = {}
        for e in code.logvar_exps:
            if e.clamped_inline or norm_var(e.var) in code.clamped_logvars:
                continue
            groups.setdefault((e.location.file, e.scope, norm_var(e.var), e.in_kl), []).append(e)
        for uses in groups.values():
            e = uses[0]
            kind = getattr(e, "holds", None) or log_scale_of(e.var)
            # the same bound on the variance: log-std = log-variance / 2
            lo, hi = (opts["low"] / 2, opts["high"] / 2) if kind == "log-std" else (opts["low"], opts["high"])
            edits = [x for u in uses for x in self._clamp_edit(facts, u, lo, hi)]
            more = f" (and {len(uses) - 1} more exp of it in this function)" if len(uses) > 1 else ""
            yield self.finding(
                f"`{e.src}` exponentiates the {'log standard deviation' if kind == 'log-std' else 'log-variance'} "
                f"`{e.var}`{more}, which is never clamped: large values "
                f"overflow and blow up the KL gradient; clamp it to [{lo:g}, {hi:g}]",
                e.location,
                related=[u.location for u in uses[1:]],
                fix=Fix(f"clamp {e.var} to [{lo:g}, {hi:g}] before exp", edits),
                evidence={"variable": e.var, "scope": e.scope, "holds": kind},
            )

    @staticmethod
    def _clamp_edit(facts: ProjectFacts, e, lo: float, hi: float) -> list:
        var_src = segment(facts.texts, e.var_location)
        call_src = segment(facts.texts, e.location)
        if var_src == e.var and call_src and e.location.line == e.location.end_line == e.var_location.line:
            # rewrite the whole exp call (unique on its line) so the edit survives line shifts
            i = e.var_location.column - e.location.column
            new = call_src[:i] + f"{var_src}.clamp({lo:g}, {hi:g})" + call_src[i + len(var_src):]
            return [replace_code(e.location, call_src, new)]
        if var_src == e.var:
            return [replace_code(e.var_location, var_src, f"{var_src}.clamp({lo:g}, {hi:g})")]
        return []

    bad = [
        Example(
            {
                "vae.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class VAE(nn.Module):\n"
                    "    def forward(self, x):\n"
                    "        mu, log_var = self.encoder(x)\n"
                    "        std = torch.exp(0.5 * log_var)  # expect\n"
                    "        return mu + std * torch.randn_like(std), mu, log_var\n\n"
                    "def kl(mu, log_var):\n"
                    "    return torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))  # expect\n"
                ),
            },
            "document 003: both exp uses",
            fixed=[("        mu, log_var = self.encoder(x)\n", "        mu, log_var = self.encoder(x)\n        log_var = torch.clamp(log_var, -10.0, 10.0)\n"),
                   ("def kl(mu, log_var):\n", "def kl(mu, log_var):\n    log_var = torch.clamp(log_var, -10.0, 10.0)\n")],
        ),
        Example(
            {
                "vae.py": (
                    "import torch\n\n"
                    "def reparameterize(mu, logvar):\n"
                    "    std = logvar.mul(0.5).exp_()  # expect\n"
                    "    eps = torch.randn_like(std)\n"
                    "    return mu + eps * std\n"
                ),
            },
            "the in-place idiom",
            fixed=[("    std = logvar.mul(0.5).exp_()  # expect\n", "    std = logvar.clamp(-10, 10).mul(0.5).exp_()  # expect\n")],
        ),
        Example(
            {
                "vae_script.py": (
                    "import torch\n\n"
                    "def encode(x):\n"
                    "    h = torch.relu(x @ W_h)\n"
                    "    return h @ W_mu, h @ W_var\n\n"
                    "def loss_fn(x, x_rec):\n"
                    "    z_mu, z_var = encode(x)\n"
                    "    kl = torch.mean(0.5 * torch.sum(torch.exp(z_var) + z_mu**2 - 1. - z_var, 1))  # expect\n"
                    "    return kl\n"
                ),
            },
            "a log-variance called z_var: the Gaussian KL's exp(v) + mu^2 - 1 - v says what it is",
            fixed=[('    kl = torch.mean(0.5 * torch.sum(torch.exp(z_var) + z_mu**2 - 1. - z_var, 1))  # expect\n', '    kl = torch.mean(0.5 * torch.sum(torch.exp(z_var.clamp(-10, 10)) + z_mu**2 - 1. - z_var, 1))  # expect\n')]),
        Example(
            {
                "model.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Encoder(nn.Module):\n"
                    "    def forward(self, x):\n"
                    "        mu, std = self.mu_head(x), self.std_head(x)\n"
                    "        eps = torch.randn_like(mu)\n"
                    "        return mu + torch.exp(0.5 * std) * eps  # expect\n"
                ),
            },
            "a log-std called std, exponentiated in the reparameterisation",
            fixed=[('        return mu + torch.exp(0.5 * std) * eps  # expect\n', '        return mu + torch.exp(0.5 * std.clamp(-10, 10)) * eps  # expect\n')]),
        Example(
            {
                "dist.py": (
                    "import torch\n\n"
                    "class Normal:\n"
                    "    def sample(self, mu, logsigma):\n"
                    "        return mu + torch.exp(logsigma) * torch.randn_like(mu)  # expect\n"
                ),
            },
            "a log standard deviation (logsigma): named as such, clamped to half the log-variance bounds",
            fixed=[("        return mu + torch.exp(logsigma) * torch.randn_like(mu)  # expect\n",
                    "        return mu + torch.exp(logsigma.clamp(-5, 5)) * torch.randn_like(mu)  # expect\n")]),
        Example(
            {
                "loss.py": (
                    "import torch\n\n"
                    "def kl_loss(mean, std):\n"
                    "    var = torch.pow(torch.exp(std), 2)  # expect\n"
                    "    return -0.5 * torch.sum(1 + torch.log(var) - torch.pow(mean, 2) - var)\n"
                ),
            },
            "a log-std called std: exp(std) squared is the variance of the Gaussian KL that follows",
            fixed=[("    var = torch.pow(torch.exp(std), 2)  # expect\n",
                    "    var = torch.pow(torch.exp(std.clamp(-5, 5)), 2)  # expect\n")]),
        Example(
            {
                "layers.py": (
                    "import torch as t\nfrom torch.distributions import Normal\n\n"
                    "def posterior_sample(params):\n"
                    "    q_mu, q_lv = t.chunk(params, 2, dim=1)\n"
                    "    return Normal(q_mu, (q_lv / 2).exp()).rsample()  # expect\n"
                ),
            },
            "a log-variance called q_lv (lv: a hierarchical VAE's posterior and prior, q_lv / p_lv), in Normal(...)",
            fixed=[("    return Normal(q_mu, (q_lv / 2).exp()).rsample()  # expect\n",
                    "    return Normal(q_mu, (q_lv.clamp(-10, 10) / 2).exp()).rsample()  # expect\n")]),
    ]
    good = [
        Example(
            {
                "vae.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class Encoder(nn.Module):\n"
                    "    def forward(self, x):\n"
                    "        h = self.fc(x)\n"
                    "        return self.mu(h), torch.clamp(self.log_var(h), -10.0, 10.0)\n\n"
                    "def kl(mu, log_var):\n"
                    "    return torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim=1))\n\n"
                    "def reparameterize(mu, log_var):\n"
                    "    std = torch.exp(0.5 * log_var)\n"
                    "    return mu + std * torch.randn_like(std)\n"
                ),
            },
            "the repaired 003: clamped where produced",
        ),
        Example(
            {
                "vae.py": (
                    "import torch\n\n"
                    "def kl(mu, log_var):\n"
                    "    return -0.5 * torch.sum(1 + log_var - mu ** 2 - torch.clamp(log_var.exp(), max=10))\n\n"
                    "def reparam(mu, logvar):\n"
                    "    std = torch.exp(0.5 * logvar.clamp(-8, 8))\n"
                    "    return mu + std * torch.randn_like(std)\n"
                ),
            },
            "clamped inline: around the exp, or its argument",
        ),
        Example(
            {
                "train.py": (
                    "import torch\n\n"
                    "def log_stats(board, mu, logvar):\n"
                    "    board.add(var=logvar.exp().mean(0).data, mu=mu.mean(0).data)\n"
                    "    spread = logvar.exp().mean().item()\n"
                    "    return spread\n"
                ),
            },
            "the variance logged for a plot (.data / .item()): neither the KL nor the sampling",
        ),
        Example(
            {
                "attn.py": (
                    "import torch\n\n"
                    "def softmax(scores, mu):\n"
                    "    w = torch.exp(scores - scores.max())\n"
                    "    return w / w.sum() + mu\n"
                ),
            },
            "exp of something that is used as no log-variance",
        ),
    ]

    fix_safety = "safe"
    fix_safety_why = "The clamp bounds (options `low`, `high`) leave every ordinary log-variance unchanged."

    def fixes(self, project, findings: list[Finding], opts: dict[str, Any]) -> list[Fix]:
        # a clamp statement where log_var is produced covers every exp() below it; an inline .clamp() where
        # the transform cannot reach (the rule's own edit)
        fixes = []
        for kind in ("log-variance", "log-std"):  # a log-std gets half the bounds: the same bound on the variance
            group = [f for f in findings if (f.evidence or {}).get("holds", "log-variance") == kind]
            lo, hi = (float(opts["low"]), float(opts["high"]))
            lo, hi = (lo / 2, hi / 2) if kind == "log-std" else (lo, hi)
            edits = project.transform_or_edits(self, group, opts, "clamp-logvar", min=lo, max=hi) if group else []
            if edits:
                fixes.append(Fix(f"{'log_var' if kind == 'log-variance' else 'the log-std'} clamped to "
                                 f"[{lo:g}, {hi:g}] before exp()", edits, stage=self.fix_stage))
        return fixes

RULE = UnclampedLogvarExp()
