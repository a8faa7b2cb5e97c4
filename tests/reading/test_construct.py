"""The construction interpreter on code written in the styles real GAN code uses (our own fixtures).

Parameter counts are checked against torch itself: the fixture is also run with real torch (when it
imports) and `sum(p.numel() for p in net.parameters())` must equal the static estimate."""
from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from ganlint.checking.runner import check_paths
from ganlint.reading.code import read_code

ARGPARSE_MLP = '''
    import argparse
    import numpy as np
    import torch.nn as nn

    parser = argparse.ArgumentParser()
    parser.add_argument("--noise_size", type=int, default=64)
    parser.add_argument("--side", type=int, default=16)
    parser.add_argument("--colors", type=int, default=3)
    opt = parser.parse_args()
    shape = (opt.colors, opt.side, opt.side)


    class Generator(nn.Module):
        def __init__(self):
            super().__init__()

            def stage(n_in, n_out, bn=True):
                out = [nn.Linear(n_in, n_out)]
                if bn:
                    out.append(nn.BatchNorm1d(n_out, 0.8))
                out.append(nn.LeakyReLU(0.2, inplace=True))
                return out

            self.body = nn.Sequential(
                *stage(opt.noise_size, 96, bn=False),
                *stage(96, 192),
                *stage(192, 384),
                nn.Linear(384, int(np.prod(shape))),
                nn.Tanh(),
            )

        def forward(self, z):
            return self.body(z).view(z.size(0), *shape)


    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(
                nn.Linear(int(np.prod(shape)), 256),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(256, 1),
            )

        def forward(self, img):
            return self.body(img.view(img.size(0), -1))


    generator = Generator()
    discriminator = Discriminator()
'''

CONV_DEFAULTS = '''
    import torch.nn as nn


    class ConvGenerator(nn.Module):
        def __init__(self, nz=100, ngf=64, nc=3):
            super().__init__()
            mult = [8, 4, 2, 1]
            layers = [nn.ConvTranspose2d(nz, ngf * mult[0], 4, 1, 0, bias=False)]
            for a, b in zip(mult, mult[1:]):
                layers += [nn.BatchNorm2d(ngf * a), nn.ReLU(True),
                           nn.ConvTranspose2d(ngf * a, ngf * b, 4, 2, 1, bias=False)]
            layers += [nn.BatchNorm2d(ngf), nn.ReLU(True), nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
            self.main = nn.Sequential(*layers)

        def forward(self, z):
            return self.main(z)


    class ConvDiscriminator(nn.Module):
        def __init__(self, nc=3, ndf=NDF):
            super().__init__()
            layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
            for m in (1, 2, 4):
                layers += [nn.Conv2d(ndf * m, ndf * m * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * m * 2),
                           nn.LeakyReLU(0.2, inplace=True)]
            layers.append(nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False))
            self.main = nn.Sequential(*layers)

        def forward(self, x):
            return self.main(x).view(-1)
'''

SCRIPT = '''
    import torch
    import torch.nn as nn

    BATCH = 64
    NOISE = 5
    POINTS = 15

    G = nn.Sequential(nn.Linear(NOISE, 128), nn.ReLU(), nn.Linear(128, POINTS))
    D = nn.Sequential(nn.Linear(POINTS, 128), nn.ReLU(), nn.Linear(128, 1), nn.Sigmoid())
    criterion = nn.BCELoss()
'''


def _facts(src: str, name: str = "model.py"):
    text = textwrap.dedent(src)
    return read_code(name, ast.parse(text), text), text


def _net(cf, name):
    return next(n for n in cf.networks if n.name == name)


def _torch_counts(text: str, names: list[str], monkeypatch) -> dict[str, int]:
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(sys, "argv", ["model.py"])
    scope: dict = {"NDF": 64}
    exec(compile(text, "model.py", "exec"), scope)  # our own fixture, run only by this test
    out = {}
    for n in names:
        obj = scope[n]
        mod = obj if isinstance(obj, torch.nn.Module) else obj()
        out[n] = sum(p.numel() for p in mod.parameters())
    return out


def test_nested_block_helper_with_flag_defaults_gives_torchs_parameter_count(monkeypatch):
    cf, text = _facts(ARGPARSE_MLP)
    g, d = _net(cf, "Generator"), _net(cf, "Discriminator")
    assert g.layer_widths == [96, 192, 384, 768]
    assert d.layer_widths == [256, 1]
    assert [l.kind for l in g.stacks[0].layers].count("BatchNorm1d") == 2  # bn=False on the first stage
    real = _torch_counts(text, ["Generator", "Discriminator"], monkeypatch)
    assert (g.param_count, d.param_count) == (real["Generator"], real["Discriminator"])


def test_conv_stacks_from_constructor_defaults_and_a_module_constant(monkeypatch):
    cf, text = _facts("NDF = 64\n" + textwrap.dedent(CONV_DEFAULTS))
    g, d = _net(cf, "ConvGenerator"), _net(cf, "ConvDiscriminator")
    assert g.layer_widths == [512, 256, 128, 64, 3]
    assert d.layer_widths == [64, 128, 256, 512, 1]
    assert g.assumed_defaults == ["nz", "ngf", "nc"]
    real = _torch_counts(text, ["ConvGenerator", "ConvDiscriminator"], monkeypatch)
    assert (g.param_count, d.param_count) == (real["ConvGenerator"], real["ConvDiscriminator"])


def test_module_level_sequentials_are_networks_with_roles(monkeypatch):
    cf, text = _facts(SCRIPT)
    g, d = _net(cf, "G"), _net(cf, "D")
    assert (g.role, d.role) == ("generator", "critic")
    assert d.final_sigmoid is not None and d.final_sigmoid.location.line == 10
    real = _torch_counts(text, ["G", "D"], monkeypatch)
    assert (g.param_count, d.param_count) == (real["G"], real["D"])


def test_call_site_arguments_override_defaults():
    cf, _ = _facts('''
        import torch.nn as nn
        class Generator(nn.Module):
            def __init__(self, nz, width=32):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(nz, width), nn.ReLU(), nn.Linear(width, 2))
        nz, width = 8, 512
        G = Generator(nz, width)
    ''')
    g = _net(cf, "Generator")
    assert g.layer_widths == [512, 2]
    assert g.param_count == 8 * 512 + 512 + 512 * 2 + 2
    assert g.built_at is not None and g.built_at.line == 8


def test_unknown_stays_unknown():
    cf, _ = _facts('''
        import torch.nn as nn
        class Critic(nn.Module):
            def __init__(self, dims, use_norm):
                super().__init__()
                layers = []
                for a, b in zip(dims, dims[1:]):
                    layers.append(nn.Linear(a, b))
                self.net = nn.Sequential(*layers)
                self.head = nn.Linear(dims[-1], 1)
                if use_norm:
                    self.norm = nn.BatchNorm1d(dims[-1])
        class Generator(nn.Module):
            def __init__(self, hidden):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(16, hidden), nn.ReLU(), nn.Linear(hidden, 2))
    ''')
    c, g = _net(cf, "Critic"), _net(cf, "Generator")
    assert c.layer_widths is None and c.param_count is None  # a loop over unknown sizes
    assert c.norms == []  # a BatchNorm made only when a flag we do not know is set
    assert g.layer_widths == [None, 2] and g.param_count is None


def _project(tmp_path: Path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    return check_paths([str(tmp_path)])


def _codes(result, code):
    return sorted((Path(f.location.file).name, f.location.line) for f in result.findings if f.code == code)


def test_gl102_on_helpers_and_conv_stacks_and_silent_on_equal_channels(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    assert _codes(_project(a, {"gan.py": ARGPARSE_MLP}), "GL102") == [("gan.py", 41)]
    b = tmp_path / "b"
    b.mkdir()
    equal = "NDF = 64\n" + textwrap.dedent(CONV_DEFAULTS) + "G = ConvGenerator()\nD = ConvDiscriminator()\n"
    assert _codes(_project(b, {"dcgan.py": equal}), "GL102") == []
    c = tmp_path / "c"
    c.mkdir()
    weaker = equal.replace("NDF = 64", "NDF = 32")
    assert _codes(_project(c, {"dcgan.py": weaker}), "GL102") == [("dcgan.py", 24)]


def test_by_name_activation_from_config_in_a_helper_loop_points_at_the_key(tmp_path):
    result = _project(tmp_path, {
        "config.yaml": "activation: Sigmoid\nwidths: [64, 64]\ngp_weight: 10\n",
        "model.py": '''
            import torch.nn as nn

            def mlp(sizes, cfg):
                layers = []
                for a, b in zip(sizes, sizes[1:]):
                    layers += [nn.Linear(a, b), getattr(nn, cfg.activation)()]
                return layers

            class Generator(nn.Module):
                def __init__(self, cfg):
                    super().__init__()
                    self.net = nn.Sequential(*mlp([8, 64, 64], cfg), nn.Linear(64, 2))
        ''',
    })
    assert _codes(result, "GL001") == [("config.yaml", 1)]


def test_near_misses_stay_silent(tmp_path):
    result = _project(tmp_path, {"model.py": '''
        import torch
        import torch.nn as nn

        class Generator(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

            def forward(self, z):
                return self.net(z)

        class Discriminator(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(784, 512), nn.BatchNorm1d(512), nn.LeakyReLU(0.2),
                                         nn.Linear(512, 512), nn.LeakyReLU(0.2), nn.Linear(512, 1))

            def forward(self, x):
                return self.net(x)

        G, D = Generator(), Discriminator()
        loss = torch.nn.BCEWithLogitsLoss()
    '''})
    assert not [f for f in result.findings if f.code in ("GL001", "GL101", "GL102", "GL109", "GL111")]


def test_roles_from_use_when_names_say_nothing(tmp_path):
    result = _project(tmp_path, {"script.py": '''
        import torch
        import torch.nn as nn

        net_a = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 2))
        net_b = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 1), nn.Sigmoid())
        loss_fn = nn.BCELoss()
        for real, _ in loader:
            p_real = net_b(real)
            fake = net_a(torch.randn(64, 8))
            p_fake = net_b(fake.detach())
            d_loss = loss_fn(p_real, ones) + loss_fn(p_fake, zeros)
    '''})
    roles = {n.name: n.role for n in result.facts.code.networks}
    assert roles == {"net_a": "generator", "net_b": "critic"}
    assert _codes(result, "GL111") == [("script.py", 6)]


@pytest.mark.parametrize("flags,read", [
    ("import argparse\np = argparse.ArgumentParser()\np.add_argument('--nz', type=int, default=12)\n"
     "p.add_argument('--width', default='96', type=int)\nopt = p.parse_args()\n", "opt"),
    ("from absl import flags\nflags.DEFINE_integer('nz', 12, 'noise')\nflags.DEFINE_integer('width', 96, 'w')\n"
     "FLAGS = flags.FLAGS\n", "FLAGS"),
])
def test_flag_defaults_reach_the_network_through_the_call_site(flags, read):
    cf, _ = _facts(flags + textwrap.dedent(f'''
        import torch.nn as nn
        class Generator(nn.Module):
            def __init__(self, opt):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(opt.nz, opt.width), nn.ReLU(), nn.Linear(opt.width, 2))
        G = Generator({read})
    '''))
    g = _net(cf, "Generator")
    assert g.layer_widths == [96, 2]
    assert g.param_count == 12 * 96 + 96 + 96 * 2 + 2


def test_click_option_defaults_in_main():
    cf, _ = _facts('''
        import click
        import torch.nn as nn

        @click.command()
        @click.option("--latent-dim", default=4)
        @click.option("--hidden", default=48)
        def main(latent_dim, hidden):
            G = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 2))
            D = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    ''')
    g = _net(cf, "G")
    assert g.layer_widths == [48, 2] and g.input_layer.in_width == 4
    assert g.input_layer.in_origin is None  # a click default: the layer itself is reported


def test_submodules_of_the_same_file_count_their_parameters(monkeypatch):
    src = '''
        import torch.nn as nn

        class Residual(nn.Module):
            def __init__(self, ch):
                super().__init__()
                self.block = nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1), nn.InstanceNorm2d(ch, affine=True), nn.ReLU(),
                                           nn.Conv2d(ch, ch, 3, 1, 1), nn.InstanceNorm2d(ch, affine=True))

        class Translator(nn.Module):
            def __init__(self, ch=32, blocks=3):
                super().__init__()
                layers = [nn.Conv2d(3, ch, 7, 1, 3), nn.ReLU()]
                layers += [Residual(ch) for _ in range(blocks)]
                layers.append(nn.Conv2d(ch, 3, 7, 1, 3))
                self.model = nn.Sequential(*layers)
    '''
    cf, text = _facts(src)
    t = _net(cf, "Translator")
    assert t.layer_widths is None  # opaque blocks: no widths claimed
    real = _torch_counts(text, ["Translator"], monkeypatch)
    assert t.param_count == real["Translator"]


def test_classes_built_in_another_file_are_read_with_that_call(tmp_path):
    result = _project(tmp_path, {
        "models.py": '''
            import torch.nn as nn

            class Generator(nn.Module):
                def __init__(self, nz, ngf):
                    super().__init__()
                    self.main = nn.Sequential(nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0), nn.ReLU(True),
                                              nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1), nn.ReLU(True),
                                              nn.ConvTranspose2d(ngf * 2, 3, 4, 2, 1), nn.Tanh())

            class Discriminator(nn.Module):
                def __init__(self, ndf):
                    super().__init__()
                    self.main = nn.Sequential(nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2),
                                              nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.LeakyReLU(0.2),
                                              nn.Conv2d(ndf * 2, 1, 4, 1, 0))
        ''',
        "train.py": '''
            import argparse
            from models import Discriminator, Generator

            parser = argparse.ArgumentParser()
            parser.add_argument("--nz", type=int, default=100)
            parser.add_argument("--ngf", type=int, default=64)
            parser.add_argument("--ndf", type=int, default=16)
            opt = parser.parse_args()
            netG = Generator(opt.nz, opt.ngf)
            netD = Discriminator(opt.ndf)
        ''',
    })
    nets = {n.name: n for n in result.facts.code.networks}
    assert nets["Generator"].layer_widths == [256, 128, 3]
    assert nets["Discriminator"].layer_widths == [16, 32, 1]
    assert nets["Discriminator"].built_at.file.endswith("train.py")
    assert _codes(result, "GL102") == [("models.py", 14)]


def test_config_values_reach_the_network(tmp_path):
    result = _project(tmp_path, {
        "config.yaml": "model:\n  nz: 100\n  ngf: 64\n  ndf: 16\n",
        "dcgan.py": '''
            import yaml
            import torch.nn as nn

            cfg = yaml.safe_load(open("config.yaml"))
            nz, ngf = cfg["model"]["nz"], cfg["model"]["ngf"]

            class Generator(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.main = nn.Sequential(nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0), nn.ReLU(True),
                                              nn.ConvTranspose2d(ngf * 2, 3, 4, 2, 1), nn.Tanh())

            class Discriminator(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.main = nn.Sequential(nn.Conv2d(3, cfg["model"]["ndf"], 4, 2, 1), nn.LeakyReLU(0.2),
                                              nn.Conv2d(cfg["model"]["ndf"], 1, 4, 1, 0))
        ''',
    })
    nets = {n.name: n for n in result.facts.code.networks}
    assert nets["Generator"].layer_widths == [128, 3]
    assert nets["Discriminator"].layer_widths == [16, 1]
    assert _codes(result, "GL102") == [("dcgan.py", 17)]
