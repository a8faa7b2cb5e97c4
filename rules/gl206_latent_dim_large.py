"""GL206 latent-dim-large: a VAE latent dimension above 32 (document 003 6️⃣)."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Severity


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
    setting = "latent_dim"
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
    ]
    good = [
        Example({"config.py": "config = {}\nconfig['omg_vae_alpha'] = 0.01\nconfig['latent_dim'] = 16\n"}, "repaired 003"),
        Example({"config.yaml": "kl_weight: 0.01\nlatent_dim: 32\n"}, "at the bound"),
        Example({"config.yaml": "grad_penalty: 10\nz_dim: 128\n"}, "a GAN's latent"),
    ]


RULE = LatentDimLarge()
