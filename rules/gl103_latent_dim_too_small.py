"""GL103 latent-dim-too-small: a generator's latent (z_dim / nz / latent_dim) below 8 (document 000 §1.4)."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Severity


class LatentDimTooSmall(SettingRangeRule):
    code = "GL103"
    slug = "latent-dim-too-small"
    severity = Severity.INFO
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
    ]
    good = [
        Example({"config.yaml": "grad_penalty: 10.0\nz_dim: 16\n"}, "the repaired 000"),
        Example({"config.yaml": "grad_penalty: 10.0\nz_dim: 8\n"}, "at the bound"),
        Example({"config.yaml": "kl_weight: 0.01\nlatent_dim: 2\n"}, "a VAE's 2-D latent is GL206's range, not this"),
    ]


RULE = LatentDimTooSmall()
