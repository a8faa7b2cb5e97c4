"""Config files (YAML, JSON, TOML, Hydra) and Python settings -> Settings with file and line."""
from __future__ import annotations

import ast

from ganlint.core.types import Setting


def read_config_file(path: str, text: str) -> list[Setting]:
    """PLACEHOLDER: dispatch on suffix to the YAML / JSON / TOML readers."""
    return []


def read_python_settings(path: str, tree: ast.Module, text: str) -> list[Setting]:
    """PLACEHOLDER: dict assignments, attribute assignments, module constants, argparse and dataclass defaults."""
    return []
