"""Config files (YAML, JSON, TOML, Hydra) and Python settings -> Settings with file and line.

Entry points:
- ``read_config_file(path, text)``: dispatch on the suffix (.yaml/.yml, .json, .toml);
- ``read_python_settings(path, tree, text)``: settings written in Python (see python_reader).

Every Setting carries its key (dotted for nesting), parsed value, the Location of the VALUE (1-based line
and column, exclusive end column), the style, the value's raw source text, and canonical name + role from
``ganlint.reading.vocabulary``. Malformed input raises ``InputError`` (one line, with the line number where
known); nothing else escapes.
"""
from __future__ import annotations

import ast
import os

from ganlint.core.errors import InputError, nesting_line
from ganlint.core.types import Setting

__all__ = ["read_config_file", "read_python_settings", "CONFIG_SUFFIXES"]

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml")


def read_config_file(path: str, text: str) -> list[Setting]:
    suffix = os.path.splitext(path)[1].lower()
    try:
        if suffix in (".yaml", ".yml"):
            return _read_yaml_or_hydra(path, text)
        if suffix == ".json":
            from ganlint.reading.config.json_reader import read_json
            from ganlint.reading.config.values import finish

            return finish(read_json(path, text))
        if suffix == ".toml":
            from ganlint.reading.config.toml_reader import read_toml
            from ganlint.reading.config.values import finish

            settings = read_toml(path, text)
            if os.path.basename(path) == "pyproject.toml":
                # ganlint's own configuration and packaging metadata are not training settings
                settings = [s for s in settings if not s.key.startswith(("tool.ganlint.", "project.", "build-system."))]
            return finish(settings)
    except InputError:
        raise
    except RecursionError:
        raise InputError("too deeply nested to read", path, nesting_line(text)) from None
    except Exception as exc:  # noqa: BLE001 - a reader bug must still be one clear line, not a traceback
        raise InputError(f"cannot read config ({exc.__class__.__name__}: {exc})"[:200], path) from None
    return []


def _read_yaml_or_hydra(path: str, text: str) -> list[Setting]:
    from ganlint.reading.config import hydra
    from ganlint.reading.config.values import finish
    from ganlint.reading.config.yaml_reader import compose_documents, settings_from_node

    docs = compose_documents(path, text)
    if not docs:
        return []
    if hydra.defaults_node(path, text, docs[0]) is not None:
        settings = hydra.compose_hydra(path, text, docs[0])
        for doc in docs[1:]:
            settings.extend(settings_from_node(path, text, doc))
    else:
        if os.path.exists(path) and hydra.included_by_primary(path):
            return []
        settings = []
        for doc in docs:
            settings.extend(settings_from_node(path, text, doc))
    if hydra.has_interpolation(text) or any(s.style == "hydra" for s in settings):
        settings = hydra.resolve_interpolations(settings)
    return finish(settings)


def read_python_settings(path: str, tree: ast.Module, text: str) -> list[Setting]:
    from ganlint.reading.config.python_reader import read_python_settings as _read

    try:
        return _read(path, tree, text)
    except RecursionError:
        raise InputError("too deeply nested to read settings", path, nesting_line(text)) from None
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot read settings ({exc.__class__.__name__}: {exc})"[:200], path) from None
