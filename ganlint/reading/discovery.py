"""Expands the command line's paths into files (directories searched recursively)."""
from __future__ import annotations

import os

from ganlint.core.errors import InputError
from ganlint.reading.project import CONFIG_SUFFIXES, PY_SUFFIXES

DEFAULT_EXCLUDES = [".git", ".venv", "venv", "__pycache__", "node_modules", ".tox", "build", "dist", "*.egg-info"]


def discover(paths: list[str], exclude: list[str] | None = None) -> tuple[list[str], list[InputError]]:
    """Files to read and errors for paths that do not exist. Explicit files are always kept."""
    files: list[str] = []
    errors: list[InputError] = []
    wanted = CONFIG_SUFFIXES | PY_SUFFIXES
    skip = set(DEFAULT_EXCLUDES + list(exclude or []))
    for path in paths:
        if os.path.isfile(path):
            files.append(path)
        elif os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in skip and not d.endswith(".egg-info"))
                for name in sorted(names):
                    if os.path.splitext(name)[1].lower() in wanted:
                        files.append(os.path.join(root, name))
        else:
            errors.append(InputError("no such file or directory", path))
    seen: set[str] = set()
    unique = [f for f in files if not (f in seen or seen.add(f))]
    return unique, errors
