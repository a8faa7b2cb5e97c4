"""The config layer stays light: reading every format never imports ruamel, tomlkit, torch or numpy."""
from __future__ import annotations

import subprocess
import sys

CODE = r"""
import ast, sys
from ganlint.reading.config import read_config_file, read_python_settings
read_config_file("a.yaml", "lr: 1e-3\nnn_gen: '[1,2]'\n")
read_config_file("a.json", '{"lr": 0.001}')
read_config_file("a.toml", "[energy]\ntemperature = 0.5\n")
src = "config = {}\nconfig['vae_lr'] = 5e-4\n"
read_python_settings("a.py", ast.parse(src), src)
heavy = {"ruamel", "tomlkit", "torch", "numpy", "libcst", "optuna"}
print(sorted({m.split('.')[0] for m in sys.modules} & heavy))
"""


def test_no_heavy_imports():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
