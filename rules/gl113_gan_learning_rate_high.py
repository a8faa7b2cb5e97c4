"""GL113 gan-learning-rate-high: a standard GAN's learning rate above 2e-4 (document 002 §3(3))."""
from __future__ import annotations

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Severity
from ganlint.reading.code.links import read_only_by_tensor_search


_MODEL = (
    "import torch.nn as nn\n\n\n"
    "class Generator(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.net = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 2))\n\n\n"
    "class Discriminator(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.net = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))\n"
)


class GanLearningRateHigh(SettingRangeRule):
    code = "GL113"
    slug = "gan-learning-rate-high"
    severity = Severity.WARNING
    summary = "A standard (non-Wasserstein) GAN's learning rate is above 2e-4."
    why = (
        "A standard GAN is a two-player game that Adam at 1e-3 drives into oscillation: the discriminator "
        "wins quickly, its sigmoid saturates and the generator's gradient vanishes (document 002). The DCGAN "
        "settings that made GAN training dependable are Adam with lr 2e-4 and beta1 0.5."
    )
    use_instead = "`lr: 2e-4` for both networks, with Adam `betas=(0.5, 0.999)`."
    source = "002 §3(3)"
    families = ("gan",)
    setting = "learning_rate"
    prefer_roles = ("generator", "critic")
    optimizer_args = ("lr",)  # Adam(G.parameters(), lr=1e-3) in the code counts too
    roles = ("generator", "critic", None)
    high = "max_lr"
    options = {"max_lr": 2e-4, "proposed": 2e-4}
    option_docs = {
        "max_lr": "learning rates above this fire the rule",
        "proposed": "the learning rate the fix writes",
    }
    fix_stage = 2
    message = "GAN learning rate {key} = {value} is above {high}: the game oscillates and D saturates; use {proposed} with Adam beta1 0.5"
    bad = [
        Example({"config.yaml": "gan_mode: vanilla\nbatch_size: 64\nlr: 0.001  # expect\n"}, "pix2pix-style gan_mode",
            fixed=[("lr: 0.001  # expect\n", "lr: 0.0002 # expect\n")]),
        Example(
            {
                "train.py": (
                    "import argparse\n"
                    "parser = argparse.ArgumentParser()\n"
                    "parser.add_argument('--gan_type', default='dcgan')\n"
                    "parser.add_argument('--g_lr', type=float, default=1e-3)  # expect\n"
                    "parser.add_argument('--d_lr', type=float, default=4e-3)  # expect\n"
                )
            },
            "argparse, one rate per network",
            fixed=[("parser.add_argument('--g_lr', type=float, default=1e-3)  # expect\nparser.add_argument('--d_lr', type=float, default=4e-3)  # expect\n", "parser.add_argument('--g_lr', type=float, default=2e-4)  # expect\nparser.add_argument('--d_lr', type=float, default=2e-4)  # expect\n")],
        ),
        Example({"model.py": _MODEL, "config.yaml": "batch_size: 64\nlr: 0.001  # expect\n"}, "the family from the code (002)",
            fixed=[("config.yaml", "lr: 0.001  # expect\n", "lr: 0.0002 # expect\n")]),
        Example(
            {"train.py": _MODEL + "\n\nG, D = Generator(), Discriminator()\n"
                         "opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))  # expect\n"
                         "opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))\n"},
            "a literal in the optimizer call",
            fixed=[("opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))  # expect\n", "opt_g = torch.optim.Adam(G.parameters(), lr=0.0002, betas=(0.5, 0.999))  # expect\n")],
        ),
        Example(
            {"model.py": _MODEL,
             "train.py": "import torch\nfrom model import Discriminator, Generator\n"
                         "netG, netD = Generator(), Discriminator()\n"
                         "optG = torch.optim.Adam(netG.parameters(), betas=(0.5, 0.999))  # expect\n"
                         "optD = torch.optim.Adam(netD.parameters(), 2e-4, (0.5, 0.999))\n"},
            "Adam with no lr trains at torch's default 1e-3",
            fixed=[('optG = torch.optim.Adam(netG.parameters(), betas=(0.5, 0.999))  # expect\n', 'optG = torch.optim.Adam(netG.parameters(), betas=(0.5, 0.999), lr=0.0002)  # expect\n')]),
        Example(
            {"model.py": _MODEL,
             "train.py": "import torch\nfrom model import Discriminator, Generator\n"
                         "LR = 2e-4\n"
                         "G, D = Generator(), Discriminator()\n"
                         "opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))  # expect\n"
                         "opt_d = torch.optim.Adam(D.parameters(), lr=LR, betas=(0.5, 0.999))\n"},
            "the literal in the call is what trains, whatever the constant says",
            fixed=[('opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))  # expect\n', 'opt_g = torch.optim.Adam(G.parameters(), lr=0.0002, betas=(0.5, 0.999))  # expect\n')]),
    ]
    good = [
        Example({"config.yaml": "gan_mode: vanilla\nlr: 0.0002\n"}, "the DCGAN rate"),
        Example({"config.yaml": "gan_mode: wgangp\nlr: 0.001\n"}, "a WGAN-GP is GL104's business"),
        Example({"config.yaml": "loss: vanilla\nlambda_gp: 10\nlr: 0.001\n"}, "a penalty makes it a WGAN-GP"),
        Example({"config.yaml": "lr: 0.001\nbatch_size: 32\n"}, "nothing says GAN"),
        Example({"model.py": _MODEL, "config.yaml": "batch_size: 64\nlr: 0.0002\n"}, "the repaired 002"),
        Example(
            {"train.py": _MODEL + "\n\nG, D = Generator(), Discriminator()\nclf = make_classifier()\n"
                         "opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))\n"
                         "opt_c = torch.optim.Adam(clf.parameters(), lr=1e-3)\n"},
            "an optimizer the code does not tie to G or D",
        ),
        Example(
            {"model.py": _MODEL,
             "train.py": "import torch\nfrom model import Discriminator, Generator\n"
                         "lr = 1e-3  # left over, unused\n"
                         "G, D = Generator(), Discriminator()\n"
                         "G_solver = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))\n"
                         "D_solver = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))\n"},
            "a module constant that no optimizer uses: the calls' own lr wins",
        ),
    ]

    def applies(self, facts):
        return "gan" in facts.families()

    def accept(self, facts, setting, opts) -> bool:
        """A standard GAN's setting: its own Python file shows a standard GAN and no Wasserstein one, or
        (a config, a file that says nothing itself) the project shows no Wasserstein GAN at all; and not the
        rate of an optimizer over plain latent tensors (a GAN inversion's)."""
        own = facts.file_families(setting.location.file) if setting.location.file.endswith(".py") else set()
        fams = own or facts.families()
        return "gan" in fams and not fams & {"wgan", "wgan-gp"} and not read_only_by_tensor_search(facts, setting)

    fix_safety = "safe"
    fix_safety_why = ("The rate is set to the option `proposed`, where the optimizer reads it: a setting that no "
                      "optimizer call reads is left alone and the call's own `lr=` literal is edited instead.")

    def fixes(self, project, findings, opts):
        return project.lr_fixes(self, findings, opts)


RULE = GanLearningRateHigh()
