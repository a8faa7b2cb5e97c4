"""GL102 critic-weaker-than-generator: the critic/discriminator has fewer hidden units or parameters than
the generator (document 000 §1.2)."""
from __future__ import annotations

from typing import Any, Iterable

from ganlint.checking.rule import Example, Rule
from ganlint.core.display import shown_widths
from ganlint.core.types import Edit, Finding, Fix, Setting, Severity
from ganlint.reading.code.capacity import (base_width_gap, capacity_gap, comparable, fake_making_decoders,
                                           first_layer, opponent, shape_trusted)
from ganlint.reading.code.capacity_heads import as_critics
from ganlint.reading.code.links import keys_feeding, numeric, setting_for_key
from ganlint.reading.facts import ProjectFacts


MAX_WIDTH = 2**40  # wider than any layer can be: such a list is not layer widths (and 1e308 * 1e308 overflows)


def _widths(value: Any) -> list[int] | None:
    if isinstance(value, (list, tuple)) and value and all(numeric(v) and 0 < v < MAX_WIDTH for v in value):
        return [int(v) for v in value]
    return None


def _is_block(name: str) -> bool:
    """GBlock / DBlockOptimized: a part of a network, not a network to compare."""
    return "block" in name.lower()


def _params(w: list[int]) -> int:
    return sum(a * b for a, b in zip(w, w[1:])) + sum(w)


# an EBGAN/BEGAN-style autoencoder critic; CODE is the width of its code layer
_AUTOENCODER_GAN = (
    'import torch.nn as nn\n\n\n'
    'class Generator(nn.Module):\n'
    '    def __init__(self):\n'
    '        super().__init__()\n'
    '        self.fc = nn.Sequential(nn.Linear(62, 1024), nn.BatchNorm1d(1024), nn.ReLU(),\n'
    '                                nn.Linear(1024, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU())\n'
    '        self.up = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),\n'
    '                                nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())\n\n'
    '    def forward(self, z):\n'
    '        return self.up(self.fc(z).view(-1, 128, 7, 7))\n\n\n'
    'class Discriminator(nn.Module):\n'
    '    def __init__(self):\n'
    '        super().__init__()\n'
    '        self.down = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.ReLU())  # expect\n'
    '        self.code = nn.Linear(64 * 14 * 14, CODE)\n'
    '        self.fc = nn.Sequential(nn.Linear(CODE, 64 * 14 * 14), nn.BatchNorm1d(64 * 14 * 14), nn.ReLU())\n'
    '        self.up = nn.ConvTranspose2d(64, 1, 4, 2, 1)\n\n'
    '    def forward(self, x):\n'
    '        h = self.code(self.down(x).view(x.size(0), -1))\n'
    '        return self.up(self.fc(h).view(-1, 64, 14, 14)), h\n'
)


# an InfoGAN: the critic and the latent-code predictor share a body; small heads read its features
_INFOGAN = (
    'import torch.nn as nn\n\n\nclass Generator(nn.Module):\n    def __init__(self):\n        super().__init__()\n'
    '        self.net = nn.Sequential(nn.ConvTranspose2d(74, 1024, 1), nn.BatchNorm2d(1024), nn.ReLU(),\n'
    '            nn.ConvTranspose2d(1024, 128, 7), nn.BatchNorm2d(128), nn.ReLU(), nn.ConvTranspose2d(128, 64, 4, 2, 1),\n'
    '            nn.BatchNorm2d(64), nn.ReLU(), nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Sigmoid())\n\n\n'
    'class Discriminator(nn.Module):\n    def __init__(self):\n        super().__init__()\n'
    '        self.net = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.1), nn.Conv2d(64, 128, 4, 2, 1),\n'
    '            nn.BatchNorm2d(128), nn.LeakyReLU(0.1), nn.Conv2d(128, 1024, 7), nn.BatchNorm2d(1024), nn.LeakyReLU(0.1))\n\n\n'
    'class DHead(nn.Module):\n    def __init__(self):\n        super().__init__()\n'
    '        self.score = nn.Sequential(nn.Conv2d(1024, 1, 1), nn.Sigmoid())\n\n\n'
    'class QHead(nn.Module):\n    def __init__(self):\n        super().__init__()\n'
    '        self.code = nn.Sequential(nn.Conv2d(1024, 128, 1), nn.LeakyReLU(0.1), nn.Conv2d(128, 14, 1))\n'
)


class CriticWeakerThanGenerator(Rule):
    code = "GL102"
    slug = "critic-weaker-than-generator"
    severity = Severity.WARNING
    runtime_fact = "critic_weaker"  # the probe's name for this condition in the built networks
    summary = "The critic/discriminator has fewer hidden units or parameters than the generator (e.g. `nn_disc: [32,128]` vs `nn_gen: [256,256]`)."
    why = (
        "The generator learns only through the critic's gradients. A critic smaller than the generator cannot "
        "represent the difference between the two distributions finely enough, so its feedback is coarse and "
        "the generator learns the modes' positions but not their shape. WGAN theory asks for a critic close "
        "to optimal, i.e. at least as strong as the generator (document 000 §1.2). A critic whose channels mirror "
        "the generator's (the reference DCGAN and WGAN-GP shapes) is as strong as it, even where the generator's "
        "projection of z gives it more parameters. A conditional GAN's label layers are inputs and an ACGAN "
        "critic's class head is a second output, neither a hidden layer; an InfoGAN critic is its shared body "
        "with its score head, and a head module on the body's features is not a critic of its own. A VAE-GAN's "
        "decoder, whose samples the discriminator judges, is its generator."
    )
    use_instead = "Give the critic at least the generator's widths: `nn_disc: \"[256,256]\"` next to `nn_gen: \"[256,256]\"`."
    source = "000 §1.2"
    families = ("gan", "wgan", "wgan-gp")
    options = {"min_ratio": 1.0}
    option_docs = {"min_ratio": "fire when critic units or parameters are below this fraction of the generator's"}
    fix_stage = 1
    fix_safety = "safe"
    fix_safety_why = (
        "The critic's widths are set to the generator's in the config; widths written in the code are shown, "
        "not edited."
    )

    def _role_settings(self, facts: ProjectFacts, role: str) -> list[Setting]:
        found = {s.key: s for s in facts.settings_for("hidden_sizes", role=role) if _widths(s.value)}
        for net in facts.code.networks_with_role(role):
            for param in net.width_params:
                for ref, _c in keys_feeding(facts, net, param):
                    s = setting_for_key(facts, ref.key)
                    if s is not None and _widths(s.value):
                        found.setdefault(s.key, s)
        return list(found.values())

    def check(self, facts: ProjectFacts, opts: dict[str, Any]) -> Iterable[Finding]:
        ratio = float(opts["min_ratio"])
        gens = self._role_settings(facts, "generator")
        critics = self._role_settings(facts, "critic")
        if gens and critics:
            g = gens[-1]
            gw = _widths(g.value)
            for c in critics:
                cw = _widths(c.value)
                if sum(cw) < ratio * sum(gw) or _params(cw) < ratio * _params(gw):
                    yield self.finding(
                        f"critic widths {c.key} = {shown_widths(cw)} are weaker than the generator's {g.key} = "
                        f"{shown_widths(gw)} ({sum(cw)} vs {sum(gw)} hidden units): the critic's gradients are "
                        f"too coarse; use {shown_widths(gw)}",
                        c.location,
                        related=[g.location],
                        fix=Fix(f"set {c.key} to the generator's widths {shown_widths(gw)}",
                                [Edit("set-setting", c.location.file, target=c.key, old=c.value, new=list(gw))]),
                        evidence={"critic": cw, "generator": gw},
                    )
            return
        yield from self._code_check(facts, ratio)

    def _code_check(self, facts: ProjectFacts, ratio: float) -> Iterable[Finding]:
        """Networks read from code, each critic against the generator of its own file (else the project's
        only one): hidden widths when both have as many hidden layers, else parameter counts; when neither
        is known, the base channel defaults (ndf vs ngf). Widths read with defaults a call site overrides
        are not used."""
        gens = [g for g in facts.code.networks_with_role("generator") if not _is_block(g.name)]
        gens += fake_making_decoders(facts)  # a VAE-GAN's decoder makes the judged batches: its generator
        by_file: dict[str, list] = {}
        for g in gens:
            by_file.setdefault(g.location.file, []).append(g)
        reported = set()
        pools: dict = {}  # id(pool) -> its index, for opponent
        whole = as_critics(facts.code.networks)  # InfoGAN: a body with its score head; a head is no critic
        for net in facts.code.networks_with_role("critic"):
            net = whole.get(id(net), net)
            if net is None or _is_block(net.name):
                continue
            local = by_file.get(net.location.file, [])
            g = opponent(net, local, pools) if local else gens[0] if len(gens) == 1 else opponent(net, gens, pools, True, facts)
            if g is None:
                continue
            verdict, loc = None, None
            if shape_trusted(facts, net) and shape_trusted(facts, g) and comparable(net, g):
                verdict = capacity_gap(net, g, ratio)
            elif not net.stacks or not g.stacks or net.layer_widths is None or g.layer_widths is None:
                gap = base_width_gap(facts, net, g, ratio)
                if gap is not None:
                    verdict, loc = gap
            if verdict is None:
                continue
            if loc is None:
                loc = first_layer(net)
            if loc in reported:
                continue  # a size variant subclassing the critic reported (Discriminator32(Discriminator))
            reported.add(loc)
            yield self.finding(
                f"critic `{net.name}` {verdict}: its gradients are too coarse; give it at least the "
                "generator's widths",
                loc, related=[g.location], fix=Fix(f"give `{net.name}` the generator's capacity", []),
                evidence={"critic": net.layer_widths or net.hidden_widths, "generator": g.layer_widths or g.hidden_widths,
                          "critic_params": net.param_count, "generator_params": g.param_count,
                          "generator_params_at_least": g.param_floor},
            )

    bad = [
        Example(
            {"config.yaml": "grad_penalty: 10\nnn_gen: \"[256,256]\"\nnn_disc: \"[32,128]\"  # expect\n"},
            "document 000's string-lists",
            fixed=[("nn_disc: \"[32,128]\"  # expect\n", "nn_disc: \"[256,256]\" # expect\n")],
        ),
        Example(
            {
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2))\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 1))  # expect\n"
                ),
            },
            "literal widths in code",
            fixed=[],
        ),
        Example(
            {
                "config.yaml": "net_a: \"[256, 256]\"\nnet_b: \"[64, 64]\"  # expect\n",
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self, dims):\n"
                    "        super().__init__()\n"
                    "        layers, cur = [], 16\n"
                    "        for h in dims:\n"
                    "            layers += [nn.Linear(cur, h), nn.ReLU()]\n"
                    "            cur = h\n"
                    "        self.net = nn.Sequential(*layers, nn.Linear(cur, 2))\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self, dims):\n"
                    "        super().__init__()\n"
                    "        layers, cur = [], 2\n"
                    "        for h in dims:\n"
                    "            layers += [nn.Linear(cur, h), nn.ReLU()]\n"
                    "            cur = h\n"
                    "        self.net = nn.Sequential(*layers, nn.Linear(cur, 1))\n"
                ),
                "train.py": (
                    "import yaml\nfrom model import Critic, Generator\ncfg = yaml.safe_load(open('config.yaml'))\n"
                    "G = Generator(eval(cfg['net_a']))\nD = Critic(dims=eval(cfg['net_b']))\n"
                ),
            },
            "keys whose names say nothing: the roles come from the constructors in the code",
            fixed=[("config.yaml", "net_b: \"[64, 64]\"  # expect\n", "net_b: \"[256, 256]\" # expect\n")],
        ),
        Example(
            {
                "gan.py": (
                    "import argparse\nimport numpy as np\nimport torch.nn as nn\n\n"
                    "parser = argparse.ArgumentParser()\n"
                    "parser.add_argument('--latent_dim', type=int, default=100)\n"
                    "opt = parser.parse_args()\n"
                    "img_shape = (1, 28, 28)\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        def block(n_in, n_out, normalize=True):\n"
                    "            layers = [nn.Linear(n_in, n_out)]\n"
                    "            if normalize:\n"
                    "                layers.append(nn.BatchNorm1d(n_out))\n"
                    "            layers.append(nn.LeakyReLU(0.2))\n"
                    "            return layers\n"
                    "        self.model = nn.Sequential(*block(opt.latent_dim, 128, normalize=False), *block(128, 512),\n"
                    "                                   nn.Linear(512, int(np.prod(img_shape))), nn.Tanh())\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.model = nn.Sequential(nn.Linear(int(np.prod(img_shape)), 64), nn.LeakyReLU(0.2),  # expect\n"
                    "                                   nn.Linear(64, 1))\n"
                ),
            },
            "layers built by a nested helper, sizes from argparse defaults: 0.05M parameters against 0.48M",
            fixed=[],  # the code's widths are the user's to change: shown, not rewritten
        ),
        Example(
            {
                "dcgan.py": (
                    "import torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self, nz=100, ngf=64):\n"
                    "        super().__init__()\n"
                    "        self.main = nn.Sequential(\n"
                    "            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),\n"
                    "            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),\n"
                    "            nn.ConvTranspose2d(ngf * 2, 3, 4, 2, 1), nn.Tanh())\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self, ndf=16):\n"
                    "        super().__init__()\n"
                    "        self.main = nn.Sequential(\n"
                    "            nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2),  # expect\n"
                    "            nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.LeakyReLU(0.2),\n"
                    "            nn.Conv2d(ndf * 2, 1, 4, 1, 0))\n\n"
                    "netG, netD = Generator(), Discriminator()\n"
                ),
            },
            "conv channels from constructor defaults: ndf=16 against ngf=64 at the same depth",
            fixed=[],  # the code's widths are the user's to change: shown, not rewritten
        ),
        Example(
            {
                "nets/sngan_32.py": (
                    "import torch.nn as nn\n"
                    "from nets.blocks import DBlock, GBlock\nfrom nets import base\n\n"
                    "class Generator32(base.BaseGenerator):\n"
                    "    def __init__(self, nz=128, ngf=256):\n"
                    "        super().__init__(nz=nz, ngf=ngf)\n"
                    "        self.l1 = nn.Linear(nz, 16 * ngf)\n"
                    "        self.block2 = GBlock(ngf, ngf, upsample=True)\n"
                    "        self.c3 = nn.Conv2d(ngf, 3, 3, 1, padding=1)\n\n"
                    "class Discriminator32(base.BaseDiscriminator):\n"
                    "    def __init__(self, ndf=64):  # expect\n"
                    "        super().__init__(ndf=ndf)\n"
                    "        self.block1 = DBlock(3, ndf)\n"
                    "        self.l5 = nn.Linear(ndf, 1)\n"
                ),
                "nets/sngan_48.py": (
                    "import torch.nn as nn\n"
                    "from nets.blocks import DBlock, GBlock\nfrom nets import base\n\n"
                    "class Generator48(base.BaseGenerator):\n"
                    "    def __init__(self, nz=128, ngf=512):\n"
                    "        super().__init__(nz=nz, ngf=ngf)\n"
                    "        self.l1 = nn.Linear(nz, 36 * ngf)\n"
                    "        self.block2 = GBlock(ngf, ngf, upsample=True)\n\n"
                    "class Discriminator48(base.BaseDiscriminator):\n"
                    "    def __init__(self, ndf=1024):\n"
                    "        super().__init__(ndf=ndf)\n"
                    "        self.block1 = DBlock(3, ndf)\n"
                    "        self.l5 = nn.Linear(ndf, 1)\n"
                ),
            },
            "blocks from another package: each critic against its own file's generator, by the ndf/ngf defaults",
            fixed=[],  # the code's widths are the user's to change: shown, not rewritten
        ),
        Example(
            {"ebgan.py": _AUTOENCODER_GAN.replace("CODE", "32")},
            "an autoencoder critic (EBGAN/BEGAN): widths narrow to a 32-unit code and widen again; its summed "
            "widths exceed the generator's, its 0.8M parameters do not reach the generator's 6.6M",
            fixed=[],  # the code's widths are the user's to change: shown, not rewritten
        ),
    ]
    good = [
        Example(
            {"infogan.py": _INFOGAN},
            "InfoGAN: a shared body (64/128/1024 channels) with a score head and a code head mirrors the "
            "generator's 1024/128/64; the 1k-parameter score head alone is not the critic",
        ),
        Example(
            {"began.py": _AUTOENCODER_GAN.replace("CODE", "512").replace("  # expect", "")},
            "an autoencoder critic with a 512-unit code: 12.9M parameters against the generator's 6.6M",
        ),
        Example(
            {"config.yaml": "grad_penalty: 10\nnn_gen: \"[256,256]\"\nnn_disc: \"[256,256]\"\n"},
            "the repaired 000",
        ),
        Example(
            {"config.json": "{\"g_hidden\": [128, 128], \"d_hidden\": [256, 128]}\n"},
            "a larger critic",
        ),
        Example(
            {"config.yaml": "nn_gen: \"[256,256]\"\nencoder_hidden: \"[32,32]\"\n"},
            "an encoder is not the critic",
        ),
        Example(
            {
                "dcgan.py": (
                    "import torch.nn as nn\n\n"
                    "nz, ngf, ndf = 100, 64, 64\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.main = nn.Sequential(\n"
                    "            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),\n"
                    "            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),\n"
                    "            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1), nn.BatchNorm2d(ngf), nn.ReLU(True),\n"
                    "            nn.ConvTranspose2d(ngf, 3, 4, 2, 1), nn.Tanh())\n\n"
                    "class Discriminator(nn.Module):\n"
                    "    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.main = nn.Sequential(\n"
                    "            nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2),\n"
                    "            nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2),\n"
                    "            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2),\n"
                    "            nn.Conv2d(ndf * 4, 1, 4, 1, 0), nn.Sigmoid())\n"
                ),
            },
            "DCGAN with ndf = ngf = 64: mirrored channels are equal, not weaker (G has more parameters only "
            "through its latent projection)",
        ),
        Example(
            {
                "model.py": (
                    "import torch.nn as nn\n\n"
                    "class Generator(nn.Module):\n"
                    "    def __init__(self, hidden=64):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(16, hidden), nn.ReLU(), nn.Linear(hidden, 2))\n\n"
                    "class Critic(nn.Module):\n"
                    "    def __init__(self, hidden=32):\n"
                    "        super().__init__()\n"
                    "        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1))\n"
                ),
                "train.py": "from model import Critic, Generator\nG = Generator()\nD = Critic(hidden=256)\n",
            },
            "the default (32) is not what the project builds: the call passes 256",
        ),
    ]


RULE = CriticWeakerThanGenerator()

