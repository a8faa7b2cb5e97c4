"""GL204 grad-clip-too-tight: a VAE clipping the gradient norm below 10 (document 003 4️⃣)."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Severity


class GradClipTooTight(SettingRangeRule):
    code = "GL204"
    slug = "grad-clip-too-tight"
    severity = Severity.WARNING
    summary = "A VAE clips the gradient norm below 10."
    why = (
        "Early in VAE training the reconstruction gradient is large. Clipping its norm at 5 rescales almost "
        "every step, so the effective learning rate follows the clip rather than the optimizer and the "
        "balance between reconstruction and KL shifts from step to step (document 003, where raising "
        "`grad_norm_clip` to 10 helped steady the KL term)."
    )
    use_instead = "`grad_norm_clip: 10`."
    source = "003 4️⃣"
    families = ("vae",)
    setting = "grad_clip"
    roles = ("vae", "encoder", "decoder", None)
    low = "min_clip"
    options = {"min_clip": 10, "proposed": 10}
    option_docs = {"min_clip": "gradient-norm clips below this fire the rule", "proposed": "the clip the fix writes"}
    fix_stage = 2
    fix_safety = "safe"
    fix_safety_why = (
        "The clip norm is set to the option `proposed`."
    )
    message = "VAE gradient-norm clip {key} = {value} is below {low}: most steps get rescaled; use {proposed}"

    def accept(self, facts, setting, opts):
        return setting.value > 0  # 0 (or negative) usually means "no clipping"

    bad = [
        Example(
            {"config.py": "config = {}\nconfig['omg_vae_alpha'] = 0.01\nconfig['grad_norm_clip'] = 5  # expect\n"},
            "document 003",
            fixed=[("config['grad_norm_clip'] = 5  # expect\n", "config['grad_norm_clip'] = 10  # expect\n")],
        ),
        Example({"config.yaml": "kl_weight: 0.01\nmax_grad_norm: 1.0  # expect\n"}, "YAML",
            fixed=[("max_grad_norm: 1.0  # expect\n", "max_grad_norm: 10.0 # expect\n")]),
    ]
    good = [
        Example({"config.py": "config = {}\nconfig['omg_vae_alpha'] = 0.01\nconfig['grad_norm_clip'] = 10\n"}, "repaired 003"),
        Example({"config.toml": "[energy]\ntemperature = 0.3\ngrad_clip = 0.3\n"}, "an energy model's clip (004)"),
        Example({"config.yaml": "kl_weight: 0.01\ngrad_clip: 0\n"}, "0 switches clipping off"),
    ]


RULE = GradClipTooTight()
