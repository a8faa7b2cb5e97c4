"""GL206 latent-dim-large: a VAE latent dimension above 32 (document 003 6️⃣)."""
from __future__ import annotations

from typing import Any

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Finding, Fix, Setting, Severity
from ganlint.reading.facts import ProjectFacts



# the forward pass of the head-sized VAEs below (mean / log-variance heads, a KL term)
_HEADS_FORWARD = (
    "    def forward(self, x):\n"
    "        h = torch.relu(self.enc(x))\n"
    "        mu, logvar = self.fc_mu(h), self.fc_logvar(h)\n"
    "        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)\n"
    "        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())\n"
    "        return torch.sigmoid(self.dec(z)), kld\n"
)

class LatentDimLarge(SettingRangeRule):
    code = "GL206"
    slug = "latent-dim-large"
    severity = Severity.INFO
    summary = "A VAE's latent dimension is above 32."
    why = (
        "Each latent dimension adds a KL term. With 64 dimensions for a small input most of them carry "
        "nothing, the KL sum is dominated by noise from unused units, and the total KL wanders (document "
        "003). A remark on the typical range: the probe's active-unit count tells whether the extra "
        "dimensions are used."
    )
    use_instead = "`latent_dim: 16`, or keep it and add a small L2 term on `mu`."
    source = "003 6️⃣"
    families = ("vae",)
    # a conv VAE's latent channel count (`--latent_channels 256` over a 4x4 map): the latent holds at least
    # that many units, so a count above the bound is a latent above it
    setting = ("latent_dim", "latent_channels")
    roles = ("vae", "encoder", "decoder", None)
    high = "max_latent"
    options = {"max_latent": 32, "proposed": 16}
    option_docs = {"max_latent": "latent sizes above this fire the rule", "proposed": "the latent size the fix writes"}
    fix_stage = 3
    fix_safety = "safe"
    fix_safety_why = (
        "The latent size is set to the option `proposed`."
    )
    message = "VAE latent {key} = {value} is above {high}: unused dimensions add KL noise; use {proposed} (or an L2 term on mu)"
    bad = [
        Example({"config.py": "config = {}\nconfig['omg_vae_alpha'] = 0.01\nconfig['latent_dim'] = 64  # expect\n"}, "003",
            fixed=[("config['latent_dim'] = 64  # expect\n", "config['latent_dim'] = 16  # expect\n")]),
        Example({"config.yaml": "vae:\n  kl_weight: 0.01\n  latent_size: 128  # expect\n"}, "YAML section",
            fixed=[("  latent_size: 128  # expect\n", "  latent_size: 16   # expect\n")]),
        Example(
            {
                "vae.py": (
                    "import torch\nimport torch.nn as nn\n\n\n"
                    "class VAE(nn.Module):\n"
                    "    def __init__(self, nf=32):\n"
                    "        super().__init__()\n"
                    "        self.conv = nn.Conv2d(1, nf, 4, 2, 1)\n"
                    "        self.fc1 = nn.Linear(nf * 14 * 14, 256)  # expect\n"
                    "        self.fc2 = nn.Linear(nf * 14 * 14, 256)\n"
                    "        self.dec = nn.Linear(256, 784)\n\n"
                    "    def encode(self, x):\n"
                    "        h = torch.relu(self.conv(x)).flatten(1)\n"
                    "        mean = self.fc1(h)\n"
                    "        logvar = self.fc2(h)\n"
                    "        return mean, logvar\n\n"
                    "    def forward(self, x):\n"
                    "        mu, logvar = self.encode(x)\n"
                    "        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)\n"
                    "        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())\n"
                    "        return torch.sigmoid(self.dec(z)), kld\n\n\n"
                    "latent_dim = 8  # only the size of some sampling noise: the model's latent is 256\n"
                ),
            },
            "the latent is the literal width of the mean and log-variance heads",
            fixed=[]),
        Example(
            {
                "train.py": (
                    "import argparse\n"
                    "parser = argparse.ArgumentParser()\n"
                    "parser.add_argument('--kl_scale', type=float, default=1.0)\n"
                    "parser.add_argument('--ch', type=int, default=64, help='base channel count')\n"
                    "parser.add_argument('--latent_channels', type=int, default=128)  # expect\n"
                ),
            },
            "a conv VAE's latent channel count: the latent is at least that many units",
            fixed=[]),
    ]
    good = [
        Example({"config.py": "config = {}\nconfig['omg_vae_alpha'] = 0.01\nconfig['latent_dim'] = 16\n"}, "repaired 003"),
        Example({"config.yaml": "kl_weight: 0.01\nlatent_dim: 32\n"}, "at the bound"),
        Example({"config.yaml": "grad_penalty: 10\nz_dim: 128\n"}, "a GAN's latent"),
        Example({"config.yaml": "kl_weight: 0.01\nchannels: 256\nhidden_channels: 128\nlatent_dim: 16\n"},
                "channel counts that are not the latent's"),
        Example(
            {
                "vae.py": (
                    "import torch\nimport torch.nn as nn\n\nLATENT = 16\n\n\n"
                    "class VAE(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.enc = nn.Linear(784, 400)\n"
                    "        self.fc_mu = nn.Linear(400, LATENT)\n"
                    "        self.fc_logvar = nn.Linear(400, LATENT)\n"
                    "        self.dec = nn.Linear(LATENT, 784)\n\n"
                    + _HEADS_FORWARD
                ),
            },
            "heads sized by a latent setting the model uses (16)",
        ),
        Example(
            {
                "vae.py": (
                    "import torch\nimport torch.nn as nn\n\n\n"
                    "class VAE(nn.Module):\n"
                    "    def __init__(self, z_dim):\n"
                    "        super().__init__()\n"
                    "        self.enc = nn.Linear(784, 400)\n"
                    "        self.fc_mu = nn.Linear(400, z_dim)\n"
                    "        self.fc_logvar = nn.Linear(400, z_dim)\n"
                    "        self.dec = nn.Linear(z_dim, 784)\n\n"
                    + _HEADS_FORWARD
                ),
            },
            "heads whose width is a parameter no call fixes: unknown",
        ),
    ]

    def candidates(self, facts: ProjectFacts) -> list[Setting]:
        """The latent settings, plus the literal width of a VAE's mean / log-variance heads (a file training a
        VAE: a KL term or a reparameterisation there), unless a latent setting of that file says the same."""
        found = super().candidates(facts)
        code = facts.code
        vae_files = {m.location.file for items in (code.kl_terms, code.reparameterisations, code.logvar_exps)
                     for m in items}
        same = {(s.location.file, s.value) for s in found if isinstance(s.value, (int, float))}  # lists too
        for head in code.latent_heads:
            if head.location.file in vae_files and (head.location.file, head.value) not in same:
                found.append(head)
        return found

    def make_finding(self, facts: ProjectFacts, s: Setting, direction: str, opts: dict[str, Any], *rest) -> Finding:
        finding = super().make_finding(facts, s, direction, opts, *rest)
        if s.canonical == "latent_channels":  # a fix to `proposed` channels would still leave channels x map
            proposed = opts.get("proposed", self.options["proposed"])
            finding.message = (f"VAE latent {s.key} = {s.value} channels is above {opts.get('max_latent', 32)}: the "
                               "latent holds channels x the feature map units, most of them unused, adding KL noise; "
                               f"use fewer channels (the whole latent near {proposed}) or an L2 term on mu")
            finding.fix = Fix(f"make the latent about {proposed} units: not applied automatically: the size is the "
                              "channel count times the encoder's output map", [], display_only=True)
        elif s.style == "latent-head":  # the width is written in both heads and the decoder's input: no one edit
            finding.fix = Fix(f"make the latent {opts.get('proposed', self.options['proposed'])} wide: not "
                              "applied automatically: the width is written in the mean and log-variance heads and "
                              "the decoder's first layer; name it once and use the name in all three", [],
                              display_only=True)
        return finding


RULE = LatentDimLarge()
