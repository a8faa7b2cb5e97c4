"""Expands the command line's paths into files (directories searched recursively).

- An explicit file argument is always checked, whatever its suffix or the excludes say.
- Directories are walked recursively for `.py`, `.yaml`, `.yml`, `.json` and `.toml` files, skipping
  NOT_INPUTS, DEFAULT_EXCLUDES, the `exclude` patterns of the configuration (gitignore syntax, matched against the path
  relative to `root`, the configuration's folder) and, when `respect_gitignore` is on, every `.gitignore`
  from the repository root down to the walked folders.
- A missing path, or a directory in which nothing is left to check, is an InputError (exit 2).

pathspec is imported only when a directory is walked: `ganlint check model.py config.yaml` stays lean.
"""
from __future__ import annotations

import os

from ganlint.core.errors import InputError, UsageError
from ganlint.reading.config.flagfile import is_flagfile_path
from ganlint.reading.project import CONFIG_SUFFIXES, PY_SUFFIXES

DEFAULT_EXCLUDES = [
    ".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "node_modules", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "build", "dist", "*.egg-info",
    "site-packages", "wandb", "mlruns", "lightning_logs",
]
WANTED = CONFIG_SUFFIXES | PY_SUFFIXES
# ganlint's own files that are no training input: `expected.toml` says what ganlint must report on a fixture
# folder (fixtures/*/); reading it as a config would count it as checked and read its codes as settings.
NOT_INPUTS = frozenset({"expected.toml"})


def _git_root(start: str) -> str | None:
    path = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


class _Ignores:
    """gitignore-style matching: the configured excludes plus .gitignore files, each relative to its base."""

    def __init__(self, exclude: list[str], root: str, respect_gitignore: bool):
        import pathspec

        self._pathspec = pathspec
        self.root = os.path.abspath(root)
        self.specs: list[tuple[str, object]] = []  # (base dir, spec); base "" = match the name at any depth
        self.git_specs: list[tuple[str, object]] = []
        self.respect_gitignore = respect_gitignore
        self._gitignore_seen: set[str] = set()
        from ganlint.checking.options import invalid_patterns

        bad = invalid_patterns(list(exclude or []))
        if bad:  # --exclude on the command line ([tool.ganlint] ones are refused at their line already)
            raise UsageError(f"invalid exclude pattern {bad[0]!r} (gitignore syntax)")
        patterns = list(DEFAULT_EXCLUDES) + list(exclude or [])
        self.specs.append(("", pathspec.GitIgnoreSpec.from_lines(patterns)))  # "" = match anywhere by name
        self.specs.append((self.root, pathspec.GitIgnoreSpec.from_lines(list(exclude or []))))

    def add_gitignores_above(self, directory: str) -> None:
        if not self.respect_gitignore:
            return
        top = _git_root(directory)
        if top is None:
            return
        chain = []
        path = os.path.abspath(directory)
        while True:
            chain.append(path)
            if path == top:
                break
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
        for d in reversed(chain[1:]):  # the walked folder itself is added by the walk
            self.add_gitignore(d)

    def add_gitignore(self, directory: str) -> None:
        if not self.respect_gitignore or directory in self._gitignore_seen:
            return
        self._gitignore_seen.add(directory)
        path = os.path.join(directory, ".gitignore")
        if not os.path.isfile(path):
            return
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            return
        try:
            spec = self._pathspec.GitIgnoreSpec.from_lines(lines)
        except Exception:  # noqa: BLE001 - git skips a line it cannot read; so do we
            from ganlint.checking.options import invalid_patterns

            bad = set(invalid_patterns(lines))
            spec = self._pathspec.GitIgnoreSpec.from_lines([ln for ln in lines if ln not in bad])
        self.git_specs.append((directory, spec))

    @staticmethod
    def _rel(apath: str, base: str, is_dir: bool) -> str | None:
        if base == "":
            rel = os.path.basename(apath)
        else:
            if not apath.startswith(base.rstrip(os.sep) + os.sep):
                return None
            rel = os.path.relpath(apath, base)
        return rel.replace(os.sep, "/") + ("/" if is_dir else "")

    def ignored(self, path: str, is_dir: bool) -> bool:
        apath = os.path.abspath(path)
        for base, spec in self.specs:  # built-in and configured excludes always win
            rel = self._rel(apath, base, is_dir)
            if rel is not None and spec.match_file(rel):  # type: ignore[attr-defined]
                return True
        decision = None  # .gitignore files, shallow to deep: the deepest that decides wins (`!` re-includes)
        for base, spec in self.git_specs:
            rel = self._rel(apath, base, is_dir)
            if rel is None:
                continue
            if hasattr(spec, "check_file"):
                include = spec.check_file(rel).include  # type: ignore[attr-defined]
                if include is not None:
                    decision = include
            elif spec.match_file(rel):  # type: ignore[attr-defined]  (pathspec < 0.12)
                decision = True
        return bool(decision)


def discover(
    paths: list[str],
    exclude: list[str] | None = None,
    *,
    root: str | None = None,
    respect_gitignore: bool = True,
) -> tuple[list[str], list[InputError]]:
    """Files to read, and errors for paths that do not exist or hold nothing to check."""
    files: list[str] = []
    errors: list[InputError] = []
    ignores: _Ignores | None = None
    for path in paths:
        if os.path.isfile(path):
            files.append(path)
        elif os.path.isdir(path):
            if ignores is None:
                ignores = _Ignores(list(exclude or []), root or os.getcwd(), respect_gitignore)
            ignores.add_gitignores_above(path)
            found = 0
            for current, dirs, names in os.walk(path):
                ignores.add_gitignore(os.path.abspath(current))
                dirs[:] = sorted(d for d in dirs if not ignores.ignored(os.path.join(current, d), True))
                for name in sorted(names):
                    if name in NOT_INPUTS:
                        continue
                    full = os.path.normpath(os.path.join(current, name))
                    if os.path.splitext(name)[1].lower() not in WANTED and not is_flagfile_path(full):
                        continue
                    if ignores.ignored(full, False) or not os.path.isfile(full):
                        continue
                    files.append(full)
                    found += 1
            if not found:
                errors.append(InputError("no Python, YAML, JSON or TOML files to check in this directory", path))
        elif os.path.lexists(path):
            errors.append(InputError("not a regular file or directory", path))
        else:
            errors.append(InputError("no such file or directory", path))
    seen: set[str] = set()
    unique = []
    for f in files:
        key = os.path.normpath(os.path.abspath(f))
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, errors


def group_projects(paths: list[str], files: list[str]) -> list[list[str]]:
    """Which files are analysed together (a config key and the code it reaches must be in one group).

    - Files reached from several command-line paths (`ganlint check model.py config.yaml`, `src conf`, the
      file list of a pre-commit run) are one project: the user named them together.
    - A single directory is one project when it holds a file to check directly (a repository root with its
      pyproject.toml or train.py, an experiment folder). A directory that holds only subfolders is split into
      one project per subfolder, recursively: `ganlint check experiments/` (or `fixtures/`) checks each
      experiment on its own instead of mixing one's config with another's code.
    """
    if len(paths) != 1 or not os.path.isdir(paths[0]) or len(files) < 2:
        return [files] if files else []
    root = os.path.normpath(os.path.abspath(paths[0]))
    entries = []
    for f in files:
        rel = os.path.relpath(os.path.normpath(os.path.abspath(f)), root)
        entries.append((tuple(rel.split(os.sep)), f))

    def split(depth: int, group: list[tuple[tuple[str, ...], str]]) -> list[list[str]]:
        if any(len(parts) == depth + 1 for parts, _ in group):  # a file directly in this folder
            return [[f for _, f in group]]
        children: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for parts, f in group:
            children.setdefault(parts[depth], []).append((parts, f))
        out: list[list[str]] = []
        for name in sorted(children):
            out.extend(split(depth + 1, children[name]))
        return out

    return split(0, entries)
