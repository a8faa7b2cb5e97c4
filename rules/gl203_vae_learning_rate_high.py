"""GL203 vae-learning-rate-high: a VAE learning rate at or above 5e-4 (document 003 2️⃣)."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Severity


_VAE = (
    "import torch\nimport torch.nn as nn\n\n\n"
    "class VAE(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.enc = nn.Linear(16, 8)\n"
    "        self.dec = nn.Linear(4, 16)\n\n"
    "    def forward(self, x):\n"
    "        mu, log_var = self.enc(x).chunk(2, dim=-1)\n"
    "        z = mu + torch.exp(0.5 * log_var.clamp(-10, 10)) * torch.randn_like(mu)\n"
    "        return self.dec(z), mu, log_var\n\n\n"
    "vae = VAE()\n"
)


class VaeLearningRateHigh(SettingRangeRule):
    code = "GL203"
    slug = "vae-learning-rate-high"
    severity = Severity.WARNING
    summary = "A VAE trains with a learning rate at or above 5e-4."
    why = (
        "The KL term of a VAE reacts strongly to large steps: with Adam at 5e-4 the encoder's posterior "
        "variance swings, the KL term oscillates and the reconstruction never settles (document 003, where "
        "lowering `vae_lr` to 3e-4 and then 1e-4 calmed the KL curve)."
    )
    use_instead = "`vae_lr: 3e-4` (then 1e-4 if the KL term still oscillates)."
    source = "003 2️⃣"
    families = ("vae",)
    setting = "learning_rate"
    prefer_roles = ("vae", "encoder", "decoder")
    optimizer_args = ("lr",)  # Adam(G.parameters(), lr=1e-3) in the code counts too
    roles = ("vae", "encoder", "decoder", None)
    high = "max_lr"
    high_inclusive = True
    options = {"max_lr": 5e-4, "proposed": 3e-4}
    option_docs = {
        "max_lr": "learning rates at or above this fire the rule",
        "proposed": "the learning rate the fix writes",
    }
    fix_stage = 1
    message = "VAE learning rate {key} = {value} is at or above {high}: the KL term oscillates at this step size; use {proposed} (then 1e-4)"
    bad = [
        Example(
            {"config.py": "config = {}\nconfig['vae_lr'] = 5e-4  # expect\nconfig['omg_vae_alpha'] = 0.01\n"},
            "document 003, PyMARL style",
            fixed=[("config['vae_lr'] = 5e-4  # expect\n", "config['vae_lr'] = 3e-4  # expect\n")],
        ),
        Example({"config.yaml": "vae:\n  beta: 0.01\n  lr: 0.001  # expect\n"}, "a vae section",
            fixed=[("  lr: 0.001  # expect\n", "  lr: 0.0003 # expect\n")]),
        Example(
            {"hparams.py": "from dataclasses import dataclass\n\n@dataclass\nclass VAEConfig:\n"
                           "    kl_weight: float = 0.01\n    lr: float = 1e-3  # expect\n"},
            "dataclass defaults",
            fixed=[("    lr: float = 1e-3  # expect\n", "    lr: float = 3e-4  # expect\n")],
        ),
        Example({"model.py": _VAE + "opt = torch.optim.Adam(vae.parameters(), lr=1e-3)  # expect\n"}, "a literal in the code",
            fixed=[("opt = torch.optim.Adam(vae.parameters(), lr=1e-3)  # expect\n", "opt = torch.optim.Adam(vae.parameters(), lr=0.0003)  # expect\n")]),
        Example({"model.py": _VAE + "opt = torch.optim.Adam(vae.parameters())  # expect\n"},
                "Adam with no lr: torch's default 1e-3",
            fixed=[('opt = torch.optim.Adam(vae.parameters())  # expect\n', 'opt = torch.optim.Adam(vae.parameters(), lr=0.0003)  # expect\n')]),
        Example({"cvae.py": _VAE.replace("VAE", "CVAE").replace("vae = ", "model = ")
                 + "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # expect\n"},
                "a conditional VAE's class named CVAE (one token, a VAE variant), its optimizer on `model`",
            fixed=[("optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # expect\n",
                    "optimizer = torch.optim.Adam(model.parameters(), lr=0.0003)  # expect\n")]),
    ]
    good = [
        Example({"config.py": "config = {}\nconfig['vae_lr'] = 3e-4\nconfig['omg_vae_alpha'] = 0.01\n"}, "repaired 003"),
        Example({"config.yaml": "grad_penalty: 10\nlr: 0.001\n"}, "not a VAE"),
        Example({"config.yaml": "kl_weight: 0.01\nlr: 4.9e-4\nenergy_lr: 1e-3\n"}, "just below; other networks' rates"),
        Example(
            {"config.py": "config = {}\nconfig['lr'] = 0.0005\nconfig['vae_lr'] = 3e-4\nconfig['omg_vae_alpha'] = 0.01\n"},
            "PyMARL: the agent's lr next to the VAE's own vae_lr",
        ),
        Example({"model.py": _VAE + "opt = torch.optim.Adam(vae.parameters(), lr=3e-4)\n"}, "the document's 3e-4 in code"),
        Example({"model.py": _VAE + "opt = torch.optim.Adam(vae.parameters(), lr=3e-4)\n"}, "an explicit 3e-4"),
        Example(
            {"ae.py": "import torch\nimport torch.nn as nn\n\n\nclass Autoencoder(nn.Module):\n"
                      "    def __init__(self):\n        super().__init__()\n"
                      "        self.enc = nn.Linear(784, 32)\n        self.dec = nn.Linear(32, 784)\n\n"
                      "    def forward(self, x):\n        return self.dec(torch.relu(self.enc(x)))\n\n\n"
                      "ae = Autoencoder()\nopt = torch.optim.Adam(ae.parameters())\n"},
            "a plain autoencoder (no KL term, no reparameterisation) is no VAE",
        ),
    ]

    def optimizer_role(self, facts, opt):
        """An optimizer over a model whose class the code does not say (`Adam(self.model.parameters())` in a
        trainer handed its model) is the VAE's when it is the only optimizer of a file that trains a VAE and
        nothing else (its own KL term or reparameterisation, or networks named as a VAE's)."""
        if opt.role is not None or opt.tensors:
            return opt.role
        file = opt.location.file
        if facts.file_families(file) != {"vae"}:
            return None
        alone = sum(o.location.file == file for o in facts.code.optimizers) == 1
        return "vae" if alone else None

    fix_safety = "safe"
    fix_safety_why = ("The rate is set to the option `proposed`, where the optimizer reads it: a setting that no "
                      "optimizer call reads is left alone and the call's own `lr=` literal is edited instead.")

    def fixes(self, project, findings, opts):
        return project.lr_fixes(self, findings, opts)


RULE = VaeLearningRateHigh()
