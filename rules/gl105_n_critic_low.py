"""GL105 n-critic-low: a WGAN / WGAN-GP critic updated fewer than 5 times per generator step (000 §1.3, 001)."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Severity


class NCriticLow(SettingRangeRule):
    code = "GL105"
    slug = "n-critic-low"
    severity = Severity.WARNING
    summary = "A WGAN / WGAN-GP updates the critic fewer than 5 times per generator step."
    why = (
        "The Wasserstein gradient the generator follows is only as good as the critic's estimate of the "
        "distance, and the critic only gets close to optimal with several updates per generator step. With "
        "`n_critic` below 5 the generator chases a poor critic (documents 000 and 001): losses drift and "
        "modes are dropped."
    )
    use_instead = "`n_critic: 5` (the WGAN and WGAN-GP papers' setting)."
    source = "000 §1.3, 001"
    families = ("wgan", "wgan-gp")
    setting = "n_critic"
    low = "min_n_critic"
    options = {"min_n_critic": 5, "proposed": 5}
    option_docs = {
        "min_n_critic": "critic updates per generator step below this fire the rule",
        "proposed": "the value the fix writes",
    }
    fix_stage = 2
    fix_safety = "safe"
    fix_safety_why = (
        "n_critic is set to the option `proposed`."
    )
    message = "{key} = {value}: the critic is updated fewer than {low} times per generator step and gives the generator a poor gradient; use {proposed}"
    bad = [
        Example({"config.yaml": "grad_penalty: 10.0\nn_critic: 4  # expect\n"}, "document 000",
            fixed=[("n_critic: 4  # expect\n", "n_critic: 5  # expect\n")]),
        Example({"wgan_toy.py": "LAMBDA = 10\nCRITIC_ITERS = 1  # expect\nBATCH_SIZE = 256\n"}, "module constants",
            fixed=[("CRITIC_ITERS = 1  # expect\n", "CRITIC_ITERS = 5  # expect\n")]),
        Example({"config.toml": "[wgan]\nclip_value = 0.01\nn_critic = 2  # expect\n"}, "WGAN with clipping",
            fixed=[("n_critic = 2  # expect\n", "n_critic = 5  # expect\n")]),
    ]
    good = [
        Example({"config.yaml": "grad_penalty: 10.0\nn_critic: 5\n"}, "the usual 5"),
        Example({"config.yaml": "gan_mode: vanilla\nd_steps: 1\n"}, "a standard GAN's discriminator steps"),
        Example({"config.yaml": "d_steps: 1\nlr: 1e-4\n"}, "d_steps alone does not say WGAN"),
    ]


RULE = NCriticLow()
