"""GL106 gan-batch-small: a GAN / WGAN / WGAN-GP batch below 64 (document 000 §1.3)."""
from __future__ import annotations

import re

from ganlint.checking.declarative import Example, SettingRangeRule
from ganlint.core.types import Setting, Severity
from ganlint.reading.code.links import program_files
from ganlint.reading.facts import ProjectFacts

_DICT_START = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*(\{|dict\()")
_EVAL_LOADER = re.compile(r"^\s*\w*(val|valid|test|eval|vis|sample|display|show)\w*\s*=\s*[\w.]*Loader\(", re.I)


class GanBatchSmall(SettingRangeRule):
    code = "GL106"
    slug = "gan-batch-small"
    severity = Severity.WARNING
    summary = "A GAN (standard, WGAN or WGAN-GP) trains with a batch smaller than 64."
    why = (
        "Both players estimate their losses from one batch. With 16 samples the critic's estimate of a "
        "multi-modal distribution is noisy (a batch may hold one mode only), its gradients jump from step to "
        "step and, together with a high learning rate, training oscillates (document 000). 64-128 is the "
        "usual range."
    )
    use_instead = "`batch_size: 64` (or 128 where memory allows)."
    source = "000 §1.3"
    families = ("gan", "wgan", "wgan-gp")
    setting = "batch_size"
    roles = ("generator", "critic", None)
    low = "min_batch"
    options = {"min_batch": 64, "proposed": 64}
    option_docs = {"min_batch": "batch sizes below this fire the rule", "proposed": "the batch size the fix writes"}
    fix_stage = 2
    fix_safety = "safe"
    fix_safety_why = (
        "The batch size is set to the option `proposed`."
    )
    def candidates(self, facts: ProjectFacts) -> list[Setting]:
        """The batch-size settings, less those of a Python dict that only an evaluation loader reads
        (`params = {'batch_size': 5}` then `dataloader_val = DataLoader(data_val, **params)`)."""
        lines: dict[str, list[str]] = {}  # each file split once, however many batch settings it holds
        return [s for s in super().candidates(facts) if not _feeds_only_eval_loaders(lines, facts.texts, s)]

    def accept(self, facts: ProjectFacts, setting: Setting, opts: dict) -> bool:
        """Not for image-to-image GANs (pix2pix, CycleGAN, super-resolution: a generator whose first layer
        convolves an input image): each output is conditioned on its own input and a patch critic judges
        many patches per image, so the multi-mode batch estimate this rule is about does not apply (their
        published settings train with batches of 1 to 16). Nor for the batch of a script that trains nothing (an infer.py sampling a grid), nor one written in the
        `if __name__ == "__main__":` shape check of a models file that trains nothing itself."""
        if facts.trains_nothing(setting.location.file):  # a sampling script's batch (infer.py)
            return False
        if facts.in_idle_main_block(setting):  # a models file's `if __name__ == "__main__":` shape check
            return False
        gens = [g for g in facts.code.networks_with_role("generator") if setting.location.file in program_files(facts, g)]
        return not gens or not all(_image_to_image(g) for g in gens)

    message = "GAN batch size {key} = {value} is below {low}: the critic's estimate is too noisy; use {proposed}-128"
    bad = [
        Example({"config.yaml": "grad_penalty: 10.0\nbatch_size: 16  # expect\n"}, "document 000",
            fixed=[("batch_size: 16  # expect\n", "batch_size: 64  # expect\n")]),
        Example(
            {
                "train.py": (
                    "import argparse\n"
                    "p = argparse.ArgumentParser()\n"
                    "p.add_argument('--gan_mode', default='vanilla')\n"
                    "p.add_argument('-b', '--batch-size', type=int, default=32)  # expect\n"
                )
            },
            "argparse with a dashed flag",
            fixed=[("p.add_argument('-b', '--batch-size', type=int, default=32)  # expect\n", "p.add_argument('-b', '--batch-size', type=int, default=64)  # expect\n")],
        ),
        Example({"conf.py": "CRITIC_ITERS = 5\nBATCH_SIZE = 8  # expect\n"}, "module constants of a WGAN script",
            fixed=[("BATCH_SIZE = 8  # expect\n", "BATCH_SIZE = 64  # expect\n")]),
    ]
    good = [
        Example(
            {
                "pix2pix.py": (
                    "import argparse\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
                    "parser = argparse.ArgumentParser()\n"
                    "parser.add_argument('--batch_size', type=int, default=64)\n"
                    "opt = parser.parse_args()\n"
                    "params = {'batch_size': opt.batch_size, 'shuffle': True}\n"
                    "dataloader_train = DataLoader(data_train, **params)\n"
                    "params = {'batch_size': 5, 'shuffle': True}\n"
                    "dataloader_val = DataLoader(data_val, **params)\n"
                    "gan_loss = nn.BCELoss()\n"
                ),
            },
            "a small batch of a dict that only the validation loader reads",
        ),
        Example(
            {
                "pix2pix.py": (
                    'import argparse\n'
                    'import torch\n'
                    'import torch.nn as nn\n'
                    '\n'
                    'parser = argparse.ArgumentParser()\n'
                    "parser.add_argument('--batch_size', type=int, default=1)\n"
                    'opt = parser.parse_args()\n'
                    '\n'
                    '\n'
                    'class GeneratorUNet(nn.Module):\n'
                    '    def __init__(self, in_channels=3, out_channels=3):\n'
                    '        super().__init__()\n'
                    '        self.down = nn.Sequential(nn.Conv2d(in_channels, 64, 4, 2, 1), nn.LeakyReLU(0.2))\n'
                    '        self.up = nn.Sequential(nn.ConvTranspose2d(64, out_channels, 4, 2, 1), nn.Tanh())\n'
                    '\n'
                    '    def forward(self, x):\n'
                    '        return self.up(self.down(x))\n'
                    '\n'
                    '\n'
                    'class Discriminator(nn.Module):\n'
                    '    def __init__(self, in_channels=3):\n'
                    '        super().__init__()\n'
                    '        self.model = nn.Sequential(nn.Conv2d(in_channels * 2, 64, 4, 2, 1), nn.LeakyReLU(0.2),\n'
                    '                                   nn.Conv2d(64, 1, 4, padding=1))\n'
                    '\n'
                    '    def forward(self, img_a, img_b):\n'
                    '        return self.model(torch.cat((img_a, img_b), 1))\n'
                    '\n'
                    '\n'
                    'generator, discriminator = GeneratorUNet(), Discriminator()\n'
                    'criterion_GAN = nn.BCEWithLogitsLoss()\n'
                    'for real_A, real_B in loader:\n'
                    '    fake_B = generator(real_A)\n'
                    '    loss_D = criterion_GAN(discriminator(real_B, real_A), valid) + criterion_GAN(discriminator(fake_B.detach(), real_A), fake)\n'
                ),
            },
            "an image-to-image GAN (the generator convolves its input image): pix2pix trains with batch 1",
        ),
        Example({"config.yaml": "grad_penalty: 10.0\nbatch_size: 64\n"}, "at the bound"),
        Example({"config.yaml": "kl_weight: 0.01\nbatch_size: 16\n"}, "a VAE is not a GAN"),
        Example({"config.yaml": "grad_penalty: 10.0\neval_batch: 8\n"}, "not the training batch size"),
        Example(
            {
                "models.py": (
                    "import torch\nimport torch.nn as nn\n\n\nclass Generator(nn.Module):\n"
                    "    def __init__(self):\n        super().__init__()\n        self.net = nn.Linear(8, 4)\n\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n        super().__init__()\n        self.net = nn.Linear(4, 1)\n\n\n"
                    "if __name__ == '__main__':\n    batch_size = 16\n    print(Generator()(torch.randn(batch_size, 8)).shape)\n"
                ),
                "train.py": (
                    "import torch\nimport torch.nn.functional as F\nfrom models import Discriminator, Generator\n\n"
                    "G, D = Generator(), Discriminator()\n"
                    "opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))\n"
                    "loader = torch.utils.data.DataLoader(data, batch_size=64)\n"
                    "for x in loader:\n    fake = G(torch.randn(x.size(0), 8))\n"
                    "    d_fake = D(fake.detach())\n"
                    "    loss_d = F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))\n"
                    "    opt_d.zero_grad()\n    loss_d.backward()\n    opt_d.step()\n"
                ),
            },
            "a models file's `__main__` shape check: no training run's batch",
        ),
        Example({"config.json": '{"gan_mode": "vanilla", "train": {"batch_size": 128}, "eval": {"batch_size": 8}}'},
                "JSON: the evaluation batch is not the training batch"),
    ]


def _image_to_image(net) -> bool:
    kind = net.input_layer.kind if net.input_layer is not None else ""
    return kind.startswith("Conv") and not kind.startswith("ConvTranspose")


def _feeds_only_eval_loaders(split: dict[str, list[str]], texts: dict[str, str], s: Setting) -> bool:
    """True when `s` sits in a dict assigned to a name whose every `**name` use (until the name is assigned
    again) builds a loader named for validation, test or display."""
    if s.style != "py-dict":
        return False
    if s.location.file not in split:
        split[s.location.file] = texts.get(s.location.file, "").splitlines()
    lines = split[s.location.file]
    here = s.location.line - 1
    name, start = None, None
    for i in range(here, max(-1, here - 20), -1):  # the dict's opening line, at most 20 lines up
        m = _DICT_START.match(lines[i]) if i < len(lines) else None
        if m:
            name, start = m.group(1), i
            break
    if name is None:
        return False
    uses = []
    for line in lines[start + 1:]:
        if re.match(rf"^\s*{re.escape(name)}\s*=", line):
            break  # assigned again: later uses read another dict
        if f"**{name}" in line.replace(" ", ""):
            uses.append(line)
    return bool(uses) and all(_EVAL_LOADER.match(u) for u in uses)


RULE = GanBatchSmall()
