"""GL104 wgan-learning-rate-high: a WGAN-GP learning rate above 2e-4 (document 000 §1.3)."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Severity
from ganlint.reading.code.links import read_only_by_tensor_search


_WGAN = (
    "import torch\nimport torch.nn as nn\n\n\n"
    "class Generator(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.net = nn.Sequential(nn.Linear(16, 256), nn.LeakyReLU(0.2), nn.Linear(256, 2))\n\n\n"
    "class Critic(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.net = nn.Sequential(nn.Linear(2, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))\n\n\n"
    "gen, critic = Generator(), Critic()\n"
)


class WganLearningRateHigh(SettingRangeRule):
    code = "GL104"
    slug = "wgan-learning-rate-high"
    severity = Severity.WARNING
    summary = "A WGAN-GP learning rate (generator, critic or shared) is above 2e-4."
    why = (
        "WGAN-GP trains a critic that must stay close to optimal while the generator moves. With Adam at 1e-3 "
        "both networks take steps too large for the penalised critic to track: losses oscillate, the "
        "Wasserstein estimate stops meaning anything, and in document 000 the generator's loss ran up to 12.6 "
        "while the samples collapsed onto a line. The reference settings use 1e-4 (or 5e-5)."
    )
    use_instead = "`learning_rate: 1e-4` (then `5e-5` if training still oscillates), with `n_critic: 5` and a batch of 64-128."
    source = "000 §1.3"
    families = ("wgan-gp",)
    setting = "learning_rate"
    prefer_roles = ("generator", "critic")
    optimizer_args = ("lr",)  # Adam(G.parameters(), lr=1e-3) in the code counts too
    roles = ("generator", "critic", None)
    high = "max_lr"
    options = {"max_lr": 2e-4, "proposed": 1e-4}
    option_docs = {
        "max_lr": "learning rates above this fire the rule",
        "proposed": "the learning rate the fix writes",
    }
    fix_stage = 2
    message = "WGAN-GP learning rate {key} = {value} is above {high}: the critic cannot keep up; use {proposed} (then 5e-5)"
    fix_message = "set {key} to {proposed}"
    bad = [
        Example(
            {"config.yaml": "grad_penalty: 10.0\nn_critic: 5\nlearning_rate: 0.001  # expect\nbatch_size: 64\n"},
            "document 000's YAML",
            fixed=[("learning_rate: 0.001  # expect\n", "learning_rate: 0.0001 # expect\n")],
        ),
        Example(
            {
                "train.py": (
                    "import argparse\n"
                    "parser = argparse.ArgumentParser()\n"
                    "parser.add_argument('--lambda_gp', type=float, default=10)\n"
                    "parser.add_argument('--lr_g', type=float, default=1e-3)  # expect\n"
                    "parser.add_argument('--lr_d', type=float, default=4e-4)  # expect\n"
                    "parser.add_argument('--lr_decay', type=float, default=0.5)\n"
                )
            },
            "argparse defaults, one per network",
            fixed=[("parser.add_argument('--lr_g', type=float, default=1e-3)  # expect\nparser.add_argument('--lr_d', type=float, default=4e-4)  # expect\n", "parser.add_argument('--lr_g', type=float, default=1e-4)  # expect\nparser.add_argument('--lr_d', type=float, default=1e-4)  # expect\n")],
        ),
        Example(
            {
                "config.toml": (
                    "[loss]\ngp_weight = 10\n\n[generator]\nlr = 5e-4  # expect\n\n[critic]\nlr = 1e-4\n"
                )
            },
            "TOML sections give the role",
            fixed=[("lr = 5e-4  # expect\n", "lr = 1e-4  # expect\n")],
        ),
        Example(
            {
                "config.yaml": "lambda_gp: 10\nn_critic: 5\n",
                "train.py": _WGAN + "opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.0, 0.9))\n"
                                    "opt_d = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))  # expect\n",
            },
            "a literal in the critic's optimizer call",
            fixed=[("train.py", "opt_d = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))  # expect\n", "opt_d = torch.optim.Adam(critic.parameters(), lr=0.0001, betas=(0.0, 0.9))  # expect\n")],
        ),
    ]
    good = [
        Example({"config.yaml": "grad_penalty: 10.0\nn_critic: 5\nlearning_rate: 0.0001\n"}, "the repaired 000"),
        Example({"config.yaml": "lambda_gp: 10\nlr: 2.0e-4\n"}, "exactly at the bound"),
        Example({"config.yaml": "n_critic: 5\nclip_value: 0.01\nlr: 0.001\n"}, "WGAN with weight clipping, no penalty"),
        Example({"config.yaml": "grad_penalty: 10\nlr_g: 1e-4\nvae_lr: 1e-3\nenergy_lr: 1e-3\n"},
                "other networks' learning rates are not the WGAN's"),
        Example(
            {
                "config.yaml": "lambda_gp: 10\nn_critic: 5\n",
                "train.py": _WGAN + "opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.0, 0.9))\n"
                                    "opt_d = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.0, 0.9))\n",
            },
            "the paper's rates in code",
        ),
    ]

    def accept(self, facts, setting, opts) -> bool:
        """Not the rate of an optimizer over plain latent tensors (a GAN inversion's `Adam([latent_in], lr=args.lr)`)."""
        return not read_only_by_tensor_search(facts, setting)

    fix_safety = "safe"
    fix_safety_why = ("The rate is set to the option `proposed`, where the optimizer reads it: a setting that no "
                      "optimizer call reads is left alone and the call's own `lr=` literal is edited instead.")

    def fixes(self, project, findings, opts):
        return project.lr_fixes(self, findings, opts)


RULE = WganLearningRateHigh()
