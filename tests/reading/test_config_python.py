"""Python settings: dict/attribute assignments, constants, argparse, dataclasses; literals only."""
from __future__ import annotations

import ast
import textwrap

from ganlint.reading.config import read_python_settings


def read(src: str, name: str = "cfg.py"):
    text = textwrap.dedent(src)
    settings = read_python_settings(name, ast.parse(text), text)
    return {s.key: s for s in settings}, settings


def test_pymarl_dict_assignments():
    s, _ = read(open("fixtures/vae_003_broken/config.py").read())
    lr = s["vae_lr"]
    assert lr.value == 5e-4 and lr.canonical == "learning_rate" and lr.role == "vae" and lr.style == "py-dict"
    assert (lr.location.line, lr.location.column, lr.location.end_column) == (3, 20, 24) and lr.raw == "5e-4"
    assert s["omg_vae_alpha"].canonical == "kl_weight"
    assert s["grad_norm_clip"].canonical == "grad_clip"
    assert s["optim_alpha"].canonical == "optim_alpha"


def test_nested_subscripts_and_attributes():
    s, _ = read(
        """
        cfg = {}
        cfg['opt']['lr'] = 1e-4
        args.lr = 1e-3
        opt.model.gen_lr = 2e-4
        result['lr'] = 5.0
        def main():
            args.batch_size = 64
            x.lr = 9.0
        """
    )
    assert s["opt.lr"].value == 1e-4 and s["opt.lr"].style == "py-dict"
    assert s["lr"].value == 1e-3 and s["lr"].style == "py-attr"
    assert s["model.gen_lr"].role == "generator"
    assert s["batch_size"].value == 64
    assert all(v.value != 5.0 and v.value != 9.0 for v in s.values())  # not config containers


def test_dict_literals_and_factories():
    s, _ = read(
        """
        config = {'lr': 1e-3, 'z_dim': 3, 'model': {'nn_gen': "[256,256]"}}
        gen_cfg = dict(lr=2e-4, betas=(0.5, 0.999))
        COLORS = {'red': 1}
        def f():
            local = {'lr': 7.0}
            hparams = {'batch_size': 16}
        config.update({'seed': 0}, )
        config.update(n_critic=5)
        hp = OmegaConf.create({'kl_weight': 0.001})
        """
    )
    assert s["lr"].value == 1e-3 and s["z_dim"].canonical == "latent_dim"
    assert s["model.nn_gen"].value == [256, 256] and s["model.nn_gen"].value_style == "string-list"
    assert s["gen_cfg.lr"].role == "generator" and s["gen_cfg.betas"].value == [0.5, 0.999]
    assert s["COLORS.red"].canonical is None
    assert "local.lr" not in s and s["batch_size"].value == 16
    assert s["seed"].value == 0 and s["n_critic"].value == 5
    assert s["kl_weight"].value == 0.001


def test_module_constants_and_context():
    s, _ = read(
        """
        import os
        DIM = 512
        LAMBDA = .1
        CRITIC_ITERS = 5
        BATCH_SIZE = 256
        LR = 1e-4 * 2
        NEG = -3
        BETA1, BETA2 = 0.5, 0.9
        lr: float = 3e-4
        COMPUTED = os.cpu_count()
        __version__ = "1"
        if __name__ == "__main__":
            ITERS = 100000
        def f():
            LOCAL = 1
        """
    )
    assert s["LAMBDA"].value == 0.1 and s["LAMBDA"].canonical == "gp_weight"
    assert s["CRITIC_ITERS"].canonical == "n_critic" and s["BATCH_SIZE"].canonical == "batch_size"
    assert s["LR"].value == 2e-4 and s["NEG"].value == -3
    assert s["BETA1"].canonical == "beta1" and s["BETA2"].value == 0.9
    assert s["lr"].style == "py-const"
    assert s["ITERS"].canonical == "steps"
    assert "COMPUTED" not in s and "__version__" not in s and "LOCAL" not in s
    assert s["DIM"].canonical is None


def test_lambda_without_gan_context_stays_unknown():
    s, _ = read("LAMBDA = 0.1\nEPOCHS = 10\n")
    assert s["LAMBDA"].canonical is None


def test_argparse_click_absl():
    s, _ = read(
        """
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument('--lr', type=float, default=0.0002)
        p.add_argument('-b', '--batch-size', type=int, default=64)
        p.add_argument('--n_critic', type=int, default='5')
        p.add_argument('--latent', dest='latent_dim', default=100)
        p.add_argument('--b1', type=float, default=0.5, help='adam: decay')
        p.add_argument('--flag', action='store_true')
        p.add_argument('--cuda', default=some_call())
        p.set_defaults(seed=7)
        flags.DEFINE_float('clip_value', 0.01, 'weight clipping')
        @click.option('--epochs', default=10)
        def main(epochs):
            pass
        """
    )
    assert s["lr"].value == 0.0002 and s["lr"].style == "argparse" and s["lr"].raw == "0.0002"
    assert s["batch_size"].value == 64 and s["batch_size"].canonical == "batch_size"
    assert s["n_critic"].value == 5
    assert s["latent_dim"].value == 100
    assert s["b1"].canonical == "beta1"
    assert "flag" not in s and "cuda" not in s
    assert s["seed"].value == 7 and s["clip_value"].value == 0.01 and s["epochs"].value == 10


def test_dataclasses_and_config_classes():
    s, _ = read(
        """
        from dataclasses import dataclass, field
        @dataclass
        class GeneratorConfig:
            lr: float = 2e-4
            hidden: list = field(default_factory=lambda: [64])
            z_dim: int = field(default=16)
            name: str = "g"
        class TrainArgs:
            batch_size = 32
            def __init__(self):
                self.n_critic = 5
        class Net(nn.Module):
            def __init__(self):
                self.energy_scale = 2.0
        class Other:
            epochs = 3
        """
    )
    assert s["lr"].style == "dataclass" and s["lr"].role == "generator" and s["lr"].value == 2e-4
    assert s["z_dim"].value == 16 and "hidden" not in s
    assert s["batch_size"].style == "py-attr" and s["n_critic"].value == 5
    assert "energy_scale" not in s and "epochs" not in s


def test_non_ascii_lines_give_character_columns():
    s, _ = read("说明 = '能量'\nconfig = {}\nconfig['lr'] = 1e-3  # 学习率\nNAME = '能量'; lr2 = 5\n")
    assert s["lr"].location.column == 16
    assert s["lr2"].location.column == 20  # characters, not UTF-8 bytes


def test_fixture_code_files_give_only_literal_settings():
    for path in ("fixtures/wgan_gp_000_broken/train.py", "fixtures/energy_004_healthy/model.py", "fixtures/vae_003_broken/model.py"):
        s, _ = read(open(path).read(), path)
        assert set(s) <= {"config", "steps"}, (path, set(s))


def test_config_functions_and_ml_collections_style():
    s, _ = read(
        """
        def get_config():
            config = ConfigDict()
            config.lr = 1e-3
            config.model = ConfigDict()
            config.model.z_dim = 3
            return config

        def default_hparams():
            return {'batch_size': 16, 'nested': {'kl_weight': 0.01}}

        def helper():
            return {'lr': 9.0}
        """
    )
    assert s["lr"].value == 1e-3 and s["model.z_dim"].canonical == "latent_dim"
    assert s["batch_size"].value == 16 and s["nested.kl_weight"].canonical == "kl_weight"
    assert all(v.value != 9.0 for v in s.values())
