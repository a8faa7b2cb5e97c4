"""GL103 latent-dim-too-small: a generator's latent (z_dim / nz / latent_dim) below 8 (document 000 §1.4)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.roles import role_from_name
from ganlint.core.types import Finding, Fix, Severity
from ganlint.reading.facts import ProjectFacts


class LatentDimTooSmall(SettingRangeRule):
    code = "GL103"
    slug = "latent-dim-too-small"
    severity = Severity.INFO
    runtime_fact = "latent_small"  # the probe's name for this condition in the built networks
    summary = "A GAN generator's latent dimension (`z_dim`, `nz`, `latent_dim`) is below 8."
    why = (
        "The generator maps noise to data; with 3 noise dimensions it has little freedom to shape a "
        "multi-modal distribution and tends to drop or merge modes (document 000 §1.4). This is a remark, "
        "not a verdict: a 2-D toy can work with a 2-D latent, and `ganlint probe` decides by measuring mode "
        "coverage."
    )
    use_instead = "`z_dim: 16` (anything in 8-32)."
    source = "000 §1.4"
    families = ("gan", "wgan", "wgan-gp")
    setting = "latent_dim"
    roles = ("generator", None)
    low = "min_latent"
    options = {"min_latent": 8, "proposed": 16}
    option_docs = {"min_latent": "latent sizes below this fire the rule", "proposed": "the latent size the fix writes"}
    fix_stage = 3
    fix_safety = "safe"
    fix_safety_why = (
        "The latent size is set to the option `proposed` in the setting the networks are built from."
    )
    message = (
        "generator latent {key} = {value} is below {low}: few noise dimensions to shape several modes; "
        "try {proposed} (8-32). A 2-D toy can work with 2: `ganlint probe` decides"
    )
    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        found = list(super().check(facts, opts))
        yield from found
        if found:
            return  # a latent setting is reported: it is the one to report
        setting_files = {s.location.file for s in self.candidates(facts)}
        low = opts["min_latent"]
        for net in facts.code.networks_with_role("generator") + _wrapped_generators(facts):
            first = net.input_layer
            # the noise enters the generator's first layer: Linear(N_IDEAS, 128), ConvTranspose2d(nz, ...)
            if first is None or first.kind not in ("Linear", "ConvTranspose2d", "ConvTranspose1d") or not first.certain:
                continue
            if setting_files and (first.in_origin is None or first.in_origin.file in setting_files):
                continue  # a latent setting exists where this width could come from: it is the one judged
            if isinstance(first.in_width, int) and 0 < first.in_width < low:
                yield self.finding(
                    f"generator `{net.name}` takes a {first.in_width}-dimensional noise (its first layer's input) "
                    f"below {low}: few noise dimensions to shape several modes; try {opts['proposed']} (8-32). "
                    "A 2-D toy can work with 2: `ganlint probe` decides",
                    first.in_origin or first.location,
                    related=[first.location] if first.in_origin else [],
                    fix=Fix(f"give the generator a {opts['proposed']}-dimensional noise", []),
                    evidence={"network": net.name, "latent": first.in_width},
                )

    bad = [
        Example({"config.yaml": "grad_penalty: 10.0\nz_dim: 3  # expect\n"}, "document 000",
            fixed=[("z_dim: 3  # expect\n", "z_dim: 16 # expect\n")]),
        Example({"wgan_toy.py": "CRITIC_ITERS = 5\nNZ = 2  # expect\n"}, "module constants",
            fixed=[("NZ = 2  # expect\n", "NZ = 16  # expect\n")]),
        Example({"config.toml": "[train]\nlambda_gp = 10\n\n[generator]\nlatent_size = 4  # expect\n"}, "TOML section",
            fixed=[("latent_size = 4  # expect\n", "latent_size = 16  # expect\n")]),
        Example(
            {
                "conf/config.yaml": "defaults:\n  - model: wgan_gp\n  - _self_\nbatch_size: 64\n",
                "conf/model/wgan_gp.yaml": "lambda_gp: 10\ngenerator:\n  z_dim: 2  # expect\n",
            },
            "Hydra: the group file's own line",
            fixed=[("conf/model/wgan_gp.yaml", "  z_dim: 2  # expect\n", "  z_dim: 16 # expect\n")],
        ),
        Example(
            {
                "gan_script.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "N_IDEAS = 5  # expect\nART_COMPONENTS = 15\n\n"
                    "G = nn.Sequential(nn.Linear(N_IDEAS, 128), nn.ReLU(), nn.Linear(128, ART_COMPONENTS))\n"
                    "D = nn.Sequential(nn.Linear(ART_COMPONENTS, 128), nn.ReLU(), nn.Linear(128, 1), nn.Sigmoid())\n"
                    "criterion = nn.BCELoss()\n"
                ),
            },
            "readable only as the generator's first layer's input: reported where the size is written",
            fixed=[("N_IDEAS = 5  # expect\n", "N_IDEAS = 16  # expect\n")],
        ),
    ]
    good = [
        Example({"config.yaml": "grad_penalty: 10.0\nz_dim: 16\n"}, "the repaired 000"),
        Example({"config.yaml": "grad_penalty: 10.0\nz_dim: 8\n"}, "at the bound"),
        Example({"config.yaml": "kl_weight: 0.01\nlatent_dim: 2\n"}, "a VAE's 2-D latent is GL206's range, not this"),
        Example(
            {
                "cgan.py": (
                    "import torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self, n_classes=10, latent=64):\n"
                    "        super().__init__()\n"
                    "        self.label_emb = nn.Embedding(n_classes, 4)\n"
                    "        self.net = nn.Sequential(nn.Linear(latent + 4, 128), nn.ReLU(), nn.Linear(128, 784))\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 1))\n\n"
                    "G, D = Generator(), Discriminator()\nloss = nn.BCEWithLogitsLoss()\n"
                ),
            },
            "a conditional generator's first layer is its label embedding, not the noise",
        ),
        Example(
            {
                "test_gan.py": (
                    "import torch\nimport torch.nn as nn\n\n"
                    "class ExampleGenerator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.l1 = nn.Linear(1, 1)\n\n"
                    "    def forward(self, z):\n"
                    "        return torch.ones(z.shape[0], 3, 32, 32)\n\n"
                    "class ExampleDiscriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.l1 = nn.Linear(1, 1)\n\n"
                    "    def forward(self, x):\n"
                    "        return torch.ones(x.shape[0])\n\n"
                    "G, D = ExampleGenerator(), ExampleDiscriminator()\nloss = nn.BCEWithLogitsLoss()\n"
                ),
            },
            "a test's stand-in generator whose forward never uses its layer",
        ),
    ]


    def harmless_in_run(self, family, facts, metrics, hp, data_dim, runtime_codes) -> str | None:
        """The probe's review: a small latent on a low-dimensional toy whose every mode the run covered with
        the right spread (and no collapse finding) is not harmful there; the note saying so, else None."""
        if family not in ("gan", "wgan", "wgan-gp") or not facts.get(self.runtime_fact):
            return None
        cov, spr = metrics.get("mode_coverage"), metrics.get("spread_ratio")
        if cov != 1.0 or spr is None or spr < 0.5 or "GL511" in runtime_codes or "GL510" in runtime_codes:
            return None
        return (f"{self.code} (latent_dim {hp['latent_dim']['value']}) is not harmful here: the {data_dim or 2}-D data's "
                f"modes are all covered (coverage {cov:.0%}, spread ratio {spr:.2f})")


def _wrapped_generators(facts: ProjectFacts) -> list:
    """A one-class GAN (`self.generator = nn.Sequential(...)` beside `self.discriminator`) whose first layer
    made is its generator stack's: the noise enters there."""
    out = []
    for net in facts.code.networks:
        if net.role == "generator" or net.input_layer is None:
            continue
        for st in net.stacks:
            first = next((l for l in st.layers if l.weighted or l.kind == "unknown"), None)
            if first is net.input_layer and role_from_name(st.attr.rsplit(".", 1)[-1]) == "generator":
                out.append(net)
                break
    return out


RULE = LatentDimTooSmall()
